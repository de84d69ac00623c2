"""The office's review queue (each unit's reporting for a quarter) and a row's review history."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Min, QuerySet

from audit.models import AuditRecord
from audit.selectors import Change, changes
from indicators.models import Assignment
from plans.models import Plan, TaskUnit, Unit
from reporting.models import Evidence, Period, ReviewState, Submission, TaskReport


@dataclass
class QueueRow:
    """One unit's reporting for a period, as the office's review queue shows it."""

    unit: Unit
    expected: int
    draft: int
    submitted: int
    returned: int
    approved: int
    late: int

    @property
    def missing(self) -> int:
        return max(0, self.expected - self.submitted - self.returned - self.approved)

    @property
    def status(self) -> str:
        if self.submitted:
            return "submitted"
        if self.returned:
            return "returned"
        if self.expected and self.approved >= self.expected:
            return "approved"
        if self.submitted + self.approved + self.returned == 0:
            return "missing"
        return "partial"

    @property
    def status_label(self) -> str:
        return {
            "submitted": "待审核",
            "returned": "退回待修改",
            "approved": "已全部审核",
            "missing": "未报送",
            "partial": "部分报送",
        }[self.status]


def _count_by_unit(queryset: QuerySet, **filters) -> dict[int, int]:
    return dict(queryset.filter(**filters).values_list("unit_id").annotate(n=Count("pk")))


# Where each model's items name their plan.
PLAN_OF = {Submission: "indicator__plan", TaskReport: "task__section__plan"}


def review_queue(period: Period, plan: Plan | None = None) -> list[QueueRow]:
    """Every unit that reports in the period (group units never do), with its items by state and its late
    items: the units with figures awaiting review first. Only `plan`'s items when given. A fixed number of
    queries."""
    running = {"plan__start_year__lte": period.year, "plan__end_year__gte": period.year}
    if plan is not None:
        running["plan"] = plan
    indicators = _count_by_unit(
        Assignment.objects.filter(
            **{f"indicator__{key}": value for key, value in running.items()},
            indicator__computed_from__isnull=True,
        )
    )
    tasks = _count_by_unit(
        TaskUnit.objects.filter(**{f"task__section__{key}": value for key, value in running.items()})
    )
    states: Counter[tuple[int, str]] = Counter()
    late: Counter[int] = Counter()
    for model in (Submission, TaskReport):
        items = model.objects.filter(period=period)
        if plan is not None:
            items = items.filter(**{PLAN_OF[model]: plan})
        for unit_id, state, is_late, count in items.values_list("unit_id", "state", "is_late").annotate(
            n=Count("pk")
        ):
            states[(unit_id, state)] += count
            if is_late and state != ReviewState.DRAFT:
                late[unit_id] += count
    unit_ids = set(indicators) | set(tasks) | {unit_id for unit_id, _ in states}
    units = Unit.objects.filter(pk__in=unit_ids).exclude(kind=Unit.Kind.GROUP).select_related("region")
    rows = [
        QueueRow(
            unit=unit,
            expected=indicators.get(unit.pk, 0) + tasks.get(unit.pk, 0),
            draft=states[(unit.pk, ReviewState.DRAFT)],
            submitted=states[(unit.pk, ReviewState.SUBMITTED)],
            returned=states[(unit.pk, ReviewState.RETURNED)],
            approved=states[(unit.pk, ReviewState.APPROVED)],
            late=late[unit.pk],
        )
        for unit in units
    ]
    order = {"submitted": 0, "missing": 1, "partial": 2, "returned": 3, "approved": 4}
    return sorted(rows, key=lambda row: (order[row.status], row.unit.region.code, row.unit.name))


@dataclass
class PendingRow:
    """One unit's items of one quarter still to be dealt with: awaiting review, or returned to the unit."""

    period: Period
    unit: Unit
    submitted: int = 0
    returned: int = 0
    since: datetime.datetime | None = None  # the oldest item's time of sending


@dataclass
class QuarterCount:
    period: Period
    submitted: int = 0
    returned: int = 0


@dataclass
class PendingQueue:
    rows: list[PendingRow]  # oldest quarter first, then the unit waiting longest
    quarters: list[QuarterCount]  # every quarter with anything pending, oldest first

    @property
    def submitted(self) -> int:
        return sum(count.submitted for count in self.quarters)

    @property
    def returned(self) -> int:
        return sum(count.returned for count in self.quarters)


