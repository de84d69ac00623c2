"""Judging an upload's rows: the preview a reporter sees (every row's figure or task progress, or its
errors), and the confirmation that stores them.

Each figure row is read with `figure_parse` and checked with `figure_errors`, as the reporting form judges a
figure; each task row is checked with `progress_problems`, as the reporting form's save does; a formula in an
input cell is a row error. Nothing is written unless the user confirms a preview without errors; the
confirmation stores everything through `figures_save` and `task_reports_save` in one transaction, all or
nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from audit.services import TEXT_LIMIT
from indicators.measures import NO, YES, Figure, figure_errors, figure_parse
from indicators.models import Indicator
from ipcity.figures import plain
from reporting.excel.task_sheet import (
    STATUS_BY_LABEL,
    T_KEY,
    T_STATUS,
    TASK_INPUTS,
    TASK_SHEET,
    TASK_TEXTS,
    task_key,
    task_number,
)
from reporting.excel.template import COLUMNS, INPUTS, KEY, NOTE, indicator_key, shown_in_template
from reporting.excel.upload import Upload, cell_text, check_template, check_upload, read_upload
from reporting.models import Period, Submission, TaskReport
from reporting.selectors import unit_indicators, unit_tasks
from reporting.services.entry import (
    EDITABLE,
    FigureInput,
    ProgressInput,
    figures_save,
    progress_problems,
    task_reports_save,
)

if TYPE_CHECKING:
    from accounts.models import User
    from plans.models import Task, Unit


def _status(errors: list[str], read: Any, stored: Any, changes: Callable[[Any, Any], bool]) -> str:
    """What a row of the upload does: error, empty (nothing to import), same (equal to what is stored), new
    or changed."""
    if errors:
        return "error"
    if read is None:
        return "empty"
    if stored is None:
        return "new"
    return "changed" if changes(stored, read) else "same"


@dataclass(slots=True)
class PreviewRow:
    """One row of the upload: the figure read from it, or what is wrong with it."""

    number: int  # the sheet row, as the user sees it in Excel
    indicator: Indicator | None
    figure: Figure | None = None
    errors: list[str] = field(default_factory=list)
    stored: Submission | None = None
    seen_version: int | None = None
    typed: str = ""  # what the row's input cells held, as text (the preview shows it next to an error)
    typed_note: str = ""

    @property
    def status(self) -> str:
        """error, empty (nothing to import), same (equal to what is stored), new or changed."""
        return _status(self.errors, self.figure, self.stored, _changes)

    @property
    def name(self) -> str:
        return self.indicator.name if self.indicator else "（未知指标）"

    @property
    def shown(self) -> str:
        """The figure read from the row, as people write it."""
        return _as_text(self.indicator, self.figure)

    @property
    def stored_shown(self) -> str:
        """The quarter's figure now in the system, as people write it."""
        return _as_text(self.indicator, self.stored)


def _as_text(indicator: Indicator | None, figure: Figure | Submission | None) -> str:
    if indicator is None or figure is None:
        return ""
    shown = shown_in_template(indicator, figure.value, figure.numerator, figure.denominator, figure.done)
    return "" if shown is None else (shown if isinstance(shown, str) else plain(shown))


TEXTS = tuple(name for name, _ in TASK_TEXTS.values())


@dataclass(slots=True)
class TaskPreviewRow:
    """One row of the task sheet: the progress read from it, or what is wrong with it."""

    number: int
    task: Task | None
    progress: ProgressInput | None = None
    errors: list[str] = field(default_factory=list)
    stored: TaskReport | None = None
    typed_status: str = ""

    @property
    def status(self) -> str:
        """As PreviewRow.status."""
        return _status(self.errors, self.progress, self.stored, _progress_changes)

    @property
    def name(self) -> str:
        return f"{task_number(self.task)} {self.task.title}" if self.task else "（未知任务）"

    @property
    def status_label(self) -> str:
        if self.progress is None:
            return self.typed_status
        return TaskReport.Status(self.progress.status).label

    @property
    def stored_label(self) -> str:
        return self.stored.get_status_display() if self.stored else ""


def _progress_changes(stored: TaskReport, progress: ProgressInput) -> bool:
    return any(getattr(stored, name) != getattr(progress, name) for name in ("status", *TEXTS))


