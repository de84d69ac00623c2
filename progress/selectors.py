"""Reads that span indicators' relations."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from ipcity.quarters import Quarter, up_to
from plans.models import Plan, Section, Task, TaskUnit, Unit
from progress.models import Progress
from reporting.models import ReviewState, TaskReport


def progress_for(plan: Plan, year: int, quarter: int, region_id: int | None = None) -> QuerySet[Progress]:
    """The rolled-up progress of a plan's indicators at a quarter, for the plan's own region unless another is
    given, in document order. The progress API, the dashboards and the Excel report all read through this."""
    return (
        Progress.objects.filter(
            plan=plan,
            indicator__plan=plan,  # the way in: the unique key, indicator first (`Progress`)
            year=year,
            quarter=quarter,
            region_id=region_id if region_id is not None else plan.region_id,
        )
        .select_related("indicator")
        .order_by("indicator__position", "indicator__code")
    )


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


@dataclass
class StatusCount:
    status: str
    label: str
    count: int


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


def task_status_counts(lines: list[TaskLine]) -> list[StatusCount]:
    counted = Counter(line.status for line in lines)
    return [StatusCount(value, label, counted[value]) for value, label in TASK_STATUS_CHOICES]


def expected_pace(plan: Plan, year: int, quarter: int) -> dict[int, Decimal | None]:
    """Each indicator's expected pace (序时进度) at the quarter in the plan's own region, by indicator id."""
    return dict(progress_for(plan, year, quarter).values_list("indicator_id", "expected"))