QUEUE_STATES = {"submitted": "待审核", "returned": "已退回待修改", "all": "待审核和已退回"}


def pending_queue(*, plan: Plan | None = None, state: str = "submitted") -> PendingQueue:
    """Everything awaiting review (`state` submitted), returned to its unit (returned) or both (all), across
    every quarter: one row per unit and quarter, the oldest quarter first and within it the unit that has
    waited longest; and the counts per quarter. Four queries, however many quarters and units."""
    states = [ReviewState.SUBMITTED, ReviewState.RETURNED] if state == "all" else [state]
    counted: Counter[tuple[int, int, str]] = Counter()
    since: dict[tuple[int, int], datetime.datetime] = {}
    for model in (Submission, TaskReport):
        items = model.objects.filter(state__in=states)
        if plan is not None:
            items = items.filter(**{PLAN_OF[model]: plan})
        grouped = items.values_list("period_id", "unit_id", "state").annotate(
            n=Count("pk"), at=Min("submitted_at")
        )
        for period_id, unit_id, item_state, count, sent_at in grouped:
            counted[(period_id, unit_id, item_state)] += count
            key = (period_id, unit_id)
            since[key] = min(since.get(key, sent_at), sent_at)
    periods = Period.objects.in_bulk({period_id for period_id, _ in since})
    units = Unit.objects.select_related("region").in_bulk({unit_id for _, unit_id in since})
    found = [
        PendingRow(
            periods[period_id],
            units[unit_id],
            submitted=counted[(period_id, unit_id, ReviewState.SUBMITTED)],
            returned=counted[(period_id, unit_id, ReviewState.RETURNED)],
            since=sent_at,
        )
        for (period_id, unit_id), sent_at in since.items()
    ]
    quarters: dict[int, QuarterCount] = {}
    for row in found:
        count = quarters.setdefault(row.period.pk, QuarterCount(row.period))
        count.submitted += row.submitted
        count.returned += row.returned
    oldest = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    rows = sorted(
        found,
        key=lambda row: (row.period.year, row.period.quarter, row.since or oldest, row.unit.name),
    )
    return PendingQueue(
        rows, sorted(quarters.values(), key=lambda count: (count.period.year, count.period.quarter))
    )


def next_awaiting(period: Period, after: Unit, plan: Plan | None = None) -> PendingRow | None:
    """Where the office goes after finishing `after`'s quarter: the next unit of the queue awaiting review,
    in the same quarter first. None when nothing else awaits review."""
    rows = [
        row for row in pending_queue(plan=plan).rows if (row.period.pk, row.unit.pk) != (period.pk, after.pk)
    ]
    same = [row for row in rows if row.period.pk == period.pk]
    return (same or rows or [None])[0]


# The audit trail -------------------------------------------------------------------------------------------

AUDITED_FIELDS = {
    Submission: ["value", "numerator", "denominator", "done", "note", "state", "return_reason", "is_late"],
    TaskReport: ["status", "progress", "problems", "next_steps", "state", "return_reason", "is_late"],
}


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    reason: str
    action: str  # 新建 / 修改 / 删除, or what happened to an evidence file
    changes: list[Change]


def row_history(row: Submission | TaskReport) -> list[HistoryEntry]:
    """The audit trail of a figure or task report, newest first: who, when, why, and each field's old and new
    value (consecutive history records compared), with its evidence uploads and removals. Two queries."""
    fields = [type(row)._meta.get_field(name) for name in AUDITED_FIELDS[type(row)]]
    records = list(row.history.select_related("history_user").order_by("history_date", "history_id"))
    entries: list[HistoryEntry] = []
    previous = None
    for record in records:
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=str(record.history_user or "系统"),
                reason=record.history_change_reason or "",
                action=AuditRecord.Kind(record.history_type).label,
                changes=changes(fields, previous, record),
            )
        )
        previous = record
    parent = {"submission_id" if isinstance(row, Submission) else "task_report_id": row.pk}
    for record in Evidence.history.filter(**parent).select_related("history_user"):
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=str(record.history_user or "系统"),
                reason=record.history_change_reason or "",
                action={"+": "上传佐证材料", "~": "修改佐证材料", "-": "删除佐证材料"}[record.history_type],
                changes=[
                    Change("佐证材料", "—", record.name)
                    if record.history_type != "-"
                    else Change("佐证材料", record.name, "—")
                ],
            )
        )
    entries.sort(key=lambda entry: entry.when)  # stable: equal times keep their order, then newest first
    entries.reverse()
    return entries
