"""Reads behind the leaders' dashboards. They read the roll-up's tables (`Progress`, `Timeliness`) and,
where a page shows raw figures or progress texts, one query over `Submission` / `TaskReport`. Every function
here runs a fixed number of queries whatever the number of units, quarters or submissions."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from accounts.permissions import READERS, has_role, is_reporter, scope_to_unit
from indicators.figures import plain, target_text
from indicators.models import (
    Assignment,
    Indicator,
    Period,
    Progress,
    ReviewState,
    Submission,
    Target,
    TaskReport,
    Timeliness,
)
from indicators.selectors import indicators_with_targets, progress_for
from plans.models import Plan, Population, Section, Task, TaskUnit, Unit

PROGRESS_STATUSES = Progress.Status
TASK_STATUSES = TaskReport.Status
NO_REPORT = "no_report"
NO_REPORT_LABEL = "未报告"
# A task's status is its most worrying unit's: one lagging unit makes the task lagging.
TASK_SEVERITY = [
    TASK_STATUSES.LAGGING,
    TASK_STATUSES.NOT_STARTED,
    TASK_STATUSES.IN_PROGRESS,
    TASK_STATUSES.DONE,
]
# Every task status, most worrying first, as pages, the Excel report and the bulletin count them.
TASK_STATUS_CHOICES = [(status, TASK_STATUSES(status).label) for status in TASK_SEVERITY] + [
    (NO_REPORT, NO_REPORT_LABEL)
]


def _blank_progress() -> Progress:
    """What a page shows for a quarter the roll-up has no row for: every figure empty, no data."""
    return Progress(status=Progress.Status.NO_DATA)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    def __str__(self) -> str:
        return f"{self.year}年第{self.quarter}季度"

    @property
    def short(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def query(self) -> str:
        return urlencode({"year": self.year, "quarter": self.quarter})


def plan_quarters(plan: Plan) -> list[Quarter]:
    """Every quarter of the plan's implementation period, in order."""
    return [Quarter(year, quarter) for year in plan.years for quarter in (1, 2, 3, 4)]


def up_to(at: Quarter, prefix: str = "") -> Q:
    """Rows of `at` and before, for a model with year/quarter fields (under `prefix`, e.g. `period__`)."""
    earlier_year = Q(**{f"{prefix}year__lt": at.year})
    return earlier_year | Q(**{f"{prefix}year": at.year, f"{prefix}quarter__lte": at.quarter})


def row_at(rows: list[Progress], at: Quarter | None) -> Progress | None:
    """The row of quarter `at` among a series of roll-up rows."""
    return next((row for row in rows if at and (row.year, row.quarter) == (at.year, at.quarter)), None)


def progress_quarters(plan: Plan) -> list[Quarter]:
    """The quarters that have roll-up rows for the plan's own region, oldest first."""
    rows = (
        Progress.objects.filter(plan=plan, region_id=plan.region_id)
        .values_list("year", "quarter")
        .distinct()
        .order_by("year", "quarter")
    )
    return [Quarter(year, quarter) for year, quarter in rows]


@dataclass
class PeriodChoice:
    """The quarter a page shows and the ones it could show (for the switcher)."""

    at: Quarter | None
    available: list[Quarter]
    through: Quarter | None = None  # the latest quarter whose reporting is due

    @property
    def still_open(self) -> bool:
        """The shown quarter's reporting is not yet due: its figures are incomplete."""
        return self.at is not None and self.through is not None and self.at > self.through

    @property
    def has_data(self) -> bool:
        return self.at is not None and self.at in self.available

    @property
    def years(self) -> list[int]:
        return sorted({quarter.year for quarter in self.available})

    @property
    def previous(self) -> Quarter | None:
        earlier = [quarter for quarter in self.available if self.at and quarter < self.at]
        return earlier[-1] if earlier else None

    @property
    def next(self) -> Quarter | None:
        later = [quarter for quarter in self.available if self.at and quarter > self.at]
        return later[0] if later else None


def reported_through(today: datetime.date | None = None) -> Quarter | None:
    """The latest quarter whose reporting was due by today (one query). The roll-up writes rows for every
    quarter of a plan, including ones still open; those are not what a page should open on."""
    period = (
        Period.objects.filter(due_on__lte=today or timezone.localdate())
        .order_by("-year", "-quarter")
        .values_list("year", "quarter")
        .first()
    )
    return Quarter(*period) if period else None


