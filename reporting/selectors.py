"""Reads that span indicators' relations."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import BadRequest
from django.db.models import CharField, Count, IntegerField, Q, QuerySet, Value
from django.shortcuts import get_object_or_404

from accounts.permissions import is_reporter, scope_to_unit
from indicators.models import Assignment, Indicator, Target
from ipcity.quarters import Quarter
from plans.models import Plan, Task, TaskUnit, Unit
from reporting.models import (
    WITH_OFFICE,
    Evidence,
    Period,
    PeriodException,
    ReviewState,
    Submission,
    TaskReport,
)

# ------------------------------------------------------------------------------------------------------------
# Reporting: the unit's quarter as its reporter and the office see it (the review queue: reporting/queue.py).
# ------------------------------------------------------------------------------------------------------------

PAST_QUARTERS = 4


@dataclass
class PastFigure:
    period: Period
    submission: Submission | None


@dataclass
class FigureRow:
    """One indicator of a unit's quarter, with what a person needs to judge the figure."""

    indicator: Indicator
    submission: Submission | None
    past: list[PastFigure]  # the unit's previous quarters, oldest first
    target: Target | None  # the year's target
    expected: Decimal | None  # 序时进度 at this quarter, from the roll-up (None before it has run)
    evidence: list[Evidence]
    editable: bool

    @property
    def key(self) -> str:
        return f"indicator-{self.indicator.pk}"

    @property
    def row(self) -> Submission | None:
        return self.submission

    @property
    def state(self) -> str:
        return self.submission.state if self.submission else "missing"


@dataclass
class TaskRow:
    """One task the unit is named on, with its progress report for the quarter."""

    task: Task
    role: str  # lead / co
    report: TaskReport | None
    evidence: list[Evidence]
    editable: bool
    previous: TaskReport | None = None  # the unit's latest report of the quarters before: what 沿用 copies

    @property
    def key(self) -> str:
        return f"task-{self.task.pk}"

    @property
    def row(self) -> TaskReport | None:
        return self.report

    @property
    def state(self) -> str:
        return self.report.state if self.report else "missing"

    @property
    def role_label(self) -> str:
        return TaskUnit.Role(self.role).label


