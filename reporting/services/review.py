"""Submitting a quarter and the office's review: submit, approve, return, reopen.

Every transition is audited with who and why; an approval, reopening or change of an approved figure
queues the roll-up of its indicator and year in the same transaction."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import ensure_reporter_of, ensure_reviewer
from audit.services import claim, reason_required, rows_write, stamp
from indicators.measures import figure_missing, figure_needs_note
from indicators.models import Indicator
from indicators.rollup_queue import RollupBatch, rollup_batch, rollup_schedule_all
from notifications.models import Notification
from notifications.services import notify
from plans.models import Task, Unit
from reporting.models import Period, ReviewState, Submission, TaskReport
from reporting.selectors import unit_indicators, unit_tasks
from reporting.services.calendar import today_or
from reporting.services.entry import (
    EDITABLE,
    _ensure_accepts,
    _figure_of,
    _history_values,
)

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class SubmitResult:
    figures: int
    tasks: int
    late: bool


def _figure_problem(
    row: Submission, indicator: Indicator, history: dict[int, list[Decimal]] | None = None
) -> str | None:
    """Why a stored figure cannot be submitted yet (missing value, or a note the figure needs), or None.
    `history`: the unit's earlier figures by indicator (`_history_values`), read here when not given."""
    figure = _figure_of(row)
    if history is None:
        history = _history_values(row.unit, [indicator], row.period)
    return figure_missing(indicator, figure) or figure_needs_note(
        indicator, figure, history.get(indicator.pk, [])
    )


def _report_problem(report: TaskReport) -> str | None:
    """Why a stored task report cannot be submitted yet, or None."""
    if not report.progress.strip():
        return "请填写进展情况。"
    if report.status == TaskReport.Status.LAGGING and not report.problems.strip():
        return "推进滞后，请填写存在问题。"
    return None


def _owed_checked(
    owed: Iterable[Any],
    stored: dict[int, Any],
    errors: dict[str, list[str]],
    *,
    key: str,
    named: Callable[[Any], str],
    missing: str,
    problem: Callable[[Any, Any], str | None],
) -> list[Any]:
    """The stored rows of what the unit owes (indicators or tasks) that it may still submit. An item not
    stored yet, or whose row has a `problem`, adds a message naming it to `errors`, keyed `<key>-<id>`."""
    pending = []
    for item in owed:
        row = stored.get(item.pk)
        if row is None:
            errors[f"{key}-{item.pk}"] = [f"{named(item)}：{missing}"]
            continue
        if row.state not in EDITABLE:
            continue
        found = problem(row, item)
        if found:
            errors[f"{key}-{item.pk}"] = [f"{named(item)}：{found}"]
        pending.append(row)
    return pending


def _schedule_rollup(rows: list[Submission | TaskReport]) -> None:
    """Queue the roll-up of what these rows touch. Approving or reopening a figure changes the actuals; every
    submit, return or approval changes the unit's timeliness, which the roll-up of any indicator of the same
    plan and year recomputes — so a task report queues its plan's first indicator. Two reads and one write
    however many rows."""
    years = dict(Period.objects.filter(pk__in={row.period_id for row in rows}).values_list("pk", "year"))
    tasks = {row.task_id for row in rows if isinstance(row, TaskReport)}
    first = Indicator.objects.filter(plan=OuterRef("section__plan")).order_by("position").values("pk")[:1]
    firsts = dict(
        Task.objects.filter(pk__in=tasks).annotate(first=Subquery(first)).values_list("pk", "first")
        if tasks
        else ()
    )
    keys = set()
    for row in rows:
        indicator_id = row.indicator_id if isinstance(row, Submission) else firsts.get(row.task_id)
        if indicator_id is not None:
            keys.add((indicator_id, years[row.period_id], row.unit_id))
    with rollup_batch():
        rollup_schedule_all(sorted(keys))