def default_quarter(available: list[Quarter] | set[Quarter], through: Quarter | None) -> Quarter | None:
    """The latest available quarter already due, else the earliest one (a plan not yet reporting)."""
    due = [quarter for quarter in available if through is None or quarter <= through]
    if due:
        return max(due)
    return min(available, default=None)


def period_choose(available: list[Quarter], requested: Quarter | None) -> PeriodChoice:
    """The requested quarter, else the latest one with roll-up rows whose reporting is already due."""
    through = reported_through()
    at = requested if requested is not None else default_quarter(available, through)
    return PeriodChoice(at, available, through)


# --------------------------------------------------------------------------------------------- indicators


def indicators_openable(plan: Plan, user) -> QuerySet[Indicator]:
    """The plan's indicators the user may drill into: all for readers; for a reporter those its unit reports
    (an indicator read from another's figures counts as reported by that one's units)."""
    rows = Indicator.objects.filter(plan=plan)
    if not is_reporter(user):
        return scope_to_unit(rows, user)  # readers: every row; anyone else: none
    assigned = Assignment.objects.filter(unit_id=user.unit_id).filter(
        Q(indicator_id=OuterRef("pk")) | Q(indicator_id=OuterRef("computed_from_id"))
    )
    return rows.filter(Exists(assigned))


def year_target_text(indicator: Indicator, target: Target | None, progress: Progress | None) -> str:
    """The year's target as the plan writes it, with the figure the roll-up compares against when the plan
    gives none of its own (保持增长: above last year's actual)."""
    if target is None:
        return "—"
    if target.comparator == Target.Comparator.GROWTH and progress and progress.target_min is not None:
        return f"保持增长（上年{plain(progress.target_min)}{indicator.unit}）"
    return target_text(target.comparator, target.min, target.max, indicator.unit)


def target_value(progress: Progress | None) -> Decimal | None:
    """The figure the year's target names: its lower bound, or its upper bound for 控制在…以内."""
    if progress is None:
        return None
    return progress.target_min if progress.target_min is not None else progress.target_max


def pace_percent(progress: Progress | None) -> Decimal | None:
    """Where the expected pace (序时进度) stands on the completion bar: expected ÷ the year's target, the
    scale on which the roll-up states completion."""
    target = target_value(progress)
    if progress is None or progress.expected is None or not target:
        return None
    return progress.expected / target * 100


@dataclass
class IndicatorCard:
    indicator: Indicator
    progress: Progress | None
    year_target: Target | None
    final_target: Target | None
    units: list[Unit]  # the reporting units, lead first; only the lead when more than CARD_UNITS report it
    openable: bool
    crowded: bool = False  # more than CARD_UNITS units report it

    @property
    def figures(self) -> Progress:
        return self.progress or _blank_progress()

    @property
    def status(self) -> str:
        return self.figures.status

    @property
    def status_label(self) -> str:
        return PROGRESS_STATUSES(self.status).label

    @property
    def year_target_text(self) -> str:
        return year_target_text(self.indicator, self.year_target, self.progress)

    @property
    def bar_percent(self) -> Decimal:
        completion = self.progress.completion if self.progress else None
        return max(Decimal(0), min(Decimal(100), completion)) if completion is not None else Decimal(0)

    @property
    def pace_percent(self) -> Decimal | None:
        pace = pace_percent(self.progress)
        return max(Decimal(0), min(Decimal(100), pace)) if pace is not None else None


@dataclass
class StatusCount:
    status: str
    label: str
    count: int


@dataclass
class Overview:
    plan: Plan
    period: PeriodChoice
    cards: list[IndicatorCard]
    groups: list[tuple[str, str, list[IndicatorCard]]]  # (category, label, cards shown)
    status_counts: list[StatusCount]
    task_counts: list[StatusCount]
    tasks_awaiting: int  # tasks with a report of the quarter still with the office
    units: list[Unit]  # every reporting unit, for the filter; empty when there are too many to list
    status: str
    unit_id: int | None
    scoped: bool  # a reporter: task counts are of its own unit's tasks
    unit_search: bool = False  # too many units for a list: the filter asks for a unit's name
    unit_name: str = ""

    @property
    def task_total(self) -> int:
        return sum(count.count for count in self.task_counts)

    @property
    def shown(self) -> int:
        return sum(len(cards) for _, _, cards in self.groups)


