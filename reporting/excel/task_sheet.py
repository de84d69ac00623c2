"""The template's sheet of task progress: one row per task the unit is named on for the quarter, with the
status and the three texts the reporting page asks for, prefilled with the quarter's stored report.

The layout constants are shared with the reader (`upload`, `preview`); the statuses offered are the model's,
as the reporting page offers them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from xlsxwriter.utility import xl_col_to_name

from ipcity.workbook import Cell, Column, SheetSpec, Validation, fit_width
from plans.models import Task, TaskUnit
from reporting.models import Period, TaskReport
from reporting.selectors import previous_task_reports, unit_tasks
from reporting.services.entry import EDITABLE

if TYPE_CHECKING:
    from plans.models import Unit

TASK_SHEET = "任务进展"
TASK_TITLE_ROWS = 2
TASK_HEADER_ROW = TASK_TITLE_ROWS + 1

# Column positions of the task sheet (0-based), shared by the writer and the reader.
T_KEY, T_NUMBER, T_TITLE, T_ROLE, T_STATE, T_STATUS, T_PROGRESS, T_PROBLEMS, T_NEXT = range(9)
TASK_WIDTH = T_NEXT + 1
TASK_TEXTS = {
    T_PROGRESS: ("progress", "进展情况"),
    T_PROBLEMS: ("problems", "存在问题"),
    T_NEXT: ("next_steps", "下步计划"),
}
TASK_INPUTS = {T_STATUS: "推进状态", **{column: label for column, (_, label) in TASK_TEXTS.items()}}
TASK_HEADERS = ["代码", "编号", "任务", "责任", "本季度状态", *TASK_INPUTS.values()]
WRAPPED = {T_TITLE, *TASK_TEXTS}
# The statuses offered, by the label the drop-down shows (the reporting page's choices).
STATUS_BY_LABEL = {label: value for value, label in TaskReport.Status.choices}


def task_key(task: Task) -> str:
    """How a template row names its task: numbers are unique within a plan's section."""
    return f"{task.section.plan.slug}/{task.section.number}/{task.number}"


def task_number(task: Task) -> str:
    """The task's number as the reporting page shows it: （一）1."""
    return f"（{task.section.chinese_number}）{task.number}"


@dataclass(frozen=True)
class TaskSheetData:
    """The unit's tasks for a quarter with its role on each and its stored report, and, for a task with none
    yet, its latest report of the quarters before (what 沿用上季度 copies), in four queries."""

    tasks: list[Task]
    roles: dict[int, str]
    current: dict[int, TaskReport]  # task id → the quarter's stored report
    carried: dict[int, TaskReport] = field(default_factory=dict)  # task id → an earlier quarter's report

    @classmethod
    def load(cls, unit: Unit, period: Period) -> TaskSheetData:
        tasks = unit_tasks(unit, period.year)
        roles = dict(TaskUnit.objects.filter(unit=unit, task__in=tasks).values_list("task_id", "role"))
        current = {row.task_id: row for row in TaskReport.objects.filter(unit=unit, period=period)}
        unreported = [task for task in tasks if task.pk not in current]
        carried = previous_task_reports(unit, period, unreported) if unreported else {}
        return cls(tasks=tasks, roles=roles, current=current, carried=carried)

    def seen(self) -> list[tuple[str, str]]:
        """(key, version of the stored report when the template was made; 0: none yet), in sheet order."""
        return [
            (task_key(task), str(self.current[task.pk].version if task.pk in self.current else 0))
            for task in self.tasks
        ]


def task_rows(data: TaskSheetData) -> Iterator[list[Any]]:
    """One row per task: read-only columns, then the status and the three texts prefilled with the stored
    report (unlocked), or locked (styled `na`) once the report is submitted or approved."""
    for task in data.tasks:
        row = data.current.get(task.pk)
        editable = row is None or row.state in EDITABLE
        # 沿用上季度: a task with nothing this quarter shows its last report's words, to edit
        shown = row or data.carried.get(task.pk)
        status = shown.get_status_display() if shown and shown.status else None
        inputs = [Cell(status, "input" if editable else "na")]
        inputs += [
            Cell(getattr(shown, name) if shown else None, "input" if editable else "na")
            for name, _ in TASK_TEXTS.values()
        ]
        state = row.get_state_display() if row else "未填写"
        if row is None and shown is not None:
            state = f"未填写（已填入{shown.period}内容）"
        yield [
            task_key(task),
            task_number(task),
            task.title,
            TaskUnit.Role(data.roles.get(task.pk, TaskUnit.Role.CO)).label,
            state,
            *inputs,
        ]


def task_sheet(data: TaskSheetData, *, unit: Unit, period: Period, protect: str) -> SheetSpec:
    first, last = TASK_HEADER_ROW + 1, TASK_HEADER_ROW + len(data.tasks)
    column = xl_col_to_name(T_STATUS)
    labels = list(STATUS_BY_LABEL)
    choice = {
        "validate": "list",
        "source": labels,
        "ignore_blank": True,
        "show_input": False,
        "error_title": "推进状态",
        "error_message": "请从下拉列表中选择：" + "、".join(labels) + "。",
    }
    widths = {
        T_KEY: 4,
        T_NUMBER: 8,
        T_TITLE: fit_width((task.title for task in data.tasks), minimum=16, maximum=30),
        T_ROLE: 6,
        T_STATE: 11,
        T_STATUS: 10,
        T_PROGRESS: 40,
        T_PROBLEMS: 30,
        T_NEXT: 30,
    }
    return SheetSpec(
        title=TASK_SHEET,
        title_rows=[
            f"{unit.name} {period} 重点任务进展填报模板",
            "请只在浅黄色单元格中填写：推进状态从下拉列表中选择；进展情况、存在问题、下步计划可直接修改"
            "（已填入本季度已保存的内容；本季度尚未填写的任务已填入最近一个季度的内容，即“沿用上季度”，请逐项核对修改）。"
            "整行留空的任务不会导入。导入后保存为草稿，请在本季度填报页面核对后报送。",
        ],
        columns=[
            Column(
                header, width=widths[index], hidden=index == T_KEY, style="wrap" if index in WRAPPED else None
            )
            for index, header in enumerate(TASK_HEADERS)
        ],
        rows=task_rows(data),
        size=len(data.tasks),
        body_style="cell",
        freeze_cols=T_TITLE + 1,
        validations=[Validation([f"{column}{first}:{column}{last}"], choice)] if data.tasks else [],
        protect=protect,
    )
