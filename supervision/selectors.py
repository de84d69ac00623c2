"""Reading 批示 and 督办事项, scoped as everything else: a reporter sees what concerns its own unit (another
unit's item is simply not found), the office and leaders see everything."""

from __future__ import annotations

import datetime

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from accounts.permissions import READERS, has_role, is_reporter
from indicators.models import Assignment
from plans.models import TaskUnit
from supervision.models import Instruction, Response, SupervisionItem

CoUnit = SupervisionItem.co_units.through
# Open items first (the lead unit owes an answer), then answered (the office owes a check), then closed.
_STATE_ORDER = Case(
    When(state__in=SupervisionItem.OPEN, then=Value(0)),
    When(state=SupervisionItem.State.ANSWERED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def items_visible(user) -> QuerySet[SupervisionItem]:
    """The items `user` may see: a reporter those its unit leads or helps with; readers all."""
    items = SupervisionItem.objects.all()
    if is_reporter(user):
        co = CoUnit.objects.filter(unit_id=user.unit_id).values("supervisionitem_id")
        return items.filter(Q(lead_unit_id=user.unit_id) | Q(pk__in=co))
    if has_role(user, READERS):
        return items
    return items.none()


def items_listed(user, *, state: str = "") -> QuerySet[SupervisionItem]:
    """The visible items, open first then by deadline, with what a list row shows (three queries)."""
    items = items_visible(user)
    if state == "open":
        items = items.filter(state__in=SupervisionItem.OPEN)
    elif state:
        items = items.filter(state=state)
    return (
        items.select_related("lead_unit", "issued_by", "indicator", "task", "unit")
        .prefetch_related("co_units")
        .order_by(_STATE_ORDER, "deadline", "id")
    )


def item_detail(user, pk: int) -> SupervisionItem:
    """One visible item with its answers and their files (Http404 for another unit's)."""
    from django.shortcuts import get_object_or_404

    answers = (
        Response.objects.select_related("answered_by").prefetch_related("files").order_by("answered_at", "id")
    )
    return get_object_or_404(
        items_listed(user).prefetch_related(Prefetch("responses", queryset=answers)), pk=pk
    )


def open_items_count(unit_id: int) -> int:
    """How many items the unit leads still wait for its answer (one query)."""
    return SupervisionItem.objects.filter(lead_unit_id=unit_id, state__in=SupervisionItem.OPEN).count()


def instruction_units(instruction: Instruction) -> list[int]:
    """The units a 批示 concerns: its indicator's reporting units (a computed one's source's), its task's
    named units, or its unit. One query."""
    if instruction.indicator_id:
        source = instruction.indicator.computed_from_id or instruction.indicator_id
        return list(Assignment.objects.filter(indicator_id=source).values_list("unit_id", flat=True))
    if instruction.task_id:
        return list(TaskUnit.objects.filter(task_id=instruction.task_id).values_list("unit_id", flat=True))
    return [instruction.unit_id]


def instructions_visible(user) -> QuerySet[Instruction]:
    """批示 a user may read: readers all; a reporter those on its unit, on an indicator it reports (or whose
    source it reports) and on a task it is named on."""
    rows = Instruction.objects.all()
    if is_reporter(user):
        unit = user.unit_id
        reported = Assignment.objects.filter(unit_id=unit).values("indicator_id")
        return rows.filter(
            Q(unit_id=unit)
            | Q(indicator_id__in=reported)
            | Q(indicator__computed_from_id__in=reported)
            | Q(task_id__in=TaskUnit.objects.filter(unit_id=unit).values("task_id"))
        )
    if has_role(user, READERS):
        return rows
    return rows.none()


def instructions_listed(user, **subject) -> QuerySet[Instruction]:
    """Visible 批示, newest first, optionally on one subject (`indicator_id=…`, `task_id=…`, `unit_id=…`)."""
    return (
        instructions_visible(user)
        .filter(**subject)
        .select_related("author", "indicator", "task", "unit")
        .order_by("-created_at", "-id")
    )


def items_due_for_reminder(today: datetime.date, days_before: int) -> QuerySet[SupervisionItem]:
    """Open items whose deadline is within `days_before` days or already past."""
    return SupervisionItem.objects.filter(
        state__in=SupervisionItem.OPEN, deadline__lte=today + datetime.timedelta(days=days_before)
    ).select_related("lead_unit")