# A card names every unit that reports its indicator when there are at most this many (a city plan); beyond
# that (a national plan's 2,800 county governments) only the lead unit, so that neither the page nor its
# queries grow with the number of units: not even a count, which would read every assignment.
CARD_UNITS = 12


def _source_ids(indicators: list[Indicator]) -> set[int]:
    return {indicator.computed_from_id or indicator.pk for indicator in indicators}


def _indicator_units(indicators: list[Indicator]) -> dict[int, tuple[list[Unit], bool]]:
    """For each indicator (via its source when it reads another's figures) the units a card names and whether
    more report it: every unit, lead first, then by name, when at most CARD_UNITS do; else only the lead.
    Two queries, each reading at most CARD_UNITS + 1 assignments per indicator."""
    sources = _source_ids(indicators)
    beyond = Assignment.objects.filter(indicator_id=OuterRef("pk")).order_by()[CARD_UNITS : CARD_UNITS + 1]
    crowded = set(
        Indicator.objects.alias(crowded=Exists(beyond))
        .filter(pk__in=sources, crowded=True)
        .values_list("pk", flat=True)
    )
    shown: dict[int, list[Unit]] = defaultdict(list)
    for assignment in (
        Assignment.objects.filter(
            Q(indicator_id__in=sources - crowded) | Q(indicator_id__in=crowded, is_lead=True)
        )
        .select_related("unit")
        .order_by("indicator_id", "-is_lead", "unit__name")
    ):
        shown[assignment.indicator_id].append(assignment.unit)
    return {
        indicator.pk: (shown[source], source in crowded)
        for indicator in indicators
        for source in [indicator.computed_from_id or indicator.pk]
    }


def _openable(plan: Plan, user, indicators: list[Indicator]) -> set[int]:
    """Ids of the indicators the user may drill into (see `indicators_openable`); a reader's need no query."""
    if has_role(user, READERS) and not is_reporter(user):
        return {indicator.pk for indicator in indicators}
    return set(indicators_openable(plan, user).values_list("pk", flat=True))


def _reported_by(indicators: list[Indicator], unit_id: int) -> set[int]:
    """The indicators a unit reports (directly or through the indicator they read)."""
    sources = set(
        Assignment.objects.filter(indicator_id__in=_source_ids(indicators), unit_id=unit_id).values_list(
            "indicator_id", flat=True
        )
    )
    return {
        indicator.pk for indicator in indicators if (indicator.computed_from_id or indicator.pk) in sources
    }


def _unit_named(indicators: list[Indicator], name: str) -> int | None:
    return (
        Assignment.objects.filter(indicator_id__in=_source_ids(indicators), unit__name=name.strip())
        .order_by("unit_id")
        .values_list("unit_id", flat=True)
        .first()
    )


def plan_overview(
    plan: Plan,
    period: PeriodChoice,
    user,
    *,
    status: str = "",
    unit_id: int | None = None,
    unit_name: str = "",
) -> Overview:
    """A card per indicator at the chosen quarter, grouped by category, with headline counts of indicators and
    tasks per status. `status` and the unit (`unit_id`, or `unit_name` where the plan has too many units to
    list) narrow the cards shown, never the headline counts. A fixed number of queries, none reading more
    than CARD_UNITS + 1 assignments per indicator, whatever the number of units."""
    indicators = list(indicators_with_targets(plan))
    progress = {row.indicator_id: row for row in progress_for(plan, *_at(period))} if period.at else {}
    units = _indicator_units(indicators)
    listed = not any(crowded for _, crowded in units.values())
    if unit_name.strip() and unit_id is None:
        unit_id = _unit_named(indicators, unit_name)
    if unit_id is None:
        reported = set() if unit_name.strip() else None  # a name no reporting unit has: no card
    elif listed:
        reported = {pk for pk, (shown, _) in units.items() if any(unit.pk == unit_id for unit in shown)}
    else:
        reported = _reported_by(indicators, unit_id)
    openable = _openable(plan, user, indicators)
    cards = []
    for indicator in indicators:
        targets = {target.year: target for target in indicator.targets.all()}
        year = period.at.year if period.at else plan.start_year
        cards.append(
            IndicatorCard(
                indicator=indicator,
                progress=progress.get(indicator.pk),
                year_target=targets.get(year),
                final_target=targets.get(plan.end_year),
                units=units[indicator.pk][0],
                crowded=units[indicator.pk][1],
                openable=indicator.pk in openable,
            )
        )
    counted = Counter(card.status for card in cards)
    status_counts = [StatusCount(value, label, counted[value]) for value, label in PROGRESS_STATUSES.choices]
    chosen = [
        card
        for card in cards
        if (not status or card.status == status) and (reported is None or card.indicator.pk in reported)
    ]
    groups = []
    for category, label in Indicator.Category.choices:
        in_group = [card for card in chosen if card.indicator.category == category]
        if in_group:
            groups.append((category, label, in_group))
    all_units = {unit.pk: unit for shown, _ in units.values() for unit in shown} if listed else {}
    tasks = task_lines(plan, period.at, unit_id=own_unit(user)) if period.at else []
    return Overview(
        plan=plan,
        period=period,
        cards=cards,
        groups=groups,
        status_counts=status_counts,
        task_counts=task_status_counts(tasks),
        tasks_awaiting=sum(line.awaiting for line in tasks),
        units=sorted(all_units.values(), key=lambda unit: unit.name),
        status=status,
        unit_id=unit_id,
        scoped=is_reporter(user),
        unit_search=not listed,
        unit_name=unit_name.strip(),
    )