@dataclass
class ImportPreview:
    unit: Unit
    period: Period
    name: str
    rows: list[PreviewRow]
    tasks: list[TaskPreviewRow] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [error for row in [*self.rows, *self.tasks] for error in row.errors]

    def count(self, status: str) -> int:
        """Figure rows of `status`."""
        return sum(row.status == status for row in self.rows)

    def task_count(self, status: str) -> int:
        return sum(row.status == status for row in self.tasks)

    @property
    def task_writes(self) -> list[TaskPreviewRow]:
        return [row for row in self.tasks if row.status in ("new", "changed")]

    def task_inputs(self) -> list[ProgressInput]:
        return [row.progress for row in self.task_writes if row.progress is not None]

    @property
    def writes(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.status in ("new", "changed")]

    def inputs(self) -> list[FigureInput]:
        return [
            FigureInput(indicator_id=row.indicator.pk, figure=row.figure, version=row.seen_version)
            for row in self.writes
        ]


STORED_FIELDS = ("indicator", "value", "numerator", "denominator", "done", "note", "state", "version")


def _changes(stored: Submission, figure: Figure) -> bool:
    return (stored.value, stored.numerator, stored.denominator, stored.done, stored.note) != (
        figure.value,
        figure.numerator,
        figure.denominator,
        figure.done,
        figure.note,
    )


def _is_formula(value: Any) -> bool:
    # With data_only=False openpyxl hands back a formula as its text ("=…"), or as an object for array and
    # data-table formulas; text typed with a leading "=" is refused the same way.
    return isinstance(value, ArrayFormula | DataTableFormula) or (
        isinstance(value, str) and value.lstrip().startswith(("=", "＝"))
    )


def _typed(value: Any) -> str:
    """A cell as the preview and the messages quote it (at most 30 characters)."""
    text = cell_text(value.text if isinstance(value, ArrayFormula) else value)
    return text if len(text) <= 30 else text[:30] + "…"


def _formula_problems(number: int, values: tuple, inputs: dict[int, str] = INPUTS) -> list[str]:
    problems = []
    for column, label in inputs.items():
        value = values[column]
        if _is_formula(value):
            shown = _typed(value) or "数组公式"
            problems.append(
                f"{label}（{get_column_letter(column + 1)}{number}）是公式“{shown}”，"
                "本系统不计算公式，请直接填写数值。"
            )
    return problems


def _read_done(raw: Any) -> tuple[bool | None, str | None]:
    """A milestone's cell: 是 or 否 (or a boolean cell), as the template's drop-down offers."""
    if raw is True or cell_text(raw) == YES:
        return True, None
    if raw is False or cell_text(raw) == NO:
        return False, None
    if cell_text(raw):
        return None, f"是否完成请填写“{YES}”或“{NO}”，不能填写“{_typed(raw)}”。"
    return None, None


def _read_figure(values: tuple, indicator: Indicator) -> tuple[Figure, list[str]]:
    """The figure a row's input cells hold for its indicator, and what keeps them from being read."""
    raw: dict[str, object] = {name: values[column] for name, column in COLUMNS.items()}
    return figure_parse(indicator, {**raw, "note": cell_text(values[NOTE])}, read_done=_read_done)


def _judge(number: int, values: tuple, indicator: Indicator) -> PreviewRow:
    """One row read as the reporting form reads a figure: parsed, then checked by `figure_errors`."""
    typed = [values[COLUMNS[name]] for name in indicator.kind.inputs]
    row = PreviewRow(
        number=number,
        indicator=indicator,
        typed="/".join(map(_typed, typed)) if any(value is not None for value in typed) else "",
        typed_note=_typed(values[NOTE]),
    )
    problems = _formula_problems(number, values)
    if not problems:
        figure, problems = _read_figure(values, indicator)
        if not problems and figure.is_empty and figure.note:
            problems.append("只填写了说明，请同时填写数值。")
        elif not problems and not figure.is_empty:
            problems = figure_errors(indicator, figure)
        if len(figure.note) > TEXT_LIMIT:
            problems.append(f"说明不能超过{TEXT_LIMIT}字。")
        if not problems and not figure.is_empty:
            row.figure = figure
    row.errors = [f"第{number}行 {indicator.name}：{problem}" for problem in problems]
    return row


def template_read(file: IO[bytes], name: str) -> Upload:
    """The uploaded file's rows, parsed once (the upload page keeps them for the preview and confirmation).
    Raises ImportRefused when the file as a whole is refused."""
    check_upload(file, name)
    return read_upload(file)