def _submit_rows(
    rows: list[Submission | TaskReport], *, unit: Unit, period: Period, by: User, today: datetime.date
) -> SubmitResult:
    """Move checked, editable rows to submitted in one transaction, under the optimistic lock, in a fixed
    number of statements (`rows_write`). Drafts need the period to accept the unit; returned rows may always
    be resubmitted. Late after the due date."""
    if any(row.state == ReviewState.DRAFT for row in rows):
        _ensure_accepts(period, unit, today)
    now = timezone.now()
    late = today > period.due_on
    changed: dict[type, list] = {}
    for row in rows:
        changed.setdefault(type(row), []).append((row, row.version))
        resubmitted = row.state == ReviewState.RETURNED
        row.state, row.submitted_at, row.submitted_by, row.is_late = ReviewState.SUBMITTED, now, by, late
        row.return_reason = ""
        stamp(row, by, "重新报送" if resubmitted else ("逾期报送" if late else "报送"))
    with transaction.atomic():
        for model, pairs in changed.items():
            rows_write(model, changed=pairs, fields=SUBMITTED_FIELDS)
        _schedule_rollup(rows)
    return SubmitResult(
        figures=sum(isinstance(row, Submission) for row in rows),
        tasks=sum(isinstance(row, TaskReport) for row in rows),
        late=late,
    )


SUBMITTED_FIELDS = ["state", "submitted_at", "submitted_by", "is_late", "return_reason"]


def unit_period_submit(
    *,
    unit: Unit,
    period: Period,
    by: User,
    today: datetime.date | None = None,
    expected: int | None = None,
) -> SubmitResult:
    """Submit everything the unit owes for the period at once: every assigned figure and every task report.

    All or nothing: if any figure or task report is missing, incomplete, or needs an explanatory note (a stock
    that falls, a value far outside the unit's history), a ValidationError lists every problem and nothing is
    submitted. Submissions after the due date are marked late. With `expected` (the count the reporter
    confirmed), a different number to submit raises ValidationError and submits nothing.
    """
    ensure_reporter_of(by, unit)
    today = today_or(today)
    indicators = unit_indicators(unit, period.year)
    tasks = unit_tasks(unit, period.year)
    figures = {row.indicator_id: row for row in Submission.objects.filter(unit=unit, period=period)}
    reports = {row.task_id: row for row in TaskReport.objects.filter(unit=unit, period=period)}
    history = _history_values(unit, indicators, period)
    errors: dict[str, list[str]] = {}
    pending = _owed_checked(
        indicators,
        figures,
        errors,
        key="indicator",
        named=lambda indicator: indicator.name,
        missing="尚未填写。",
        problem=lambda row, indicator: _figure_problem(row, indicator, history),
    ) + _owed_checked(
        tasks,
        reports,
        errors,
        key="task",
        named=lambda task: f"任务“{task.title}”",
        missing="尚未填写进展。",
        problem=lambda report, _task: _report_problem(report),
    )
    if errors:
        raise ValidationError(errors)
    if not pending:
        raise ValidationError("本季度没有待报送的内容。")
    if expected is not None and len(pending) != expected:
        raise ValidationError(
            f"您确认报送{expected}项，但本季度现有{len(pending)}项待报送（其间有变化），本次未报送；"
            "请核对后重新报送。"
        )
    return _submit_rows(pending, unit=unit, period=period, by=by, today=today)


def submission_submit(
    *, submission: Submission, by: User, version: int | None = None, today: datetime.date | None = None
) -> Submission:
    """Submit one figure on its own (the API's per-figure submit), with exactly the checks a whole-quarter
    submit applies to that figure. A stale `version` raises Conflict; problems raise a ValidationError keyed
    `indicator-<id>`; nothing is written unless the figure is submitted."""
    ensure_reporter_of(by, submission.unit)
    row = Submission.objects.select_related("indicator", "unit", "period").get(pk=submission.pk)
    if version is not None and version != row.version:
        claim(row, version)  # raises Conflict naming when it changed
    key, name = f"indicator-{row.indicator_id}", row.indicator.name
    if row.state not in EDITABLE:
        raise ValidationError({key: [f"{name}：当前为“{row.get_state_display()}”，不能重复报送。"]})
    problem = _figure_problem(row, row.indicator)
    if problem:
        raise ValidationError({key: [f"{name}：{problem}"]})
    _submit_rows([row], unit=row.unit, period=row.period, by=by, today=today_or(today))
    return row