def _at(period: PeriodChoice) -> tuple[int, int]:
    if period.at is None:
        raise ValueError("no quarter chosen")  # callers check `period.at` first; a bug otherwise
    return period.at.year, period.at.quarter


# ----------------------------------------------------------------------------------------- indicator page


@dataclass
class Contribution:
    """One unit's figure for one quarter, as submitted (raw, not rolled up)."""

    submission: Submission

    @property
    def text(self) -> str:
        row, indicator = self.submission, self.submission.indicator
        if indicator.measure == Indicator.Measure.MILESTONE:
            return {True: "已完成", False: "未完成"}.get(row.done, "—")
        if indicator.measure == Indicator.Measure.RATIO:
            return f"{plain(row.numerator)} / {plain(row.denominator)}"
        return plain(row.value)


@dataclass
class IndicatorPage:
    plan: Plan
    indicator: Indicator
    period: PeriodChoice
    series: list[Progress]  # the plan region's roll-up rows up to the chosen quarter, oldest first
    contribution_units: list[Unit]
    contribution_rows: list[tuple[Quarter, list[Contribution | None]]]  # newest first, one cell per unit
    units: list[Unit]  # who reports it

    @cached_property
    def current(self) -> Progress | None:
        return row_at(self.series, self.period.at)

    @property
    def figures(self) -> Progress:
        return self.current or _blank_progress()

    @cached_property
    def targets(self) -> list[Target]:
        return list(self.indicator.targets.all())

    @property
    def final_target(self) -> Target | None:
        return next((target for target in self.targets if target.year == self.plan.end_year), None)

    @property
    def year_target(self) -> Target | None:
        year = self.period.at.year if self.period.at else None
        return next((target for target in self.targets if target.year == year), None)

    @property
    def year_target_text(self) -> str:
        return year_target_text(self.indicator, self.year_target, self.current)

    @property
    def baseline(self):
        return self.indicator.latest_baseline

    @property
    def remaining_quarters(self) -> int:
        at = self.period.at
        if at is None:
            return 0
        return (self.plan.end_year - at.year) * 4 + (4 - at.quarter)


def indicator_page(plan: Plan, code: str, period: PeriodChoice, user) -> IndicatorPage:
    """An indicator's roll-up over time and its raw contributions by unit and quarter. A reporter gets only
    indicators its unit reports and only its own unit's contributions; anything else is a 404."""
    indicator = (
        indicators_with_targets(plan)
        .filter(pk__in=indicators_openable(plan, user).values("pk"))
        .filter(code=code)
        .first()
    )
    if indicator is None:
        raise Http404("没有找到该指标，或您无权查看。")
    series = []
    rows: list[tuple[Quarter, list[Contribution | None]]] = []
    contribution_units: list[Unit] = []
    if period.at is not None:
        series = list(
            Progress.objects.filter(indicator=indicator, region_id=plan.region_id)
            .filter(up_to(period.at))
            .order_by("year", "quarter")
        )
        submissions = scope_to_unit(
            Submission.objects.filter(indicator_id=indicator.computed_from_id or indicator.pk)
            .filter(up_to(period.at, "period__"), period__year__gte=plan.start_year)
            .select_related("unit", "period", "indicator"),
            user,
        ).order_by("-period__year", "-period__quarter", "unit__name")
        by_quarter: dict[Quarter, dict[int, Contribution]] = defaultdict(dict)
        seen_units: dict[int, Unit] = {}
        for submission in submissions:
            quarter = Quarter(submission.period.year, submission.period.quarter)
            by_quarter[quarter][submission.unit_id] = Contribution(submission)
            seen_units.setdefault(submission.unit_id, submission.unit)
        contribution_units = sorted(seen_units.values(), key=lambda unit: unit.name)
        rows = [
            (quarter, [cells.get(unit.pk) for unit in contribution_units])
            for quarter, cells in by_quarter.items()
        ]
    return IndicatorPage(
        plan=plan,
        indicator=indicator,
        period=period,
        series=series,
        contribution_units=contribution_units,
        contribution_rows=rows,
        units=_reporting_units(indicator),
    )