def template_parse(file: IO[bytes], *, unit: Unit, period: Period, name: str | None = None) -> ImportPreview:
    """Read an uploaded template into a preview (see `template_judge`)."""
    name = name if name is not None else getattr(file, "name", "") or ""
    return template_judge(template_read(file, name), unit=unit, period=period, name=name)


def template_judge(upload: Upload, *, unit: Unit, period: Period, name: str) -> ImportPreview:
    """Judge a parsed upload: its signature, unit, quarter and layout (ImportRefused), then per row the figure
    read, or its errors (in Chinese, naming the sheet row and the indicator), against what is stored now.
    Writes nothing; reads the database in a fixed number of queries whatever the number of rows."""
    check_template(upload, unit=unit, period=period)
    indicators = {indicator_key(indicator): indicator for indicator in unit_indicators(unit, period.year)}
    # Only what the preview reads of a stored figure (`_changes`, `_as_text`, `_check_writable`): a template
    # holds up to IPCITY_IMPORT_MAX_ROWS rows, and each stored row is a model instance built from these.
    stored_rows = Submission.objects.filter(unit=unit, period=period).only(*STORED_FIELDS)
    stored = {row.indicator_id: row for row in stored_rows}
    seen_versions = dict(upload.indicators)
    rows: list[PreviewRow] = []
    first_row: dict[str, int] = {}
    for number, values in upload.rows:
        key = cell_text(values[KEY])
        indicator = indicators.get(key)
        if key not in seen_versions:
            rows.append(PreviewRow(number, None, errors=[f"第{number}行：不是模板中的指标行，不能导入。"]))
            continue
        if indicator is None:
            rows.append(
                PreviewRow(number, None, errors=[f"第{number}行：本单位已不再填报该指标，请重新下载模板。"])
            )
            continue
        if key in first_row:
            error = f"第{number}行 {indicator.name}：与第{first_row[key]}行是同一指标，请只保留一行。"
            rows.append(PreviewRow(number, indicator, errors=[error]))
            continue
        first_row[key] = number
        row = _judge(number, values, indicator)
        row.stored = stored.get(indicator.pk)
        version = seen_versions[key]
        row.seen_version = int(version) if version.isdigit() else -1
        if row.status in ("new", "changed"):
            _check_writable(row)
        rows.append(row)
    tasks = _judge_tasks(upload, unit=unit, period=period)
    return ImportPreview(unit=unit, period=period, name=name, rows=rows, tasks=tasks)


def _judge_tasks(upload: Upload, *, unit: Unit, period: Period) -> list[TaskPreviewRow]:
    """The task sheet's rows judged as `template_judge` judges figures, in two queries."""
    if not upload.tasks and not upload.task_rows:
        return []
    tasks = {task_key(task): task for task in unit_tasks(unit, period.year)}
    stored = {row.task_id: row for row in TaskReport.objects.filter(unit=unit, period=period)}
    seen_versions = dict(upload.tasks)
    rows: list[TaskPreviewRow] = []
    first_row: dict[str, int] = {}
    where = f"“{TASK_SHEET}”表第"
    for number, values in upload.task_rows:
        key = cell_text(values[T_KEY])
        task = tasks.get(key)
        if key not in seen_versions:
            rows.append(
                TaskPreviewRow(number, None, errors=[f"{where}{number}行：不是模板中的任务行，不能导入。"])
            )
            continue
        if task is None:
            error = f"{where}{number}行：本单位已不是该任务的责任单位，请重新下载模板。"
            rows.append(TaskPreviewRow(number, None, errors=[error]))
            continue
        row = TaskPreviewRow(number, task, stored=stored.get(task.pk))
        rows.append(row)
        if key in first_row:
            row.errors = [f"{where}{number}行 {row.name}：与第{first_row[key]}行是同一任务，请只保留一行。"]
            continue
        first_row[key] = number
        problems = _read_progress(row, values, seen_versions[key])
        if not problems and row.status in ("new", "changed"):
            problems = _progress_not_writable(row)
        if problems:
            row.progress = None
        row.errors = [f"{where}{number}行 {row.name}：{problem}" for problem in problems]
    return rows