@dataclass(frozen=True)
class Transition:
    """One step of the office's review: from which states, to which, the word the audit trail and a refusal
    use, and what the required reason is called (None: no reason asked)."""

    allowed_from: tuple[str, ...]
    to: str
    audit: str
    reason: str | None = None


APPROVE = Transition((ReviewState.SUBMITTED,), ReviewState.APPROVED, "审核通过")
RETURN = Transition((ReviewState.SUBMITTED,), ReviewState.RETURNED, "退回", reason="退回理由")
REOPEN = Transition((ReviewState.APPROVED,), ReviewState.RETURNED, "重新打开", reason="重新打开的理由")


def review(
    *, row: Submission | TaskReport, step: Transition, by: User, reason: str = "", version: int | None = None
) -> Submission | TaskReport:
    """Move a figure or task report one review step, audited with who and why, under the optimistic lock
    (a `version` the reviewer saw that is no longer current raises Conflict). Approval locks the row and
    enters it in the roll-up; a return or reopening sends it back to its unit with the reason."""
    ensure_reviewer(by)
    reason = reason_required(reason, step.reason) if step.reason else ""
    with transaction.atomic():
        row = type(row).objects.select_for_update().get(pk=row.pk)
        if version is not None and version != row.version:
            claim(row, version)  # raises Conflict with who changed it
        if row.state not in step.allowed_from:
            raise ValidationError(f"{row}当前为“{row.get_state_display()}”，不能{step.audit}。")
        claim(row, row.version)
        row.state, row.reviewed_at, row.reviewed_by = step.to, timezone.now(), by
        if step.to == ReviewState.RETURNED:
            row.return_reason = reason
        stamp(row, by, f"{step.audit}：{reason}" if reason else step.audit)
        row.save()
        _schedule_rollup([row])
        if step.to == ReviewState.RETURNED:
            _tell_unit(row, step, reason)
    return row


def _tell_unit(row: Submission | TaskReport, step: Transition, reason: str) -> None:
    """The unit's reporters hear of a return or a reopening at once (bell, email), with the reason."""
    what = row.indicator.name if isinstance(row, Submission) else f"任务“{row.task.title}”"
    kind = Notification.Kind.REOPENED if step is REOPEN else Notification.Kind.RETURNED
    notify(
        units=[row.unit],
        kind=kind,
        text=f"{row.period}{what}已被办公室{step.audit}：{reason}。请修改后重新报送。",
        link=f"{reverse('report')}?period={row.period.at.param}",
    )


def review_approve(*, row: Submission | TaskReport, by: User, version: int | None = None):
    return review(row=row, step=APPROVE, by=by, version=version)


def review_return(*, row: Submission | TaskReport, by: User, reason: str, version: int | None = None):
    return review(row=row, step=RETURN, by=by, reason=reason, version=version)


def review_reopen(*, row: Submission | TaskReport, by: User, reason: str, version: int | None = None):
    return review(row=row, step=REOPEN, by=by, reason=reason, version=version)


def review_approve_all(
    *, unit: Unit, period: Period, by: User, expected: int | None = None
) -> tuple[int, RollupBatch]:
    """Approve every submitted figure and task report of a unit for a period (each audited on its own), in one
    transaction that sends the roll-up once. Returns how many were approved and that send (its `sent` says
    whether the dashboards are being updated now or will catch up later). With `expected` (the count the
    office confirmed), a different number awaiting review raises ValidationError and approves nothing."""
    ensure_reviewer(by)
    count = 0
    with transaction.atomic(), rollup_batch() as batch:
        rows = [
            row
            for model in (Submission, TaskReport)
            for row in model.objects.filter(unit=unit, period=period, state=ReviewState.SUBMITTED)
        ]
        if expected is not None and len(rows) != expected:
            raise ValidationError(
                f"您确认的是{expected}项，但{unit}{period}现有{len(rows)}项待审核（其间有变化），"
                "未作审核；请核对后重新确认。"
            )
        for row in rows:
            review_approve(row=row, by=by)
            count += 1
    return count, batch