def _reporting_units(indicator: Indicator) -> list[Unit]:
    """Every unit that reports the indicator (via its source when it reads another's figures), lead first."""
    return [
        assignment.unit
        for assignment in Assignment.objects.filter(indicator_id=indicator.computed_from_id or indicator.pk)
        .select_related("unit")
        .order_by("-is_lead", "unit__name")
    ]


# --------------------------------------------------------------------------------------------- timeliness


@dataclass
class UnitRanking:
    unit_id: int
    name: str
    expected: int
    on_time: int
    quarters: Counter[str]
    rank: int | None = None

    @property
    def rate(self) -> Decimal | None:
        """On-time rate: items sent on time ÷ items owed, over the quarters already due."""
        return Decimal(self.on_time) / Decimal(self.expected) * 100 if self.expected else None

    def sort_key(self) -> tuple:
        missing = self.quarters[Timeliness.Status.MISSING]
        late = self.quarters[Timeliness.Status.LATE]
        return (-(self.rate if self.rate is not None else Decimal(-1)), missing, late, self.name)


@dataclass
class UnitsPage:
    plan: Plan
    period: PeriodChoice
    quarters: list[Quarter]
    ranking: list[UnitRanking]  # best first
    cells: dict[tuple[int, Quarter], Timeliness]
    ranked: bool  # False for a reporter, who sees only its own row

    @property
    def status_labels(self) -> list[tuple[str, str]]:
        return Timeliness.Status.choices


def units_page(plan: Plan, period: PeriodChoice, user) -> UnitsPage:
    """Each unit's reporting per quarter from the plan's start to the chosen quarter, its on-time rate and
    its rank. A reporter sees only its own unit's row and no ranking."""
    if period.at is None:
        return UnitsPage(plan, period, [], [], {}, ranked=not is_reporter(user))
    periods = Period.objects.filter(up_to(period.at), year__gte=plan.start_year)
    rows = scope_to_unit(
        Timeliness.objects.filter(plan=plan, period__in=periods).select_related("unit", "period"), user
    )
    cells = {(row.unit_id, Quarter(row.period.year, row.period.quarter)): row for row in rows}
    due = ~Q(status=Timeliness.Status.NOT_DUE)
    totals = (
        scope_to_unit(Timeliness.objects.filter(plan=plan, period__in=periods), user)
        .values("unit_id", "unit__name")
        .annotate(
            owed=Sum("expected", filter=due, default=0),
            sent_on_time=Sum("on_time", filter=due, default=0),
            **{f"n_{status}": Count("id", filter=Q(status=status)) for status in Timeliness.Status.values},
        )
    )
    ranking = [
        UnitRanking(
            unit_id=row["unit_id"],
            name=row["unit__name"],
            expected=row["owed"],
            on_time=row["sent_on_time"],
            quarters=Counter({status: row[f"n_{status}"] for status in Timeliness.Status.values}),
        )
        for row in totals
    ]
    ranking.sort(key=UnitRanking.sort_key)
    _competition_rank(ranking)
    quarters = [quarter for quarter in plan_quarters(plan) if quarter <= period.at]
    return UnitsPage(plan, period, quarters, ranking, cells, ranked=not is_reporter(user))


def _competition_rank(ranking: list[UnitRanking]) -> None:
    """1, 2, 2, 4: units with the same rate share a rank."""
    previous_rate, previous_rank = object(), 0
    for position, row in enumerate(ranking, start=1):
        if row.rate != previous_rate:
            previous_rate, previous_rank = row.rate, position
        row.rank = previous_rank