def _read_progress(row: TaskPreviewRow, values: tuple, version: str) -> list[str]:
    """Read a task row's status and texts into row.progress (None for a row left empty); what is wrong."""
    problems = _formula_problems(row.number, values, TASK_INPUTS)
    if problems:
        return problems
    raw_status = values[T_STATUS]
    row.typed_status = _typed(raw_status)
    label = cell_text(raw_status)
    texts = {name: cell_text(values[column]) for column, (name, _) in TASK_TEXTS.items()}
    if not label and not any(texts.values()):
        return []  # a row left empty: nothing to import, nothing cleared
    status = STATUS_BY_LABEL.get(label, "")
    if label and not status:
        choices = "、".join(f"“{choice}”" for choice in STATUS_BY_LABEL)
        return [f"推进状态只能从下拉列表中选择{choices}，不能填写“{row.typed_status}”。"]
    task = row.task
    if task is None:  # a row of no owed task was refused before its values are read
        return ["该行不是本单位本年度的重点任务，不能导入。"]
    row.progress = ProgressInput(
        task_id=task.pk, status=status, version=int(version) if version.isdigit() else -1, **texts
    )
    return progress_problems(row.progress)


def _progress_not_writable(row: TaskPreviewRow) -> list[str]:
    """A changed report must still be editable and unchanged in the system since the template was made."""
    stored, progress = row.stored, row.progress
    if progress is None:  # its values could not be read: their problems are listed already
        return []
    if stored is not None and stored.state not in EDITABLE:
        return [f"{stored.get_state_display()}，不能修改。如需更正请联系办公室。"]
    if (stored.version if stored else 0) != progress.version:
        return ["下载模板后，该任务的进展已在系统中被修改。为避免覆盖他人的修改，请重新下载模板后填写。"]
    return []


def _check_writable(row: PreviewRow) -> None:
    """A changed figure must still be editable and unchanged in the system since the template was made."""
    stored, prefix = row.stored, f"第{row.number}行 {row.name}："
    if stored is not None and stored.state not in EDITABLE:
        row.errors.append(f"{prefix}{stored.get_state_display()}，不能修改。如需更正请联系办公室。")
    elif (stored.version if stored else 0) != row.seen_version:
        row.errors.append(
            f"{prefix}下载模板后，该指标已在系统中被修改。为避免覆盖他人的修改，请重新下载模板后填写。"
        )


@dataclass(frozen=True)
class Imported:
    """What a confirmed import stored: how many figures and how many task reports."""

    figures: int
    tasks: int

    def __str__(self) -> str:
        parts = [f"{self.figures}项指标数据"] if self.figures else []
        parts += [f"{self.tasks}项任务进展"] if self.tasks else []
        return "和".join(parts)


def template_confirm(
    source: IO[bytes] | Upload,
    *,
    unit: Unit,
    period: Period,
    by: User,
    name: str | None = None,
    today: datetime.date | None = None,
) -> Imported:
    """Import an upload (the file, or its rows as parsed on upload): judge it again exactly as the preview
    did (signature, unit, quarter, layout, every row, the versions seen) and, when no row has an error, store
    every new or changed figure and task report as a draft through `figures_save` and `task_reports_save`
    (the reporting page's own rules), in one transaction, audited as an Excel import. Returns how many of
    each were stored. Raises ImportRefused or ValidationError (every row's message) and writes nothing; a row
    someone changed meanwhile raises services.Conflict, also writing nothing."""
    if isinstance(source, Upload):
        preview = template_judge(source, unit=unit, period=period, name=name or "")
    else:
        preview = template_parse(source, unit=unit, period=period, name=name)
    if preview.errors:
        raise ValidationError(preview.errors)
    figures, tasks = preview.inputs(), preview.task_inputs()
    if not figures and not tasks:
        raise ValidationError("表格中没有需要导入的内容（均为空或与系统中一致）。")
    reason = f"Excel导入（{preview.name[:80]}）"
    numbers = {f"indicator-{row.indicator.pk}": f"第{row.number}行 " for row in preview.writes}
    numbers.update(
        {f"task-{row.task.pk}": f"“{TASK_SHEET}”表第{row.number}行 " for row in preview.task_writes}
    )
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        for save, inputs in ((figures_save, figures), (task_reports_save, tasks)):
            if not inputs:
                continue
            try:
                save(unit=unit, period=period, inputs=inputs, by=by, today=today, reason=reason)
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    raise
                for key, messages in error.message_dict.items():
                    errors.setdefault(key, []).extend(messages)
        if errors:
            raise ValidationError(
                [numbers.get(key, "") + message for key, messages in errors.items() for message in messages]
            )
    return Imported(figures=len(figures), tasks=len(tasks))
