"""Writes to indicators: loading indicators with their targets and baselines, deriving interim milestones."""

from __future__ import annotations

import datetime
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from accounts.permissions import is_reporter, is_reviewer
from indicators.evidence import MAX_FILES_PER_ROW, clean_name, evidence_problem
from indicators.models import (
    Assignment,
    Baseline,
    Evidence,
    Indicator,
    Period,
    PeriodException,
    ReviewState,
    Submission,
    Target,
    TaskReport,
)
from indicators.rollup import rollup_schedule
from indicators.rules import Figure, figure_errors, figure_missing, figure_needs_note
from plans.models import Task, Unit

if TYPE_CHECKING:
    from accounts.models import User
    from plans.models import Plan
    from plans.services import LoadReport

_INDICATOR_KEYS = {
    "code", "name", "unit", "measure", "category", "decimals", "theme", "description", "combine",
    "numerator_label", "denominator_label", "computed_from", "targets", "baselines", "derive_milestones",
}  # fmt: skip
_TARGET_KEYS = {"year", "comparator", "min", "max", "source"}
_BASELINE_KEYS = {"year", "value", "source"}


def _check_keys(spec: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(spec) - allowed
    if unknown:
        raise ValueError(f"{where}: 未知字段 {sorted(unknown)}")


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def indicators_load(*, plan: Plan, specs: list[dict[str, Any]], report: LoadReport) -> list[Indicator]:
    """Upsert a plan's indicators, their baselines and document targets, then derive missing milestones.

    Targets with origin `office` are left as the office set them; a document target replaces a derived one.
    """
    from plans.services import upsert

    indicators: dict[str, Indicator] = {}
    for position, spec in enumerate(specs, start=1):
        _check_keys(spec, _INDICATOR_KEYS, f"{plan.slug}/{spec.get('code')}")
        indicators[spec["code"]] = upsert(
            Indicator,
            {"plan": plan, "code": spec["code"]},
            {
                "name": spec["name"],
                "unit": spec.get("unit", ""),
                "measure": spec["measure"],
                "category": spec["category"],
                "decimals": spec.get("decimals", 0),
                "combine": spec.get("combine", Indicator.Combine.SUM),
                "position": position,
                "description": spec.get("description", ""),
                "numerator_label": spec.get("numerator_label", ""),
                "denominator_label": spec.get("denominator_label", ""),
                "theme": spec.get("theme", ""),
            },
            report,
        )
    for spec in specs:
        indicator = indicators[spec["code"]]
        source = indicators[spec["computed_from"]] if spec.get("computed_from") else None
        if indicator.computed_from_id != (source.pk if source else None):
            indicator.computed_from = source
            indicator.save(update_fields=["computed_from"])
        for baseline in spec.get("baselines", []):
            _check_keys(baseline, _BASELINE_KEYS, f"{spec['code']} baseline")
            upsert(
                Baseline,
                {"indicator": indicator, "year": baseline["year"]},
                {"value": _decimal(baseline["value"]), "source": baseline["source"]},
                report,
            )
        for target in spec.get("targets", []):
            _check_keys(target, _TARGET_KEYS, f"{spec['code']} target")
            _target_put(
                indicator,
                year=target["year"],
                values={
                    "comparator": target["comparator"],
                    "min": _decimal(target.get("min")),
                    "max": _decimal(target.get("max")),
                    "origin": Target.Origin.DOCUMENT,
                    "source": target["source"],
                },
                report=report,
            )
        if spec.get("derive_milestones"):
            for year, values in target_derive_milestones(indicator).items():
                _target_put(indicator, year=year, values=values, report=report)
    return list(indicators.values())


def _target_put(indicator: Indicator, *, year: int, values: dict[str, Any], report: LoadReport) -> None:
    from plans.services import upsert

    existing = Target.objects.filter(indicator=indicator, year=year).values_list("origin", flat=True).first()
    if existing == Target.Origin.OFFICE:
        report.kept_office += 1
        return
    if existing == Target.Origin.DOCUMENT and values["origin"] == Target.Origin.DERIVED:
        return
    upsert(Target, {"indicator": indicator, "year": year}, values, report)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def target_derive_milestones(indicator: Indicator) -> dict[int, dict[str, Any]]:
    """Interim milestones on a straight path from the latest baseline to the plan's final document target.

    Only for years the document itself sets no target, and only when a baseline before the plan starts
    and a numeric (gte/gt) final target exist. Values are rounded half-up to the indicator's decimals.
    """
    plan = indicator.plan
    baseline = indicator.baselines.filter(year__lt=plan.start_year).order_by("-year").first()
    final = indicator.targets.filter(
        year=plan.end_year,
        origin=Target.Origin.DOCUMENT,
        comparator__in=[Target.Comparator.GTE, Target.Comparator.GT],
    ).first()
    if baseline is None or final is None:
        return {}
    documented = set(indicator.targets.filter(origin=Target.Origin.DOCUMENT).values_list("year", flat=True))
    span = plan.end_year - baseline.year
    step = (final.min - baseline.value) / span
    quantum = Decimal(1).scaleb(-indicator.decimals)
    unit = indicator.unit
    milestones = {}
    for year in range(plan.start_year, plan.end_year):
        if year in documented:
            continue
        value = (baseline.value + step * (year - baseline.year)).quantize(quantum, rounding=ROUND_HALF_UP)
        milestones[year] = {
            "comparator": Target.Comparator.GTE,
            "min": value,
            "max": None,
            "origin": Target.Origin.DERIVED,
            "source": (
                f"推算：由{baseline.year}年基期值{_plain(baseline.value)}{unit}至{plan.end_year}年目标"
                f"{_plain(final.min)}{unit}按直线推算，每年增加{_plain(step)}{unit}，"
                f"{year}年末应达到{_plain(value)}{unit}（文件未列年度目标）"
            ),
        }
    return milestones


# ------------------------------------------------------------------------------------------------------------
# Reporting: the calendar, figures and task progress, the review workflow.
# ------------------------------------------------------------------------------------------------------------

DUE_DAYS = getattr(settings, "IPCITY_DUE_DAYS_AFTER_QUARTER", 10)
LOCK_GRACE_DAYS = getattr(settings, "IPCITY_LOCK_GRACE_DAYS", 20)
TEXT_LIMIT = 4000
EDITABLE = (ReviewState.DRAFT, ReviewState.RETURNED)


class Conflict(Exception):
    """Someone else changed the row since the user loaded it; nothing was written."""


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(year, 3 * quarter - 2, 1)
    after = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    return first, after - datetime.timedelta(days=1)


def period_defaults(year: int, quarter: int) -> dict[str, datetime.date]:
    """The default calendar: open on the quarter's first day, due the 10th day after it ends, locked after
    the grace period (IPCITY_LOCK_GRACE_DAYS, default 20 days after the due date)."""
    first, last = quarter_bounds(year, quarter)
    due = last + datetime.timedelta(days=DUE_DAYS)
    return {"opens_on": first, "due_on": due, "locks_on": due + datetime.timedelta(days=LOCK_GRACE_DAYS)}


def periods_ensure(*, years: range | list[int]) -> list[Period]:
    """Create the reporting quarters of these years with the default calendar; existing ones stay as set."""
    periods = []
    for year in years:
        for quarter in (1, 2, 3, 4):
            period, _ = Period.objects.get_or_create(
                year=year, quarter=quarter, defaults=period_defaults(year, quarter)
            )
            periods.append(period)
    return periods


def period_accepts(period: Period, unit: Unit, today: datetime.date) -> bool:
    """Whether the unit may still report into the period today: open and not locked, or an exception the
    office granted runs at least until today."""
    if today < period.opens_on:
        return False
    if today < period.locks_on:
        return True
    return PeriodException.objects.filter(period=period, unit=unit, until__gte=today).exists()


def exception_grant(
    *, period: Period, unit: Unit, until: datetime.date, reason: str, by: User
) -> PeriodException:
    """Let one unit report into a locked period until a date. Reviewers only; the reason is required."""
    if not is_reviewer(by):
        raise PermissionDenied("只有办公室审核人员可以开放例外。")
    if not reason.strip():
        raise ValidationError("请填写开放例外的理由。")
    if until < period.locks_on:
        raise ValidationError(f"开放日期应晚于该期锁定日期（{period.locks_on:%Y年%m月%d日}）。")
    exception = PeriodException.objects.filter(period=period, unit=unit).first() or PeriodException(
        period=period, unit=unit
    )
    exception.until, exception.reason, exception.granted_by = until, reason.strip(), by
    _stamp(exception, by, f"开放例外：{reason.strip()}")
    exception.save()
    return exception


def _stamp(row: Model, by: User | None, reason: str) -> None:
    """Who and why, for the audit trail (django-simple-history reads these on save)."""
    row._history_user = by
    row._change_reason = reason


def _claim(row: Submission | TaskReport, seen_version: int | None) -> None:
    """Optimistic lock: move the row from the version the user saw to the next, or raise Conflict.

    The conditional UPDATE takes the row's write lock first, so two saves of one row cannot both pass, on
    PostgreSQL and SQLite alike; the caller then saves the row (which records its history) in the same
    transaction.
    """
    seen = row.version if seen_version is None else seen_version
    if not type(row).objects.filter(pk=row.pk, version=seen).update(version=seen + 1):
        current = type(row).objects.filter(pk=row.pk).values_list("updated_at", flat=True).first()
        when = f"于{timezone.localtime(current):%m月%d日 %H:%M}" if current else ""
        raise Conflict(
            f"{row}已被他人{when}修改，您看到的是旧版本。为避免覆盖他人的修改，本次保存未生效，请刷新页面后重新填写。"
        )
    row.version = seen + 1


def _ensure_reporter_of(by: User, unit: Unit) -> None:
    if not (is_reporter(by) and by.unit_id == unit.pk):
        raise PermissionDenied("只能填报本单位的数据。")


def _ensure_reviewer(by: User) -> None:
    if not is_reviewer(by):
        raise PermissionDenied("只有办公室审核人员可以审核。")


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _ensure_accepts(period: Period, unit: Unit, today: datetime.date, *, returned: bool = False) -> None:
    # A figure the office returned may always be corrected: the return itself is the office's permission.
    if returned:
        return
    if today < period.opens_on:
        raise ValidationError(f"{period}尚未开始填报（{period.opens_on:%Y年%m月%d日}开始）。")
    if not period_accepts(period, unit, today):
        raise ValidationError(
            f"{period}已于{period.locks_on:%Y年%m月%d日}锁定，不能再填报。如确需补报，请联系办公室开放例外。"
        )


def unit_indicators(unit: Unit, year: int) -> list[Indicator]:
    """The indicators the unit reports in a year: its assignments in plans running that year (indicators read
    from another indicator's figures are never reported)."""
    return list(
        Indicator.objects.filter(
            assignments__unit=unit,
            computed_from__isnull=True,
            plan__start_year__lte=year,
            plan__end_year__gte=year,
        )
        .select_related("plan")
        .order_by("plan", "position")
    )


def unit_tasks(unit: Unit, year: int) -> list[Task]:
    """The tasks the unit is named on in plans running that year: every unit named on a task reports on it."""
    return list(
        Task.objects.filter(
            task_units__unit=unit, section__plan__start_year__lte=year, section__plan__end_year__gte=year
        )
        .select_related("section__plan")
        .order_by("section__plan", "section__number", "number")
    )


@dataclass(frozen=True)
class FigureInput:
    indicator_id: int
    figure: Figure
    version: int | None = None  # the version the user saw; None for a figure not yet stored


@dataclass(frozen=True)
class ProgressInput:
    task_id: int
    status: str
    progress: str = ""
    problems: str = ""
    next_steps: str = ""
    version: int | None = None


def _figure_of(submission: Submission) -> Figure:
    return Figure(
        value=submission.value,
        numerator=submission.numerator,
        denominator=submission.denominator,
        done=submission.done,
        note=submission.note,
    )


def _text_errors(label: str, text: str) -> list[str]:
    return [f"{label}不能超过{TEXT_LIMIT}字。"] if len(text) > TEXT_LIMIT else []


@dataclass
class _Draft:
    """One row a save would write: the stored row (None when new) and the field values the user gave."""

    row: Submission | TaskReport | None
    values: dict[str, Any]
    version: int | None
    new: Any  # callable building the row when there is none

    def changes(self) -> bool:
        if self.row is None:
            return any(value not in (None, "") for value in self.values.values())
        return any(getattr(self.row, name) != value for name, value in self.values.items())


def _write_drafts(
    drafts: list[_Draft],
    *,
    unit: Unit,
    period: Period,
    by: User,
    today: datetime.date,
    reason: str | None = None,
) -> list:
    """Write the drafts that change something, in one transaction, each under the optimistic lock. The audit
    reason is `reason` when given, else what happened to the row (新建草稿, 修改草稿, 按退回意见修改)."""
    changing = [draft for draft in drafts if draft.changes()]
    if any(draft.row is None or draft.row.state == ReviewState.DRAFT for draft in changing):
        _ensure_accepts(period, unit, today)
    with transaction.atomic():
        for draft in changing:
            row = draft.row
            if row is None:
                row, happened = draft.new(), "新建草稿"
            else:
                _claim(row, draft.version)
                happened = "修改草稿" if row.state == ReviewState.DRAFT else "按退回意见修改"
            for name, value in draft.values.items():
                setattr(row, name, value)
            _stamp(row, by, reason or happened)
            row.save()
            draft.row = row
    return [draft.row for draft in drafts if draft.row is not None]


def figures_save(
    *,
    unit: Unit,
    period: Period,
    inputs: list[FigureInput],
    by: User,
    today: datetime.date | None = None,
    reason: str | None = None,
) -> list[Submission]:
    """Store the unit's figures for the period as drafts (a returned figure stays returned until submitted).

    All or nothing: every input is checked first; on any error a ValidationError keyed `indicator-<id>` is
    raised and nothing is written. A figure already submitted or approved cannot be changed here. A row whose
    version moved since the user loaded it raises Conflict. Unchanged figures are not rewritten. `reason`,
    when given, is the audit reason of every row written (e.g. the Excel import names its file).
    """
    _ensure_reporter_of(by, unit)
    indicators = {indicator.pk: indicator for indicator in unit_indicators(unit, period.year)}
    stored = {row.indicator_id: row for row in Submission.objects.filter(unit=unit, period=period)}
    errors: dict[str, list[str]] = {}
    drafts = []
    for item in inputs:
        indicator, row = indicators.get(item.indicator_id), stored.get(item.indicator_id)
        figure = item.figure
        values = {
            "value": figure.value,
            "numerator": figure.numerator,
            "denominator": figure.denominator,
            "done": figure.done,
            "note": figure.note.strip(),
        }
        draft = _Draft(
            row=row,
            values=values,
            version=item.version,
            new=lambda indicator_id=item.indicator_id: Submission(
                indicator_id=indicator_id, unit=unit, period=period
            ),
        )
        if indicator is None:
            problems = ["本单位未被分配填报该指标。"]
        elif row is not None and row.state not in EDITABLE:
            problems = (
                [f"当前为“{row.get_state_display()}”，不能修改。如需更正请联系办公室。"]
                if draft.changes()
                else []
            )
        else:
            problems = figure_errors(indicator, figure) + _text_errors("说明", figure.note)
        if problems:
            name = indicator.name if indicator else "该指标"
            errors[f"indicator-{item.indicator_id}"] = [f"{name}：{problem}" for problem in problems]
        elif row is None or row.state in EDITABLE:
            drafts.append(draft)
    if errors:
        raise ValidationError(errors)
    return _write_drafts(drafts, unit=unit, period=period, by=by, today=_today(today), reason=reason)


def task_reports_save(
    *, unit: Unit, period: Period, inputs: list[ProgressInput], by: User, today: datetime.date | None = None
) -> list[TaskReport]:
    """Store the unit's task progress for the period as drafts. Same guarantees as `figures_save`."""
    _ensure_reporter_of(by, unit)
    tasks = {task.pk: task for task in unit_tasks(unit, period.year)}
    stored = {row.task_id: row for row in TaskReport.objects.filter(unit=unit, period=period)}
    errors: dict[str, list[str]] = {}
    drafts = []
    for item in inputs:
        task, row = tasks.get(item.task_id), stored.get(item.task_id)
        values = {
            "status": item.status,
            "progress": item.progress.strip(),
            "problems": item.problems.strip(),
            "next_steps": item.next_steps.strip(),
        }
        draft = _Draft(
            row=row,
            values=values,
            version=item.version,
            new=lambda task_id=item.task_id: TaskReport(task_id=task_id, unit=unit, period=period),
        )
        if task is None:
            problems = ["本单位不是该任务的责任单位。"]
        elif row is not None and row.state not in EDITABLE:
            problems = [f"当前为“{row.get_state_display()}”，不能修改。"] if draft.changes() else []
        elif row is None and not any(values.values()):
            continue  # a task the user left untouched: no draft
        else:
            problems = [] if item.status in TaskReport.Status.values else ["请选择推进状态。"]
            for label, name in (
                ("进展情况", "progress"),
                ("存在问题", "problems"),
                ("下步计划", "next_steps"),
            ):
                problems += _text_errors(label, values[name])
        if problems:
            title = f"任务“{task.title}”" if task else "该任务"
            errors[f"task-{item.task_id}"] = [f"{title}：{problem}" for problem in problems]
        elif row is None or row.state in EDITABLE:
            drafts.append(draft)
    if errors:
        raise ValidationError(errors)
    return _write_drafts(drafts, unit=unit, period=period, by=by, today=_today(today))


def _history_values(unit: Unit, indicator: Indicator, before: Period) -> list[Decimal]:
    """The unit's earlier submitted or approved figures for the indicator, oldest first (rates for ratios)."""
    rows = Submission.objects.filter(
        unit=unit,
        indicator=indicator,
        state__in=[ReviewState.SUBMITTED, ReviewState.APPROVED],
        period__year__lte=before.year,
    ).exclude(period__year=before.year, period__quarter__gte=before.quarter)
    values = []
    for value, numerator, denominator in rows.order_by("period__year", "period__quarter").values_list(
        "value", "numerator", "denominator"
    ):
        if indicator.measure == Indicator.Measure.RATIO:
            if numerator is not None and denominator:
                values.append(numerator / denominator * 100)
        elif value is not None:
            values.append(value)
    return values


@dataclass(frozen=True)
class SubmitResult:
    figures: int
    tasks: int
    late: bool


def _figure_problem(row: Submission, indicator: Indicator) -> str | None:
    """Why a stored figure cannot be submitted yet (missing value, or a note the figure needs), or None."""
    figure = _figure_of(row)
    return figure_missing(indicator, figure) or figure_needs_note(
        indicator, figure, _history_values(row.unit, indicator, row.period)
    )


def _report_problem(report: TaskReport) -> str | None:
    """Why a stored task report cannot be submitted yet, or None."""
    if not report.progress.strip():
        return "请填写进展情况。"
    if report.status == TaskReport.Status.LAGGING and not report.problems.strip():
        return "推进滞后，请填写存在问题。"
    return None


def _schedule_rollup(rows: list[Submission | TaskReport]) -> None:
    """Queue the roll-up of what these rows touch. Approving or reopening a figure changes the actuals; every
    submit, return or approval changes the unit's timeliness, which the roll-up of any indicator of the same
    plan and year recomputes — so a task report queues its plan's first indicator."""
    keys = set()
    for row in rows:
        if isinstance(row, Submission):
            keys.add((row.indicator_id, row.period.year, row.unit_id))
        else:
            first = Indicator.objects.filter(plan__sections__tasks=row.task_id).order_by("position").first()
            if first is not None:
                keys.add((first.pk, row.period.year, row.unit_id))
    for indicator_id, year, unit_id in sorted(keys):
        rollup_schedule(indicator_id=indicator_id, year=year, unit_id=unit_id)


def _submit_rows(
    rows: list[Submission | TaskReport], *, unit: Unit, period: Period, by: User, today: datetime.date
) -> SubmitResult:
    """Move checked, editable rows to submitted in one transaction, each under the optimistic lock. Drafts
    need the period to accept the unit; returned rows may always be resubmitted. Late after the due date."""
    if any(row.state == ReviewState.DRAFT for row in rows):
        _ensure_accepts(period, unit, today)
    now = timezone.now()
    late = today > period.due_on
    with transaction.atomic():
        for row in rows:
            _claim(row, row.version)
            resubmitted = row.state == ReviewState.RETURNED
            row.state, row.submitted_at, row.submitted_by, row.is_late = ReviewState.SUBMITTED, now, by, late
            row.return_reason = ""
            _stamp(row, by, "重新报送" if resubmitted else ("逾期报送" if late else "报送"))
            row.save()
        _schedule_rollup(rows)
    return SubmitResult(
        figures=sum(isinstance(row, Submission) for row in rows),
        tasks=sum(isinstance(row, TaskReport) for row in rows),
        late=late,
    )


def unit_period_submit(
    *, unit: Unit, period: Period, by: User, today: datetime.date | None = None
) -> SubmitResult:
    """Submit everything the unit owes for the period at once: every assigned figure and every task report.

    All or nothing: if any figure or task report is missing, incomplete, or needs an explanatory note (a stock
    that falls, a value far outside the unit's history), a ValidationError lists every problem and nothing is
    submitted. Submissions after the due date are marked late.
    """
    _ensure_reporter_of(by, unit)
    today = _today(today)
    indicators = unit_indicators(unit, period.year)
    tasks = unit_tasks(unit, period.year)
    figures = {row.indicator_id: row for row in Submission.objects.filter(unit=unit, period=period)}
    reports = {row.task_id: row for row in TaskReport.objects.filter(unit=unit, period=period)}
    errors: dict[str, list[str]] = {}
    pending: list[Submission | TaskReport] = []
    for indicator in indicators:
        key = f"indicator-{indicator.pk}"
        row = figures.get(indicator.pk)
        if row is None:
            errors[key] = [f"{indicator.name}：尚未填写。"]
            continue
        if row.state not in EDITABLE:
            continue
        problem = _figure_problem(row, indicator)
        if problem:
            errors[key] = [f"{indicator.name}：{problem}"]
        pending.append(row)
    for task in tasks:
        key = f"task-{task.pk}"
        report = reports.get(task.pk)
        if report is None:
            errors[key] = [f"任务“{task.title}”：尚未填写进展。"]
            continue
        if report.state not in EDITABLE:
            continue
        problem = _report_problem(report)
        if problem:
            errors[key] = [f"任务“{task.title}”：{problem}"]
        pending.append(report)
    if errors:
        raise ValidationError(errors)
    if not pending:
        raise ValidationError("本季度没有待报送的内容。")
    return _submit_rows(pending, unit=unit, period=period, by=by, today=today)


def submission_submit(
    *, submission: Submission, by: User, version: int | None = None, today: datetime.date | None = None
) -> Submission:
    """Submit one figure on its own (the API's per-figure submit), with exactly the checks a whole-quarter
    submit applies to that figure. A stale `version` raises Conflict; problems raise a ValidationError keyed
    `indicator-<id>`; nothing is written unless the figure is submitted."""
    _ensure_reporter_of(by, submission.unit)
    row = Submission.objects.select_related("indicator", "unit", "period").get(pk=submission.pk)
    if version is not None and version != row.version:
        _claim(row, version)  # raises Conflict naming when it changed
    key, name = f"indicator-{row.indicator_id}", row.indicator.name
    if row.state not in EDITABLE:
        raise ValidationError({key: [f"{name}：当前为“{row.get_state_display()}”，不能重复报送。"]})
    problem = _figure_problem(row, row.indicator)
    if problem:
        raise ValidationError({key: [f"{name}：{problem}"]})
    _submit_rows([row], unit=row.unit, period=row.period, by=by, today=_today(today))
    return row


@dataclass(frozen=True)
class EvidenceInput:
    """A file attached to one row of the quarter: `key` is `indicator-<id>` or `task-<id>`."""

    key: str
    upload: UploadedFile


def quarter_save(
    *,
    unit: Unit,
    period: Period,
    figures: list[FigureInput],
    tasks: list[ProgressInput],
    by: User,
    submit: bool = False,
    evidence: list[EvidenceInput] | tuple = (),
    removed_evidence: list[int] | tuple = (),
    today: datetime.date | None = None,
) -> SubmitResult | None:
    """The reporting page's one write: save the unit's figures, task progress and evidence files as drafts
    and, when `submit`, submit the whole quarter.

    All or nothing: any error (ValidationError with every problem found, keyed `indicator-<id>` / `task-<id>`,
    or Conflict) leaves the database as it was and no uploaded file stored. Every file is checked (size, type
    by extension and content) before anything is written."""
    today = _today(today)
    errors: dict[str, list[str]] = {}
    for item in evidence:
        problem = evidence_problem(item.upload.name or "", item.upload.size or 0, item.upload)
        if problem:
            errors.setdefault(item.key, []).append(problem)
    with _files_removed_on_error() as stored, transaction.atomic():
        for save, inputs in ((figures_save, figures), (task_reports_save, tasks)):
            try:
                save(unit=unit, period=period, inputs=inputs, by=by, today=today)
            except ValidationError as error:
                error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
        if evidence or removed_evidence:
            _evidence_write(
                unit=unit, period=period, added=list(evidence), removed=list(removed_evidence), by=by,
                today=today, stored=stored,
            )  # fmt: skip
        return unit_period_submit(unit=unit, period=period, by=by, today=today) if submit else None


@contextmanager
def _files_removed_on_error() -> Iterator[list[str]]:
    """Collects the names of files stored during a write; if the write fails they are deleted again, so a
    refused save leaves no file behind."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def _evidence_rows(unit: Unit, period: Period) -> dict[str, Submission | TaskReport]:
    rows: dict[str, Submission | TaskReport] = {
        f"indicator-{row.indicator_id}": row for row in Submission.objects.filter(unit=unit, period=period)
    }
    rows.update({f"task-{row.task_id}": row for row in TaskReport.objects.filter(unit=unit, period=period)})
    return rows


def _evidence_parent(
    key: str, rows: dict[str, Submission | TaskReport], *, unit: Unit, period: Period, by: User,
    today: datetime.date,
) -> Submission | TaskReport:  # fmt: skip
    """The row a file attaches to: the stored one if it may still change, else a new empty draft."""
    row = rows.get(key)
    if row is not None:
        if row.state not in EDITABLE:
            raise ValidationError({key: [f"当前为“{row.get_state_display()}”，不能再修改佐证材料。"]})
        if row.state == ReviewState.DRAFT:
            _ensure_accepts(period, unit, today)
        return row
    kind, _, pk = key.partition("-")
    if kind == "indicator" and int(pk) in {indicator.pk for indicator in unit_indicators(unit, period.year)}:
        row = Submission(indicator_id=int(pk), unit=unit, period=period)
    elif kind == "task" and int(pk) in {task.pk for task in unit_tasks(unit, period.year)}:
        row = TaskReport(task_id=int(pk), unit=unit, period=period)
    else:
        raise ValidationError({key: ["本单位不填报该项，不能上传佐证材料。"]})
    _ensure_accepts(period, unit, today)
    _stamp(row, by, "新建草稿（上传佐证材料）")
    row.save()
    rows[key] = row
    return row


def _evidence_write(
    *, unit: Unit, period: Period, added: list[EvidenceInput], removed: list[int], by: User,
    today: datetime.date, stored: list[str],
) -> None:  # fmt: skip
    _ensure_reporter_of(by, unit)
    rows = _evidence_rows(unit, period)
    doomed = list(
        Evidence.objects.select_related("submission", "task_report")
        .filter(pk__in=removed)
        .filter(
            Q(submission__unit=unit, submission__period=period)
            | Q(task_report__unit=unit, task_report__period=period)
        )
    )
    if len(doomed) != len(set(removed)):
        raise ValidationError("要删除的佐证材料不存在或已被删除，请刷新页面。")
    for item in doomed:
        _evidence_parent(
            _row_key(item.submission or item.task_report), rows, unit=unit, period=period, by=by, today=today
        )
        name = item.file.name
        _stamp(item, by, f"删除佐证材料：{item.name}")
        item.delete()
        transaction.on_commit(lambda name=name: default_storage.delete(name))
    counts = Counter(
        _row_key(item.submission or item.task_report)
        for item in Evidence.objects.filter(
            Q(submission__unit=unit, submission__period=period)
            | Q(task_report__unit=unit, task_report__period=period)
        ).select_related("submission", "task_report")
    )
    for item in added:
        counts[item.key] += 1
        if counts[item.key] > MAX_FILES_PER_ROW:
            raise ValidationError({item.key: [f"每项最多上传{MAX_FILES_PER_ROW}个佐证材料。"]})
        row = _evidence_parent(item.key, rows, unit=unit, period=period, by=by, today=today)
        name = clean_name(item.upload.name or "")
        evidence = Evidence(
            name=name,
            size=item.upload.size,
            uploaded_by=by,
            **({"submission": row} if isinstance(row, Submission) else {"task_report": row}),
        )
        evidence.file.save(f"{uuid.uuid4().hex}{os.path.splitext(name)[1].lower()}", item.upload, save=False)
        stored.append(evidence.file.name)
        _stamp(evidence, by, f"上传佐证材料：{name}")
        evidence.save()


def _row_key(row: Submission | TaskReport) -> str:
    return f"indicator-{row.indicator_id}" if isinstance(row, Submission) else f"task-{row.task_id}"


def _review(
    row: Submission | TaskReport,
    *,
    by: User,
    allowed_from: tuple[str, ...],
    to: str,
    reason: str,
    version: int | None,
    audit: str,
) -> Submission | TaskReport:
    _ensure_reviewer(by)
    with transaction.atomic():
        row = type(row).objects.select_for_update().get(pk=row.pk)
        if version is not None and version != row.version:
            _claim(row, version)  # raises Conflict with who changed it
        if row.state not in allowed_from:
            raise ValidationError(f"{row}当前为“{row.get_state_display()}”，不能{audit}。")
        _claim(row, row.version)
        row.state, row.reviewed_at, row.reviewed_by = to, timezone.now(), by
        if to == ReviewState.RETURNED:
            row.return_reason = reason
        _stamp(row, by, f"{audit}：{reason}" if reason else audit)
        row.save()
        _schedule_rollup([row])
    return row


def _required(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"请填写{what}。")
    if len(reason) > TEXT_LIMIT:
        raise ValidationError(f"{what}不能超过{TEXT_LIMIT}字。")
    return reason


def review_approve(*, row: Submission | TaskReport, by: User, version: int | None = None):
    """Approve a submitted figure or task report. Approval locks it; an approved figure enters the roll-up."""
    return _review(
        row, by=by, allowed_from=(ReviewState.SUBMITTED,), to=ReviewState.APPROVED, reason="",
        version=version, audit="审核通过",
    )  # fmt: skip


def review_return(*, row: Submission | TaskReport, by: User, reason: str, version: int | None = None):
    """Return a submitted figure or task report to its unit with a reason the reporter will see."""
    reason = _required(reason, "退回理由")
    return _review(
        row, by=by, allowed_from=(ReviewState.SUBMITTED,), to=ReviewState.RETURNED, reason=reason,
        version=version, audit="退回",
    )  # fmt: skip


def review_reopen(*, row: Submission | TaskReport, by: User, reason: str, version: int | None = None):
    """Reopen an approved figure or task report: back to its unit as returned, out of the roll-up."""
    reason = _required(reason, "重新打开的理由")
    return _review(
        row, by=by, allowed_from=(ReviewState.APPROVED,), to=ReviewState.RETURNED, reason=reason,
        version=version, audit="重新打开",
    )  # fmt: skip


def review_approve_all(*, unit: Unit, period: Period, by: User) -> int:
    """Approve every submitted figure and task report of a unit for a period (each audited on its own)."""
    _ensure_reviewer(by)
    count = 0
    with transaction.atomic():
        for model in (Submission, TaskReport):
            for row in model.objects.filter(unit=unit, period=period, state=ReviewState.SUBMITTED):
                review_approve(row=row, by=by)
                count += 1
    return count


# ------------------------------------------------------------------------------------------------------------
# The office's settings: the calendar and who reports what. Each write audited with its user and reason.
# ------------------------------------------------------------------------------------------------------------


def period_update(
    *, period: Period, due_on: datetime.date, locks_on: datetime.date, by: User, reason: str
) -> Period:
    """Move a period's due and lock dates. Reviewers only, with a reason; the period still opens before it is
    due and is due before it locks. Late marks already given stay as they were."""
    _ensure_reviewer(by)
    reason = _required(reason, "修改原因")
    errors: dict[str, list[str]] = {}
    if due_on < period.opens_on:
        errors["due_on"] = [f"截止日期不能早于开始填报日期（{period.opens_on:%Y年%m月%d日}）。"]
    if locks_on < due_on:
        errors["locks_on"] = ["锁定日期不能早于截止日期。"]
    if errors:
        raise ValidationError(errors)
    if (period.due_on, period.locks_on) == (due_on, locks_on):
        return period
    period.due_on, period.locks_on = due_on, locks_on
    _stamp(period, by, f"调整填报期：{reason}")
    period.save()
    return period


def assignments_set(
    *, indicator: Indicator, units: list[Unit], lead: Unit | None, by: User, reason: str
) -> list[Assignment]:
    """Make `units` exactly the units reporting `indicator` (for a ratio: numerator and denominator both),
    `lead` among them the one whose figure counts when the indicator takes the lead unit's figure.

    Reviewers only, with a reason; one history row per assignment added, removed or changed. Figures already
    reported stay where they are. An indicator read from another indicator's figures takes no assignment;
    group units (单位组) never report."""
    _ensure_reviewer(by)
    reason = _required(reason, "调整原因")
    chosen = {unit.pk: unit for unit in units}
    if indicator.computed_from_id and chosen:
        raise ValidationError(f"{indicator.name}的数据取自其他指标，无需分配填报单位。")
    if any(unit.kind == Unit.Kind.GROUP for unit in chosen.values()):
        raise ValidationError("单位组不能作为填报单位，请选择具体单位。")
    if lead is not None and lead.pk not in chosen:
        raise ValidationError("牵头单位须是所选填报单位之一。")
    if lead is None and len(chosen) == 1:
        lead = next(iter(chosen.values()))
    audit = f"调整填报分工：{reason}"
    with transaction.atomic():
        rows = Assignment.objects.select_for_update().filter(indicator=indicator)
        current = {row.unit_id: row for row in rows}
        # Removals and lost leads first: the one-lead constraint must hold after every statement.
        for unit_id, row in current.items():
            if unit_id not in chosen:
                _stamp(row, by, audit)
                row.delete()
            elif row.is_lead and (lead is None or lead.pk != unit_id):
                row.is_lead = False
                _stamp(row, by, audit)
                row.save()
        for unit_id, unit in chosen.items():
            row = current.get(unit_id)
            is_lead = lead is not None and lead.pk == unit_id
            if row is None:
                row = Assignment(indicator=indicator, unit=unit, is_lead=is_lead)
            elif row.is_lead == is_lead:
                continue
            row.is_lead = is_lead
            _stamp(row, by, audit)
            row.save()
    return list(Assignment.objects.filter(indicator=indicator).select_related("unit"))


ADMIN_REASON = "管理后台修改：{reason}"


def admin_change(*, row: Model, by: User, reason: str, seen_version: int | None = None) -> Model:
    """Save a change made in the Django admin, audited with the admin user and the reason they typed.

    Figures and task reports keep their optimistic lock (a stale admin form raises Conflict); changing what
    counts in the roll-up (an approved figure, a target) schedules the roll-up of its indicator and year."""
    if not is_reviewer(by):
        raise PermissionDenied("只有办公室人员可以在管理后台修改数据。")
    reason = _required(reason, "修改原因")
    with transaction.atomic():
        if isinstance(row, Submission | TaskReport) and row.pk:
            _claim(row, seen_version)
        _stamp(row, by, ADMIN_REASON.format(reason=reason))
        row.save()
        if isinstance(row, Submission) and row.state == ReviewState.APPROVED:
            rollup_schedule(indicator_id=row.indicator_id, year=row.period.year, unit_id=row.unit_id)
        elif isinstance(row, Target):
            rollup_schedule(indicator_id=row.indicator_id, year=row.year)
    return row


def admin_delete(*, row: Model, by: User, reason: str) -> None:
    """Delete a row from the admin (targets, assignments), audited with the admin user and reason."""
    if not is_reviewer(by):
        raise PermissionDenied("只有办公室人员可以在管理后台修改数据。")
    reason = _required(reason, "修改原因")
    with transaction.atomic():
        _stamp(row, by, ADMIN_REASON.format(reason=reason))
        row.delete()
        if isinstance(row, Target):
            rollup_schedule(indicator_id=row.indicator_id, year=row.year)