# --------------------------------------------------------------------------------------------------- tasks


def latest_task_reports(plan: Plan, at: Quarter, unit_id: int | None) -> QuerySet[TaskReport]:
    """In one query: each unit's latest approved report on each of the plan's tasks as of the quarter, and
    its report of the quarter that is with the office, not reviewed yet (state submitted); only `unit_id`'s
    when given. As for figures, a report counts once the office approved it."""
    latest = Window(
        RowNumber(),
        partition_by=[F("task_id"), F("unit_id"), F("state")],
        order_by=[F("period__year").desc(), F("period__quarter").desc()],
    )
    reports = TaskReport.objects.filter(task__section__plan=plan).filter(
        Q(state=ReviewState.APPROVED) & up_to(at, "period__")
        | Q(state=ReviewState.SUBMITTED, period__year=at.year, period__quarter=at.quarter)
    )
    if unit_id is not None:
        reports = reports.filter(unit_id=unit_id)
    return reports.annotate(latest=latest).filter(latest=1).select_related("unit", "period")


@dataclass
class UnitProgress:
    unit: Unit
    role: str  # lead / co / "" (reported without being named on the task)
    report: TaskReport | None  # the latest approved report as of the quarter
    awaiting: bool = False  # the quarter's report is with the office, not approved yet

    @property
    def role_label(self) -> str:
        return TaskUnit.Role(self.role).label if self.role else ""


@dataclass
class TaskLine:
    task: Task
    section: Section
    units: list[UnitProgress] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The most worrying status among the units' latest approved reports: one lagging unit makes the
        task lagging; no approved report from anyone is 未报告."""
        statuses = {line.report.status for line in self.units if line.report}
        return next((status for status in TASK_SEVERITY if status in statuses), NO_REPORT)

    @property
    def status_label(self) -> str:
        return NO_REPORT_LABEL if self.status == NO_REPORT else TASK_STATUSES(self.status).label

    @property
    def awaiting(self) -> bool:
        """Some unit's report of the quarter waits for the office: the status may still change."""
        return any(line.awaiting for line in self.units)

    @property
    def lead(self) -> Unit | None:
        return next((line.unit for line in self.units if line.role == TaskUnit.Role.LEAD), None)

    @property
    def co(self) -> list[Unit]:
        return [line.unit for line in self.units if line.role == TaskUnit.Role.CO]


def task_lines(plan: Plan, at: Quarter, *, unit_id: int | None = None) -> list[TaskLine]:
    """The plan's tasks in document order, each with the units named on it (lead first), every unit's latest
    approved report as of the quarter and whether its report of the quarter awaits review. The one rule for
    a task's status: pages, the Excel report and the bulletin all read it here. With `unit_id` (a reporter),
    only the tasks that unit is named on or reported on, with its own reports."""
    reports: dict[int, dict[int, TaskReport]] = defaultdict(dict)
    awaiting: set[tuple[int, int]] = set()
    for report in latest_task_reports(plan, at, unit_id):
        if report.state == ReviewState.APPROVED:
            reports[report.task_id][report.unit_id] = report
        else:
            awaiting.add((report.task_id, report.unit_id))
    named_units = TaskUnit.objects.select_related("unit").order_by("position")
    tasks = (
        Task.objects.filter(section__plan=plan)
        .select_related("section")
        .prefetch_related(Prefetch("task_units", queryset=named_units))
        .order_by("section__number", "number")
    )
    lines = []
    for task in tasks:
        named = list(task.task_units.all())
        if unit_id is not None:
            named = [task_unit for task_unit in named if task_unit.unit_id == unit_id]
        by_unit = reports.get(task.pk, {})
        units = [
            UnitProgress(tu.unit, tu.role, by_unit.get(tu.unit_id), (task.pk, tu.unit_id) in awaiting)
            for tu in named
        ]
        named_ids = {tu.unit_id for tu in named}
        units += [
            UnitProgress(report.unit, "", report, (task.pk, report.unit_id) in awaiting)
            for report_unit, report in sorted(by_unit.items(), key=lambda item: item[1].unit.name)
            if report_unit not in named_ids
        ]
        if units or unit_id is None:
            lines.append(TaskLine(task=task, section=task.section, units=units))
    return lines


def own_unit(user) -> int | None:
    """The unit a reader's view of tasks is narrowed to: a reporter's own, nobody else's."""
    return user.unit_id if is_reporter(user) else None


