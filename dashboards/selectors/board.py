"""The 督办看板, a leader's landing page: per plan, at its latest rolled-up quarter, the indicators behind
(落后) and at risk (预警) and the lagging or not-started tasks, most serious first, each with its responsible
units and their reporting state that quarter, the pace still needed, and the 督办 already open on it.

Nothing is recomputed here: statuses, completion, pace and forecast are the roll-up's (`Progress`), a
unit's reporting state is the roll-up's `Timeliness`, a task's status is `progress.selectors.task_lines`,
the units an indicator names are the overview's `indicator_units`. A fixed number of queries per plan."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from dashboards.selectors.common import pace_percent, period_choose, progress_quarters
from dashboards.selectors.overview import indicator_units
from ipcity.quarters import Quarter
from plans.models import Plan, Unit
from progress.coverage import coverage_text, forecast_basis
from progress.models import Progress, Timeliness
from progress.selectors import NO_REPORT, PROGRESS_STATUSES, TASK_STATUSES, TaskLine, progress_for, task_lines
from reporting.models import Period
from supervision.models import SupervisionItem

# Most serious first: the order rows are listed in, across plans too.
INDICATOR_SEVERITY = {PROGRESS_STATUSES.BEHIND: 0, PROGRESS_STATUSES.AT_RISK: 1}
TASK_ORDER = {TASK_STATUSES.LAGGING: 0, TASK_STATUSES.NOT_STARTED: 1, NO_REPORT: 2}
WATCHED_TASKS = (TASK_STATUSES.LAGGING, TASK_STATUSES.NOT_STARTED)
LATE = (Timeliness.Status.MISSING, Timeliness.Status.RETURNED)


@dataclass
class UnitState:
    unit: Unit
    lead: bool
    timeliness: Timeliness | None  # the roll-up's reporting state of the unit for the plan and quarter

    @property
    def label(self) -> str:
        return self.timeliness.get_status_display() if self.timeliness else "无应报事项"

    @property
    def state(self) -> str:
        return self.timeliness.status if self.timeliness else ""


@dataclass
class IndicatorRow:
    plan: Plan
    at: Quarter
    progress: Progress
    units: list[UnitState]
    crowded: bool
    open_items: int = 0

    @property
    def indicator(self):
        return self.progress.indicator

    @property
    def status_label(self) -> str:
        return PROGRESS_STATUSES(self.progress.status).label

    @property
    def pace(self) -> Decimal | None:
        return pace_percent(self.progress)

    @property
    def gap(self) -> Decimal:
        """Points behind the expected pace (序时进度): how serious, within one status."""
        pace = pace_percent(self.progress)
        if pace is None or self.progress.completion is None:
            return Decimal(0)
        return pace - self.progress.completion

    @property
    def coverage(self) -> str:
        return coverage_text(self.progress)

    @property
    def forecast_basis(self) -> str:
        return forecast_basis(self.progress)

    def sort_key(self) -> tuple:
        return (INDICATOR_SEVERITY[self.progress.status], -self.gap, self.plan.slug, self.indicator.position)


@dataclass
class TaskRow:
    plan: Plan
    at: Quarter
    line: TaskLine
    units: list[UnitState]
    open_items: int = 0

    @property
    def task(self):
        return self.line.task

    def sort_key(self) -> tuple:
        return (TASK_ORDER[self.line.status], self.plan.slug, self.line.section.number, self.task.number)


@dataclass
class PlanBoard:
    plan: Plan
    at: Quarter | None
    indicators: list[IndicatorRow] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)
    late: list[Timeliness] = field(default_factory=list)  # units missing or returned this quarter


@dataclass
class Board:
    plans: list[PlanBoard]

    @property
    def indicators(self) -> list[IndicatorRow]:
        """Every plan's rows together, most serious first."""
        return sorted((row for board in self.plans for row in board.indicators), key=IndicatorRow.sort_key)

    @property
    def tasks(self) -> list[TaskRow]:
        return sorted((row for board in self.plans for row in board.tasks), key=TaskRow.sort_key)

    @property
    def late_count(self) -> int:
        return sum(len(board.late) for board in self.plans)

    @property
    def counts(self) -> Counter[str]:
        return Counter(row.progress.status for board in self.plans for row in board.indicators)


def _open_items(plan: Plan) -> tuple[Counter[int], Counter[int]]:
    """Open 督办 (not yet 办结) per indicator and per task of the plan. One query."""
    by_indicator: Counter[int] = Counter()
    by_task: Counter[int] = Counter()
    for indicator_id, task_id in (
        SupervisionItem.objects.exclude(state=SupervisionItem.State.CLOSED)
        .filter(Q(indicator__plan=plan) | Q(task__section__plan=plan))
        .values_list("indicator_id", "task_id")
    ):
        if indicator_id:
            by_indicator[indicator_id] += 1
        if task_id:
            by_task[task_id] += 1
    return by_indicator, by_task


def _states(units: list[tuple[Unit, bool]], timeliness: dict[int, Timeliness]) -> list[UnitState]:
    return [UnitState(unit, lead, timeliness.get(unit.pk)) for unit, lead in units]


def plan_board(plan: Plan) -> PlanBoard:
    """One plan's rows at its latest rolled-up quarter that is due (as the dashboards choose it)."""
    at = period_choose(progress_quarters(plan), None).at
    board = PlanBoard(plan=plan, at=at)
    if at is None:
        return board
    watched = [
        row
        for row in progress_for(plan, at.year, at.quarter).select_related("indicator")
        if row.status in INDICATOR_SEVERITY
    ]
    period = Period.objects.filter(year=at.year, quarter=at.quarter).first()
    timeliness = (
        {
            row.unit_id: row
            for row in Timeliness.objects.filter(plan=plan, period=period).select_related("unit")
        }
        if period
        else {}
    )
    board.late = sorted(
        (row for row in timeliness.values() if row.status in LATE),
        key=lambda row: (row.status != Timeliness.Status.MISSING, row.unit.name),
    )
    by_indicator, by_task = _open_items(plan)
    if watched:
        units = indicator_units([row.indicator for row in watched])
        for row in watched:
            shown, crowded = units.get(row.indicator_id, ([], False))
            leads = [(unit, index == 0) for index, unit in enumerate(shown)]
            board.indicators.append(
                IndicatorRow(
                    plan, at, row, _states(leads, timeliness), crowded, by_indicator[row.indicator_id]
                )
            )
    for line in task_lines(plan, at):
        if line.status in WATCHED_TASKS:
            units = [(progress.unit, progress.role == "lead") for progress in line.units]
            board.tasks.append(TaskRow(plan, at, line, _states(units, timeliness), by_task[line.task.pk]))
    board.indicators.sort(key=IndicatorRow.sort_key)
    board.tasks.sort(key=TaskRow.sort_key)
    return board


def supervision_board(plans: list[Plan]) -> Board:
    """Every plan's board (a fixed number of queries per plan, none growing with units or submissions)."""
    return Board([plan_board(plan) for plan in plans])
