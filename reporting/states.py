"""Where a quarter's figures stand: each owing unit's state for one indicator, and the items still with the
office. Pages and documents read these to say what a figure stands on (progress/coverage.py words it)."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import F, Value

from ipcity.quarters import Quarter
from plans.models import Plan, Unit
from reporting.models import Period, ReviewState, Submission, TaskReport
from reporting.selectors import owed_figures


@dataclass
class UnitFigure:
    """One owing unit's figure of an indicator for a quarter, and the state a reader is told."""

    unit: Unit
    is_lead: bool
    submission: Submission | None
    state: str  # approved / submitted / returned / missing (past due, or a draft) / not_due


def unit_figure_states(
    indicator_id: int, period: Period, today: datetime.date, *, units: Collection[int] | None = None
) -> list[UnitFigure]:
    """Every unit owing the indicator's figure in the period (`owed_figures`), lead first then by name,
    with its figure of the quarter and its state: a unit that never reported is there as 未报送 once the
    period is due. Pass the indicator whose figures are reported (a computed one's source). Two queries."""
    owed = (
        owed_figures(year=period.year, units=units)
        .filter(indicator_id=indicator_id)
        .select_related("unit")
        .order_by("-is_lead", "unit__name", "unit_id")
    )
    submissions = {
        row.unit_id: row
        for row in Submission.objects.filter(
            indicator_id=indicator_id, period=period, unit_id__in=owed.values("unit_id")
        ).select_related("indicator")
    }
    due = today > period.due_on
    rows = []
    for assignment in owed:
        submission = submissions.get(assignment.unit_id)
        state = submission.state if submission else ReviewState.DRAFT
        if state == ReviewState.DRAFT:
            state = "missing" if due else "not_due"
        rows.append(UnitFigure(assignment.unit, assignment.is_lead, submission, state))
    return rows


AWAITING_SHOWN = 20


@dataclass
class AwaitingItem:
    unit: str
    kind: str  # 指标 / 任务
    name: str


@dataclass
class Awaiting:
    """The items of a plan's quarter still with the office: how many, and the first AWAITING_SHOWN."""

    count: int
    items: list[AwaitingItem]

    @property
    def more(self) -> int:
        return self.count - len(self.items)


def awaiting_review(plan: Plan, at: Quarter, *, shown: int = AWAITING_SHOWN) -> Awaiting:
    """The plan's figures and task reports of the quarter awaiting review (submitted, not yet approved or
    returned): their number and the first `shown` by unit, figures before tasks. One query, two when some
    are listed."""
    period = {"period__year": at.year, "period__quarter": at.quarter, "state": ReviewState.SUBMITTED}
    columns = ("who", "rank", "kind", "name", "position")
    figures = (
        Submission.objects.filter(**period, indicator__plan=plan)
        .annotate(who=F("unit__name"), rank=Value(0), kind=Value("指标"), name=F("indicator__name"))
        .annotate(position=F("indicator__position"))
        .values_list(*columns)
        .order_by()  # SQLite takes no ORDER BY (the models' default ordering) inside a UNION
    )
    tasks = (
        TaskReport.objects.filter(**period, task__section__plan=plan)
        .annotate(who=F("unit__name"), rank=Value(1), kind=Value("任务"), name=F("task__title"))
        .annotate(position=F("task__number"))
        .values_list(*columns)
        .order_by()
    )
    both = figures.union(tasks, all=True)
    count = both.count()
    if not count or not shown:
        return Awaiting(count, [])
    first = both.order_by("who", "rank", "position", "name")[:shown]  # task numbers restart per section
    return Awaiting(count, [AwaitingItem(unit, kind, name) for unit, _, kind, name, _ in first])