def task_status_counts(lines: list[TaskLine]) -> list[StatusCount]:
    counted = Counter(line.status for line in lines)
    return [StatusCount(value, label, counted[value]) for value, label in TASK_STATUS_CHOICES]


@dataclass
class TaskBoard:
    plan: Plan
    period: PeriodChoice
    lagging: list[TaskLine]
    sections: list[tuple[Section, list[TaskLine]]]
    counts: list[StatusCount]
    awaiting: int  # tasks with a report of the quarter still with the office
    scoped: bool  # a reporter: only its own unit's tasks and reports


def task_board(plan: Plan, period: PeriodChoice, user) -> TaskBoard:
    """Tasks by section with each unit's latest status and progress text; lagging tasks first, in their own
    block, and not repeated in their section."""
    lines = task_lines(plan, period.at, unit_id=own_unit(user)) if period.at else []
    lagging = [line for line in lines if line.status == TASK_STATUSES.LAGGING]
    sections: dict[int, tuple[Section, list[TaskLine]]] = {}
    for line in lines:
        if line.status != TASK_STATUSES.LAGGING:
            sections.setdefault(line.section.pk, (line.section, []))[1].append(line)
    counts = task_status_counts(lines)
    awaiting = sum(line.awaiting for line in lines)
    return TaskBoard(
        plan, period, lagging, list(sections.values()), counts, awaiting, scoped=is_reporter(user)
    )


# ---------------------------------------------------------------------------------------------- comparison

# How people name a comparison theme; the indicator's own name is used for a theme not listed here.
THEME_LABELS = {
    "hv-invention-patents": "高价值发明专利",
    "trademarks": "商标",
    "pledge-financing": "知识产权质押融资",
    "advantage-enterprises": "知识产权优势示范企业",
    "ip-service-providers": "知识产权服务机构（网点）",
    "copyright": "版权登记",
    "geographical-indications": "地理标志",
}
# Units written with a magnitude prefix are compared in their base unit: 88万件 → 880000件.
UNIT_SCALES = {
    "万件": ("件", Decimal(10000)),
    "亿元": ("万元", Decimal(10000)),
    "万人": ("人", Decimal(10000)),
}
# Measures whose values mean the same kind of thing: a level at a date, or an amount over a span.
MEASURE_KINDS = {
    Indicator.Measure.STOCK: "level",
    Indicator.Measure.PER_CAPITA: "level",
    Indicator.Measure.FLOW: "flow",
    Indicator.Measure.CUMULATIVE: "cumulative",
}
MEASURE_KIND_LABELS = {"level": "存量", "flow": "当年新增", "cumulative": "实施期累计"}


@dataclass
class ThemeEntry:
    """One plan's indicator on a theme, at the chosen quarter, with its value per 10,000 residents."""

    indicator: Indicator
    progress: Progress | None
    series: list[Progress]
    population: Population | None
    final_target: Target | None

    @property
    def figures(self) -> Progress:
        return self.progress or _blank_progress()

    @property
    def base_unit(self) -> str:
        return UNIT_SCALES.get(self.indicator.unit, (self.indicator.unit, Decimal(1)))[0]

    @property
    def kind(self) -> str | None:
        return MEASURE_KINDS.get(self.indicator.measure)

    @property
    def normalisable(self) -> bool:
        return self.kind is not None

    def per_10k(self, progress: Progress | None) -> Decimal | None:
        """The value per 10,000 residents of the plan's region (per_capita indicators already are)."""
        if progress is None or progress.actual is None or not self.normalisable:
            return None
        if self.indicator.measure == Indicator.Measure.PER_CAPITA:
            return progress.actual
        if self.population is None:
            return None
        scale = UNIT_SCALES.get(self.indicator.unit, (self.indicator.unit, Decimal(1)))[1]
        return progress.actual * scale / self.population.value

    @property
    def value_per_10k(self) -> Decimal | None:
        return self.per_10k(self.progress)

    @property
    def needs_population(self) -> bool:
        return self.normalisable and self.indicator.measure != Indicator.Measure.PER_CAPITA


