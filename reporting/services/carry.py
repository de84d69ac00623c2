"""沿用上季度: a unit's task progress of its last quarter copied into this quarter's drafts, to be edited."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from plans.models import Unit
from reporting.models import Period, ReviewState, TaskReport
from reporting.selectors import previous_task_reports, unit_tasks
from reporting.services.entry import EDITABLE, TASK_TEXTS, _Draft, _write_each

if TYPE_CHECKING:
    from accounts.models import User


@dataclass
class Carried:
    """What `task_reports_carry` did, by task key (`task-<id>`): copied (from which quarter), left alone
    because this quarter's texts were already written, or not copied (why)."""

    copied: dict[str, str] = field(default_factory=dict)  # key → the source quarter's name
    kept: list[str] = field(default_factory=list)  # everything already written here: nothing to fill
    skipped: dict[str, str] = field(default_factory=dict)  # key → why not
    conflicts: dict[str, str] = field(default_factory=dict)


def _carried_values(previous: TaskReport, current: TaskReport | None, *, overwrite: bool) -> dict[str, str]:
    """The fields to write: every one with `overwrite`; otherwise only the texts still empty here, and the
    status only while this quarter's report holds nothing the reporter wrote (no text, the default status)."""
    texts = {name: getattr(previous, name) for name in TASK_TEXTS}
    if overwrite or current is None:
        return {"status": previous.status, **texts}
    values = {name: text for name, text in texts.items() if text and not getattr(current, name).strip()}
    untouched = not any(getattr(current, name).strip() for name in TASK_TEXTS)
    if untouched and current.status == TaskReport.Status.NOT_STARTED:
        values["status"] = previous.status
    return values


def task_reports_carry(
    *,
    unit: Unit,
    period: Period,
    tasks: Collection[int] | None,
    by: User,
    today: datetime.date,
    overwrite: bool = False,
) -> Carried:
    """Copy the unit's latest report of each task from the quarters before (`previous_task_reports`) —
    推进状态, 进展情况, 存在问题, 下步计划 — into this quarter's report, as a draft to edit.

    What the caller may rely on: `tasks` (task ids; None for every task the unit reports on) must be the
    unit's, else a ValidationError and nothing is written. Only reports that may still change (none yet,
    draft, returned) are written. Without `overwrite` a text already written here is never replaced, only
    empty ones are filled. Each report is written on its own under the optimistic lock and audited
    (“沿用<quarter>内容”); a report someone else changed meanwhile is a conflict, the others are written.
    The period must take the unit's drafts (a ValidationError otherwise)."""
    owed = {task.pk: task for task in unit_tasks(unit, period.year)}
    wanted = list(owed) if tasks is None else list(tasks)
    if any(task_id not in owed for task_id in wanted):
        raise ValidationError("本单位不是该任务的责任单位，不能沿用。")
    previous = previous_task_reports(unit, period, wanted)
    stored = TaskReport.objects.filter(unit=unit, period=period, task__in=wanted)
    current = {row.task_id: row for row in stored}
    carried = Carried()
    for task_id in wanted:
        key, source, row = f"task-{task_id}", previous.get(task_id), current.get(task_id)
        if source is None:
            carried.skipped[key] = "以前季度没有该任务的进展可沿用。"
            continue
        if row is not None and row.state not in EDITABLE:
            carried.skipped[key] = f"本季度进展{ReviewState(row.state).label}，不能修改。"
            continue
        values = _carried_values(source, row, overwrite=overwrite)
        draft = _Draft(
            key=key,
            row=row,
            values=values,
            version=None,
            new=lambda task_id=task_id: TaskReport(task_id=task_id, unit=unit, period=period),
        )
        if not draft.changes():
            carried.kept.append(key)
            continue
        written, conflicts = _write_each(
            [draft], unit=unit, period=period, by=by, today=today, reason=f"沿用{source.period}内容"
        )
        carried.copied.update({written_key: str(source.period) for written_key in written})
        carried.conflicts.update(conflicts)
    return carried
