"""Judging an upload's rows: the preview a reporter sees (every row's figure or its errors), and the
confirmation that stores the figures.

Each row is read with `figure_parse` and checked with `figure_errors`, as the reporting form judges a
figure; a formula in an input cell is a row error. Nothing is written unless the user confirms a preview
without errors; the confirmation stores everything through `figures_save`, all or nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from audit.services import TEXT_LIMIT
from indicators.measures import NO, YES, Figure, figure_errors, figure_parse
from indicators.models import Indicator
from ipcity.figures import plain
from reporting.excel.template import COLUMNS, INPUTS, KEY, NOTE, indicator_key, shown_in_template
from reporting.excel.upload import Upload, cell_text, check_template, check_upload, read_upload
from reporting.models import Period, Submission
from reporting.selectors import unit_indicators
from reporting.services.entry import EDITABLE, FigureInput, figures_save

if TYPE_CHECKING:
    from accounts.models import User
    from plans.models import Unit


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
        if self.errors:
            return "error"
        if self.figure is None:
            return "empty"
        if self.stored is None:
            return "new"
        return "changed" if _changes(self.stored, self.figure) else "same"

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


@dataclass
class ImportPreview:
    unit: Unit
    period: Period
    name: str
    rows: list[PreviewRow]

    @property
    def errors(self) -> list[str]:
        return [error for row in self.rows for error in row.errors]

    def count(self, status: str) -> int:
        return sum(row.status == status for row in self.rows)

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


def _formula_problems(number: int, values: tuple) -> list[str]:
    problems = []
    for column, label in INPUTS.items():
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
    return ImportPreview(unit=unit, period=period, name=name, rows=rows)


def _check_writable(row: PreviewRow) -> None:
    """A changed figure must still be editable and unchanged in the system since the template was made."""
    stored, prefix = row.stored, f"第{row.number}行 {row.name}："
    if stored is not None and stored.state not in EDITABLE:
        row.errors.append(f"{prefix}{stored.get_state_display()}，不能修改。如需更正请联系办公室。")
    elif (stored.version if stored else 0) != row.seen_version:
        row.errors.append(
            f"{prefix}下载模板后，该指标已在系统中被修改。为避免覆盖他人的修改，请重新下载模板后填写。"
        )


def template_confirm(
    source: IO[bytes] | Upload,
    *,
    unit: Unit,
    period: Period,
    by: User,
    name: str | None = None,
    today: datetime.date | None = None,
) -> int:
    """Import an upload (the file, or its rows as parsed on upload): judge it again exactly as the preview
    did (signature, unit, quarter, layout, every row, the versions seen) and, when no row has an error, store
    every new or changed figure as a draft through `figures_save`, in one transaction, audited as an Excel
    import. Returns how many figures were stored. Raises ImportRefused or ValidationError (every row's
    message) and writes nothing; a figure someone changed meanwhile raises services.Conflict, also writing
    nothing."""
    if isinstance(source, Upload):
        preview = template_judge(source, unit=unit, period=period, name=name or "")
    else:
        preview = template_parse(source, unit=unit, period=period, name=name)
    if preview.errors:
        raise ValidationError(preview.errors)
    inputs = preview.inputs()
    if not inputs:
        raise ValidationError("表格中没有需要导入的数值（均为空或与系统中一致）。")
    try:
        figures_save(
            unit=unit,
            period=period,
            inputs=inputs,
            by=by,
            today=today,
            reason=f"Excel导入（{preview.name[:80]}）",
        )
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        numbers = {f"indicator-{row.indicator.pk}": row.number for row in preview.writes}
        raise ValidationError(
            [
                f"第{numbers[key]}行 {message}" if key in numbers else message
                for key, messages in error.message_dict.items()
                for message in messages
            ]
        ) from None
    return len(inputs)