@dataclass
class Theme:
    theme: str
    label: str
    entries: list[ThemeEntry]

    @property
    def comparable(self) -> bool:
        """Values per 10k compare only when every plan counts the same kind of thing."""
        kinds = {entry.kind for entry in self.entries}
        return len(kinds) == 1 and None not in kinds

    @property
    def kinds_text(self) -> str:
        return "、".join(
            f"{entry.indicator.plan.short_title}为{MEASURE_KIND_LABELS.get(entry.kind or '', '定性')}"
            for entry in self.entries
        )

    @property
    def per_10k_unit(self) -> str:
        """件/万人; empty when the plans count in different units (个 and 家)."""
        units = {entry.base_unit for entry in self.entries}
        return f"{units.pop()}/万人" if len(units) == 1 else ""

    @property
    def missing_population(self) -> list[ThemeEntry]:
        return [entry for entry in self.entries if entry.needs_population and entry.population is None]


@dataclass
class Comparison:
    plans: list[Plan]
    period: PeriodChoice
    themes: list[Theme]


def comparison_quarters(plans: list[Plan]) -> list[Quarter]:
    """Quarters with roll-up rows for every compared plan's own region."""
    rows = (
        Progress.objects.filter(plan__in=plans, region_id=F("plan__region_id"))
        .values_list("plan_id", "year", "quarter")
        .distinct()
    )
    by_quarter: dict[Quarter, set[int]] = defaultdict(set)
    for plan_id, year, quarter in rows:
        by_quarter[Quarter(year, quarter)].add(plan_id)
    return sorted(quarter for quarter, plan_ids in by_quarter.items() if len(plan_ids) == len(plans))


def comparison(plans: list[Plan], period: PeriodChoice) -> Comparison:
    """The indicators plans share by theme, with each plan's actual, completion and value per 10,000
    residents (population of the quarter's year, else the latest year before it)."""
    indicators = list(
        indicators_with_targets().filter(plan__in=plans).exclude(theme="").select_related("plan__region")
    )
    plans_by_theme: dict[str, set[int]] = defaultdict(set)
    for indicator in indicators:
        plans_by_theme[indicator.theme].add(indicator.plan_id)
    shared = [indicator for indicator in indicators if len(plans_by_theme[indicator.theme]) > 1]
    series: dict[int, list[Progress]] = defaultdict(list)
    populations: dict[int, list[Population]] = defaultdict(list)
    if period.at is not None:
        rows = (
            Progress.objects.filter(indicator__in=shared, region_id=F("plan__region_id"))
            .filter(up_to(period.at))
            .order_by("year", "quarter")
        )
        for row in rows:
            series[row.indicator_id].append(row)
        population_rows = Population.objects.filter(
            region_id__in={plan.region_id for plan in plans}, year__lte=period.at.year
        ).order_by("year")
        for population in population_rows:
            populations[population.region_id].append(population)
    themes: dict[str, Theme] = {}
    for indicator in shared:
        entry = ThemeEntry(
            indicator=indicator,
            progress=row_at(series[indicator.pk], period.at),
            series=series[indicator.pk],
            population=(populations[indicator.plan.region_id] or [None])[-1],
            final_target=next(
                (target for target in indicator.targets.all() if target.year == indicator.plan.end_year), None
            ),
        )
        label = THEME_LABELS.get(indicator.theme, indicator.name)
        themes.setdefault(indicator.theme, Theme(indicator.theme, label, [])).entries.append(entry)
    ordered = sorted(themes.values(), key=lambda theme: min(e.indicator.position for e in theme.entries))
    return Comparison(plans=plans, period=period, themes=ordered)


# ---------------------------------------------------------------------------------------------------- index


@dataclass
class PlanGlance:
    plan: Plan
    at: Quarter | None
    counts: list[StatusCount]


def plans_at_a_glance(plans: list[Plan]) -> list[PlanGlance]:
    """Each plan's latest due quarter with roll-up rows and its indicators per status then (two queries)."""
    rows = (
        Progress.objects.filter(plan__in=plans, region_id=F("plan__region_id"))
        .values("plan_id", "year", "quarter", "status")
        .annotate(n=Count("id"))
    )
    by_quarter: dict[int, dict[Quarter, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for row in rows:
        by_quarter[row["plan_id"]][Quarter(row["year"], row["quarter"])][row["status"]] += row["n"]
    glances = []
    through = reported_through()
    for plan in plans:
        quarters = by_quarter.get(plan.pk, {})
        at = default_quarter(set(quarters), through)
        counted = quarters[at] if at else Counter()
        counts = [StatusCount(value, label, counted[value]) for value, label in PROGRESS_STATUSES.choices]
        glances.append(PlanGlance(plan, at, counts))
    return glances
