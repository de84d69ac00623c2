"""The task board: every task of the plan with its status at the quarter, by the task-status rule."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.permissions import is_reporter
from dashboards.selectors.common import PeriodChoice, own_unit
from plans.models import Plan, Section
from progress.selectors import TASK_STATUSES, StatusCount, TaskLine, task_lines, task_status_counts


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