@dataclass
class UnitQuarter:
    unit: Unit
    period: Period
    today: datetime.date
    accepts: bool  # open, or an exception the office granted runs until today or later
    exception: PeriodException | None
    figures: list[FigureRow]
    tasks: list[TaskRow]

    @property
    def rows(self) -> list[FigureRow | TaskRow]:
        return [*self.figures, *self.tasks]

    @property
    def editable(self) -> bool:
        return any(row.editable for row in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(row.state for row in self.rows)
        return {state: counts.get(state, 0) for state in ("missing", *ReviewState.values)}

    @property
    def carryable(self) -> bool:
        """Some task that may still change has an earlier report to copy (沿用上季度)."""
        return any(row.editable and row.previous is not None for row in self.tasks)

    @property
    def returned(self) -> list[FigureRow | TaskRow]:
        return [row for row in self.rows if row.state == ReviewState.RETURNED]

    @property
    def submitted(self) -> int:
        return sum(row.state == ReviewState.SUBMITTED for row in self.rows)

    @property
    def to_submit(self) -> dict[str, int]:
        """What 报送本季度 would hand to the office, as the reporter confirms it: the rows still editable and
        not with the office (not filled, draft, returned), figures and tasks."""

        def waiting(rows: list) -> int:
            return sum(row.editable and row.state not in WITH_OFFICE for row in rows)

        figures, tasks = waiting(self.figures), waiting(self.tasks)
        return {"figures": figures, "tasks": tasks, "total": figures + tasks}

    @property
    def late(self) -> bool:
        return self.today > self.period.due_on

    @property
    def not_open(self) -> bool:
        return self.today < self.period.opens_on


def owed_figures(
    *, year: int | None = None, plan: Plan | None = None, units: Collection[int] | None = None
) -> QuerySet[Assignment]:
    """What units owe in figures: one row per (unit, indicator) the office assigned, for indicators that are
    reported (not computed from another's figures), in plans running `year` (or of `plan`); unit groups
    never report. The one definition of what a unit owes each quarter: the reporting
    page, submitting, the Excel template, reminders and the roll-up's timeliness all read it."""
    rows = Assignment.objects.filter(indicator__computed_from__isnull=True).exclude(
        unit__kind=Unit.Kind.GROUP
    )
    if year is not None:
        rows = rows.filter(indicator__plan__start_year__lte=year, indicator__plan__end_year__gte=year)
    if plan is not None:
        rows = rows.filter(indicator__plan=plan)
    if units is not None:
        rows = rows.filter(unit_id__in=units)
    return rows


def owed_tasks(
    *, year: int | None = None, plan: Plan | None = None, units: Collection[int] | None = None
) -> QuerySet[TaskUnit]:
    """What units owe in task progress: one row per (unit, task) of the tasks they are named on (every unit
    named on a task reports on it), as `owed_figures` does for figures."""
    rows = TaskUnit.objects.exclude(unit__kind=Unit.Kind.GROUP)
    if year is not None:
        rows = rows.filter(task__section__plan__start_year__lte=year, task__section__plan__end_year__gte=year)
    if plan is not None:
        rows = rows.filter(task__section__plan=plan)
    if units is not None:
        rows = rows.filter(unit_id__in=units)
    return rows


def unit_indicators(unit: Unit, year: int) -> list[Indicator]:
    """The indicators the unit reports in a year, in document order."""
    rows = owed_figures(year=year, units=[unit.pk]).values("indicator_id")
    return list(Indicator.objects.filter(pk__in=rows).select_related("plan").order_by("plan", "position"))


def unit_tasks(unit: Unit, year: int) -> list[Task]:
    """The tasks the unit reports on in a year, in document order."""
    rows = owed_tasks(year=year, units=[unit.pk]).values("task_id")
    return list(
        Task.objects.filter(pk__in=rows)
        .select_related("section__plan")
        .order_by("section__plan", "section__number", "number")
    )


def unit_owes(unit: Unit, year: int) -> bool:
    """Whether the unit owes anything in a year: a figure or a task's progress."""
    units = [unit.pk]
    return owed_figures(year=year, units=units).exists() or owed_tasks(year=year, units=units).exists()


ExpectedPace = Callable[[Plan, int, int], dict[int, Decimal | None]]


def _no_pace(plan: Plan, year: int, quarter: int) -> dict[int, Decimal | None]:
    return {}


_expected_pace: ExpectedPace = _no_pace


def expected_pace_from(reader: ExpectedPace) -> None:
    """Where the reporting page reads each indicator's expected pace (序时进度) at a quarter, by indicator id.

    The roll-up computes it and sits above reporting on the apps' ladder, so it hands its reader over when
    the apps are ready (progress/apps.py) instead of reporting importing it."""
    global _expected_pace
    _expected_pace = reader


def _editable(row: Submission | TaskReport | None, accepts: bool) -> bool:
    if row is None or row.state == ReviewState.DRAFT:
        return accepts
    return row.state == ReviewState.RETURNED  # the office's return is its permission to correct


def periods_before(period: Period, count: int) -> list[Period]:
    """The `count` quarters before `period`, oldest first."""
    earlier = Period.objects.filter(Q(year__lt=period.year) | Q(year=period.year, quarter__lt=period.quarter))
    return list(reversed(earlier.order_by("-year", "-quarter")[:count]))


def previous_task_reports(
    unit: Unit, period: Period, tasks: Collection[Task | int], *, past: list[Period] | None = None
) -> dict[int, TaskReport]:
    """For each task, the unit's latest report of the `PAST_QUARTERS` quarters before `period` (`past`, when
    the caller has them): what 沿用上季度 copies. One query, whatever the history holds."""
    past = periods_before(period, PAST_QUARTERS) if past is None else past
    rows = TaskReport.objects.filter(unit=unit, period__in=past, task__in=tasks).select_related("period")
    return _latest_by_task(rows)


def _latest_by_task(rows: Iterable[TaskReport]) -> dict[int, TaskReport]:
    """Each task's report of the latest quarter among `rows` (their periods loaded)."""
    latest: dict[int, TaskReport] = {}
    for row in sorted(rows, key=lambda row: (row.period.year, row.period.quarter), reverse=True):
        latest.setdefault(row.task_id, row)
    return latest


def unit_quarter(unit: Unit, period: Period, today: datetime.date) -> UnitQuarter:
    """Everything about a unit's quarter: each assigned indicator with the unit's figure, its previous
    quarters, the year's target and the expected pace; each task the unit is named on with its report; the
    evidence files; what may still change today. A fixed number of queries, whatever the history holds."""
    from reporting.services.calendar import period_accepts

    indicators = unit_indicators(unit, period.year)
    tasks = unit_tasks(unit, period.year)
    roles = dict(TaskUnit.objects.filter(unit=unit, task__in=tasks).values_list("task_id", "role"))
    past = periods_before(period, PAST_QUARTERS)
    figures = {
        (row.period_id, row.indicator_id): row
        for row in Submission.objects.filter(
            unit=unit, period__in=[period, *past], indicator__in=indicators
        ).select_related("indicator")
    }
    # This quarter's reports and, in the same query, the earlier ones 沿用上季度 copies (as
    # `previous_task_reports` reads them).
    reports, earlier = {}, []
    for row in TaskReport.objects.filter(unit=unit, period__in=[period, *past]).select_related("period"):
        if row.period_id == period.pk:
            reports[row.task_id] = row
        else:
            earlier.append(row)
    task_ids = {task.pk for task in tasks}
    previous = _latest_by_task(row for row in earlier if row.task_id in task_ids)
    current = [row for (period_id, _), row in figures.items() if period_id == period.pk]
    keys = {("s", row.pk): f"indicator-{row.indicator_id}" for row in current}
    keys.update({("t", row.pk): f"task-{row.task_id}" for row in reports.values()})
    evidence: dict[str, list[Evidence]] = {}
    for item in Evidence.objects.filter(
        Q(submission__in=current) | Q(task_report__in=list(reports.values()))
    ).order_by("uploaded_at", "pk"):
        parent = ("s", item.submission_id) if item.submission_id else ("t", item.task_report_id)
        evidence.setdefault(keys[parent], []).append(item)
    targets = {
        target.indicator_id: target
        for target in Target.objects.filter(indicator__in=indicators, year=period.year).select_related(
            "indicator"
        )
    }
    expected = {}
    for plan in {indicator.plan for indicator in indicators}:
        expected.update(_expected_pace(plan, period.year, period.quarter))
    exception = PeriodException.objects.filter(period=period, unit=unit).first()
    accepts = period_accepts(period, unit, today)
    figure_rows = []
    for indicator in indicators:
        row = figures.get((period.pk, indicator.pk))
        figure_rows.append(
            FigureRow(
                indicator=indicator,
                submission=row,
                past=[PastFigure(p, figures.get((p.pk, indicator.pk))) for p in past],
                target=targets.get(indicator.pk),
                expected=expected.get(indicator.pk),
                evidence=evidence.get(f"indicator-{indicator.pk}", []),
                editable=_editable(row, accepts),
            )
        )
    task_rows = [
        TaskRow(
            task=task,
            role=roles.get(task.pk, TaskUnit.Role.CO),
            report=reports.get(task.pk),
            previous=previous.get(task.pk),
            evidence=evidence.get(f"task-{task.pk}", []),
            editable=_editable(reports.get(task.pk), accepts),
        )
        for task in tasks
    ]
    return UnitQuarter(unit, period, today, accepts, exception, figure_rows, task_rows)


def period_get(at: Quarter | str | None) -> Period:
    """The period of a quarter, or of its text as a URL carries it (`2026-4`); 404 when there is none, 400
    when the text is no quarter at all."""
    if not isinstance(at, Quarter):
        try:
            at = Quarter.parse(at)
        except ValueError:
            raise BadRequest(f"填报期“{str(at)[:20]}”格式不正确，应为“年份-季度”，例如 2026-3。") from None
    return get_object_or_404(Period, year=at.year, quarter=at.quarter)


@dataclass
class PeriodChoice:
    period: Period
    accepts: bool
    returned: int
    exception: PeriodException | None = None  # the office's 延期/补报 for the unit
    exception_running: bool = False  # …running until today or later
    unsent: int = 0  # owed items (`owed_figures`, `owed_tasks`) never handed to the office: none, or a draft
    past_due: bool = False

    @property
    def exception_until(self) -> datetime.date | None:
        return self.exception.until if self.exception else None

    @property
    def needs_action(self) -> bool:
        return self.returned > 0 or (self.exception_until is not None and self.accepts)

    @property
    def missed(self) -> int:
        """未报送: owed items still not submitted after the due date (0 before it)."""
        return self.unsent if self.past_due else 0


def _unsent(unit: Unit, periods: list[Period]) -> dict[int, int]:
    """For each period, how many items the unit owes in its year (`owed_figures`, `owed_tasks`) and has not
    handed to the office: nothing stored, or only a draft. Two queries, however many years and items."""
    figure, task = Value("figure", output_field=CharField()), Value("task", output_field=CharField())
    sent = set(
        Submission.objects.filter(unit=unit, period__in=periods)
        .exclude(state=ReviewState.DRAFT)
        .values_list("period_id", figure, "indicator_id")
        .order_by()  # SQLite takes no ORDER BY (the models' default ordering) inside a UNION
        .union(
            TaskReport.objects.filter(unit=unit, period__in=periods)
            .exclude(state=ReviewState.DRAFT)
            .values_list("period_id", task, "task_id")
            .order_by(),
            all=True,
        )
    )
    owed_parts = [
        part.values_list(Value(year, output_field=IntegerField()), kind, key).order_by()
        for year in sorted({period.year for period in periods})
        for part, kind, key in (
            (owed_figures(year=year, units=[unit.pk]), figure, "indicator_id"),
            (owed_tasks(year=year, units=[unit.pk]), task, "task_id"),
        )
    ]
    owed: dict[int, list[tuple[str, int]]] = {}
    for year, kind, pk in owed_parts[0].union(*owed_parts[1:], all=True) if owed_parts else []:
        owed.setdefault(year, []).append((kind, pk))
    return {
        period.pk: sum((period.pk, kind, pk) not in sent for kind, pk in owed.get(period.year, []))
        for period in periods
    }


def unit_periods(unit: Unit, today: datetime.date) -> list[PeriodChoice]:
    """The quarters a unit's reporter can open, newest first: every period already opened, each with whether
    it still takes figures, how many of the unit's items the office returned, how many owed items were never
    submitted (未报送 once the due date has passed) and the exception the office granted, if any."""
    from reporting.services.calendar import period_accepts

    periods = list(Period.objects.filter(opens_on__lte=today).order_by("-year", "-quarter"))
    returned = Counter(
        dict(
            Submission.objects.filter(unit=unit, state=ReviewState.RETURNED)
            .values_list("period_id")
            .annotate(n=Count("pk"))
        )
    ) + Counter(
        dict(
            TaskReport.objects.filter(unit=unit, state=ReviewState.RETURNED)
            .values_list("period_id")
            .annotate(n=Count("pk"))
        )
    )
    exceptions = {row.period_id: row for row in PeriodException.objects.filter(unit=unit)}
    unsent = _unsent(unit, periods)
    choices = []
    for period in periods:
        exception = exceptions.get(period.pk)
        choices.append(
            PeriodChoice(
                period=period,
                # Only an exception can reopen a locked period: skip the query when there is none.
                accepts=(period.locks_on > today)
                or (exception is not None and period_accepts(period, unit, today)),
                returned=returned.get(period.pk, 0),
                exception=exception,
                exception_running=exception is not None and exception.until >= today,
                unsent=unsent[period.pk],
                past_due=today > period.due_on,
            )
        )
    return choices


def periods_missed(choices: list[PeriodChoice]) -> dict[str, list[PeriodChoice]]:
    """What a reporter is told first, oldest first: the quarters `missed` (owed items not submitted after the
    due date) and those `reopened` (an exception the office granted that still runs)."""
    return {
        "missed": [choice for choice in reversed(choices) if choice.missed],
        "reopened": [choice for choice in reversed(choices) if choice.exception_running],
    }


def default_period(choices: list[PeriodChoice]) -> Period | None:
    """Where a reporter starts: the oldest quarter that needs action (returned items, an exception), else the
    newest quarter that still takes figures, else the newest opened."""
    for choice in reversed(choices):
        if choice.needs_action:
            return choice.period
    open_now = [choice.period for choice in choices if choice.accepts]
    if open_now:
        return open_now[0]
    return choices[0].period if choices else None


# Visibility ------------------------------------------------------------------------------------------------


def submissions_visible(user) -> QuerySet[Submission]:
    """The figures `user` may see (a reporter: its own unit's), with what pages and the API show joined."""
    return scope_to_unit(
        Submission.objects.select_related("indicator__plan", "unit", "period", "submitted_by", "reviewed_by"),
        user,
    )


def task_reports_visible(user) -> QuerySet[TaskReport]:
    return scope_to_unit(
        TaskReport.objects.select_related(
            "task__section__plan", "unit", "period", "submitted_by", "reviewed_by"
        ),
        user,
    )


def evidence_visible(user) -> QuerySet[Evidence]:
    """The evidence files `user` may download: those of the figures and task reports it may see."""
    rows = Evidence.objects.all()
    if is_reporter(user):
        return rows.filter(Q(submission__unit_id=user.unit_id) | Q(task_report__unit_id=user.unit_id))
    return scope_to_unit(rows, user)


def unit_period_counts(unit: Unit) -> dict[int, Counter[str]]:
    """For each period, the unit's figures and task reports by state, plus `late` for those sent late."""
    counts: dict[int, Counter[str]] = {}
    for model in (Submission, TaskReport):
        for period_id, state, is_late, count in (
            model.objects.filter(unit=unit)
            .values_list("period_id", "state", "is_late")
            .annotate(n=Count("pk"))
        ):
            counter = counts.setdefault(period_id, Counter())
            counter[state] += count
            if is_late and state != ReviewState.DRAFT:
                counter["late"] += count
    return counts
