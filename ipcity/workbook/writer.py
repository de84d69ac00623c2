"""`write_workbook`: a `WorkbookSpec` streamed through XlsxWriter's constant_memory mode.

Each row is written with XlsxWriter's typed methods (`write_string`, `write_number`, …) and a format that was
resolved once per distinct combination of style keys; a column's usual format is resolved once per sheet.
XlsxWriter keeps one row in memory and flushes it to a temporary file when the next row starts. What it does
keep for the whole sheet, with no public way to let go, is the height of every row given one (`set_row`):
about 270 bytes a row. So a sheet fits the heights of at most FITTED_ROWS (300) body rows, a city's report and
bulletin whole (tens of units and indicators); rows past that are left to the program that opens the file
(Excel fits a wrapped row without a stored height itself), and memory stays flat however many follow: at
national scale (tests/test_reports_national.py) the first 300 would otherwise already grow it past 1.3×.
"""

from __future__ import annotations

import datetime
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name

from ipcity.workbook.spec import DEFAULT_STYLES, Cell, Formula, Row, SheetSpec, Style, WorkbookSpec
from ipcity.workbook.text import (
    EXCEL_CELL_MAX,
    FORMULA_TRIGGERS,
    NEEDS_NEUTRALISING,
    fit_width,
    neutralise,
    wrapped_height,
    wrapped_lines,
)

PAPER_A4 = 9
# Inches: 2 cm left and right, 2.5 cm top and bottom (a binding edge and room for the page number), header
# and footer 1 cm from the edge.
MARGINS = {"left": 0.79, "right": 0.79, "top": 0.98, "bottom": 0.98}
PROGRESS_EVERY = 50
FITTED_ROWS = 300  # body rows per sheet given a fitted height (see the module docstring): ~80 KiB at most
# Column widths are stored in units of the default font's widest digit: 7 pixels of 11-point Calibri. A
# width given in pixels is stored as exactly pixels / 7, so a column declared 20 wide is stored as 20.
DIGIT_PIXELS = 7
OPTIONS = {
    "constant_memory": True,
    # Text is text: never turned into a formula, a number or a link behind the caller's back.
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


class _Formats:
    """Style keys of one workbook resolved to XlsxWriter formats: one format per distinct look, made once."""

    def __init__(self, workbook: xlsxwriter.Workbook, styles: Mapping[str, Style]) -> None:
        self._workbook = workbook
        self._styles = {**DEFAULT_STYLES, **styles}
        self._by_keys: dict[tuple[str | None, ...], Format | None] = {}
        self._by_look: dict[tuple[tuple[str, Any], ...], Format] = {}

    def style(self, *keys: str | None) -> Style:
        style = self._styles["base"]
        for key in keys:
            for name in (key or "").split():
                try:
                    style = style + self._styles[name]
                except KeyError:
                    raise KeyError(f"未定义的单元格样式：{name}") from None
        return style

    def wraps(self, *keys: str | None) -> bool:
        return self.style(*keys).wraps()

    def size(self, *keys: str | None) -> float:
        return self.style(*keys).size()

    def format(self, *keys: str | None) -> Format | None:
        """The format of a cell styled `keys` (later keys override earlier ones) over the base style (the
        tables' font); `format()` is that of a cell with no style of its own."""
        try:
            return self._by_keys[keys]
        except KeyError:
            pass
        properties = self.style(*keys).properties()
        made = None
        if properties:
            look = tuple(sorted(properties.items()))
            made = self._by_look.get(look)
            if made is None:
                made = self._by_look[look] = self._workbook.add_format(properties)
        self._by_keys[keys] = made
        return made


def _number(value: Any) -> float | int | None:
    """A number as Excel stores it; None for NaN and infinities, which Excel cannot hold (written blank)."""
    if type(value) is not int:
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            return None
    return value


class _SheetWriter:
    def __init__(self, workbook: xlsxwriter.Workbook, spec: SheetSpec, formats: _Formats) -> None:
        self.workbook = workbook
        self.spec = spec
        self.formats = formats
        self.ws = workbook.add_worksheet(spec.title)
        self.width = max(1, len(spec.columns))
        self.row = -1  # 0-based index of the row last written
        self._fits_left = FITTED_ROWS
        # Style key of each column's data cells, and of cells beyond the declared columns (the last entry).
        keys = [" ".join(filter(None, (spec.body_style, c.style))) for c in spec.columns] + [spec.body_style]
        self._body_keys = [key or None for key in keys]
        self._body_formats = [formats.format(key, None, None, None) for key in self._body_keys]
        self._plain_keys: list[str | None] = [None]
        self._plain_formats: list[Format | None] = [formats.format(None, None, None, None)]
        # Per column (as above): a cell style key → the format of that column's cells in it.
        self._body_styled: list[dict[str, Format | None]] = [{} for _ in self._body_formats]
        self._plain_styled: list[dict[str, Format | None]] = [{}]
        self._widths = [column.width or fit_width([column.header]) for column in spec.columns]
        # (index, width, font size) of the columns whose cells wrap: the ones a row's height has to fit.
        self._wrapping = [
            (index, width, formats.size(key))
            for index, (width, key) in enumerate(zip(self._widths, self._body_keys, strict=False))
            if formats.wraps(key)
        ]
        self._unstyled = formats.format()  # a blank cell in it is not written at all
        self._setup()

    def _setup(self) -> None:
        spec, ws = self.spec, self.ws
        for index, (width, column) in enumerate(zip(self._widths, spec.columns, strict=True)):
            options = {"hidden": True} if column.hidden else None
            ws.set_column_pixels(index, index, round(width * DIGIT_PIXELS), None, options)
        header_row = spec.header_row
        if header_row:
            ws.freeze_panes(header_row, spec.freeze_cols)
            ws.repeat_rows(header_row - 1)
        ws.set_paper(PAPER_A4)
        if spec.landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.set_margins(**MARGINS)
        ws.set_header("", {"margin": 0.39})
        ws.set_footer(f"&C{spec.footer}" if spec.footer else "", {"margin": 0.39})
        ws.center_horizontally()
        if spec.page_breaks:
            ws.set_h_pagebreaks(list(spec.page_breaks))
        for chart in spec.charts:
            made = self.workbook.add_chart(dict(chart.chart))
            for series in chart.series:
                made.add_series(dict(series))
            for method, options in chart.settings.items():
                if not method.startswith("set_"):
                    raise ValueError(f"图表设置应为 XlsxWriter Chart 的 set_… 方法：{method}")
                getattr(made, method)(dict(options))
            ws.insert_chart(chart.anchor, made)
        for validation in spec.validations:
            options = dict(validation.options)
            if len(validation.cells) > 1:
                options["multi_range"] = " ".join(validation.cells)
            ws.data_validation(validation.cells[0], options)
        if spec.protect:
            ws.protect(spec.protect)
        if spec.state == "hidden":
            ws.hide()
        elif spec.state == "veryHidden":
            ws.very_hidden()
        elif spec.state != "visible":
            raise ValueError(f"工作表状态应为 visible、hidden 或 veryHidden：{spec.state}")

    def write(self, progress: Callable[[int], None]) -> None:
        for text in self.spec.title_rows:
            style = "title" if self.row < 0 else "subtitle"
            row = Row([text], merge=True, style=style)
            self.append(row, body=False)
        if self.spec.header:
            headers = [column.header for column in self.spec.columns]
            size = self.formats.size("header")
            widths = zip(headers, self._widths, strict=True)
            lines = max((wrapped_lines(h, w, size=size) for h, w in widths), default=1)
            height = wrapped_height(lines, size=size) if lines > 1 else None
            self.append(Row(headers, style="header", height=height), body=False)
        written = 0
        append = self.append
        for row in self.spec.rows:
            append(row)
            written += 1
            if written % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
        progress(written % PROGRESS_EVERY)

    def append(self, row: Sequence[Any] | Row, body: bool = True) -> None:
        self.row += 1
        if type(row) is not Row:
            if body and self._wrapping and self._fits_left > 0 and self.spec.fit_rows:
                height = self._fitted_height(row)
                if height is not None:
                    self.ws.set_row(self.row, height)
                    self._fits_left -= 1
            self._cells(row, None, body)
            return
        height = row.height
        fit = self.spec.fit_rows and (self._fits_left > 0 or not body)
        if row.merge and self.width > 1 and row.values:
            first = row.values[0]
            style = first.style if type(first) is Cell else None
            last = self.formats.format(self._keys(body)[0], row.style, style, None)
            self.ws.merge_range(self.row, 0, self.row, self.width - 1, None, last)
            if height is None and fit and self.formats.wraps(row.style):
                text = first.value if type(first) is Cell else first
                if type(text) is str:
                    size = self.formats.size(row.style)
                    height = wrapped_height(wrapped_lines(text, sum(self._widths), size=size), size=size)
        elif height is None and body and self._wrapping and fit:
            height = self._fitted_height(row.values)
        if height is not None:
            self.ws.set_row(self.row, height)
            self._fits_left -= body
        self._cells(row.values, row.style, body)

    def _keys(self, body: bool) -> list[str | None]:
        return self._body_keys if body else self._plain_keys

    def _fitted_height(self, values: Sequence[Any]) -> float | None:
        """The height of the row's tallest wrapped cell; None when every cell fits on one line."""
        height = None
        count = len(values)
        for index, width, size in self._wrapping:
            if index < count:
                value = values[index]
                if type(value) is Cell:
                    value = value.value
                if type(value) is str and value:
                    lines = wrapped_lines(value, width, size=size)
                    if lines > 1:
                        height = max(height or 0, wrapped_height(lines, size=size))
        return height

    def _cells(self, values: Sequence[Any], row_style: str | None, body: bool) -> None:
        """Write one row's values with the typed methods; the column's format unless the row, the cell or
        the text asks for another."""
        ws, r = self.ws, self.row
        keys = self._body_keys if body else self._plain_keys
        formats = self._body_formats if body else self._plain_formats
        styled = self._body_styled if body else self._plain_styled
        beyond = len(formats) - 1
        format_of = self.formats.format
        needs_neutralising = NEEDS_NEUTRALISING.search
        unstyled = self._unstyled
        for col, value in enumerate(values):
            style = None
            if type(value) is Cell:
                style = value.style
                value = value.value
            kind = type(value)
            quote = False
            if kind is str:
                if value and (value[0] in FORMULA_TRIGGERS or len(value) > EXCEL_CELL_MAX):
                    value, quote = neutralise(value)
                elif not value.isprintable() and needs_neutralising(value):  # isprintable: C speed
                    value = neutralise(value)[0]
            at = col if col < beyond else beyond
            if row_style is None and not quote:
                if style is None:
                    cell_format = formats[at]
                else:  # a cell's own style: its format looked up by the style alone, per column
                    try:
                        cell_format = styled[at][style]
                    except KeyError:
                        cell_format = styled[at][style] = format_of(keys[at], None, style, None)
            else:
                cell_format = format_of(keys[at], row_style, style, "quote" if quote else None)
            if kind is str:
                if value:
                    ws.write_string(r, col, value, cell_format)
                elif cell_format is not unstyled:
                    ws.write_blank(r, col, None, cell_format)
            elif value is None:
                if cell_format is not unstyled:
                    ws.write_blank(r, col, None, cell_format)
            elif kind is int:
                ws.write_number(r, col, value, cell_format)
            elif kind is float or kind is Decimal:
                number = _number(value)
                if number is not None:
                    ws.write_number(r, col, number, cell_format)
                elif cell_format is not unstyled:
                    ws.write_blank(r, col, None, cell_format)
            elif kind is bool:
                ws.write_boolean(r, col, value, cell_format)
            else:
                self._other(col, value, (keys[col if col < beyond else beyond], row_style, style))

    def _other(self, col: int, value: Any, keys: tuple[str | None, ...]) -> None:
        """A value that is not plain text, a number or a boolean: a formula, a date or time, a subclass."""
        ws, r = self.ws, self.row
        if isinstance(value, Formula):
            # No cached result (""): the program that opens the file computes it (LibreOffice would otherwise
            # show XlsxWriter's default cached 0 until a recalculation).
            ws.write_formula(r, col, str(value), self.formats.format(*keys, None), "")
        elif isinstance(value, datetime.datetime | datetime.time | datetime.timedelta):
            ws.write_datetime(r, col, value, self.formats.format(*keys, "datetime"))
        elif isinstance(value, datetime.date):
            ws.write_datetime(r, col, value, self.formats.format(*keys, "date"))
        elif isinstance(value, str):  # a subclass: lazy or safe text
            text, quote = neutralise(str(value))
            cell_format = self.formats.format(*keys, "quote" if quote else None)
            if text:
                ws.write_string(r, col, text, cell_format)
            elif cell_format is not self._unstyled:
                ws.write_blank(r, col, None, cell_format)
        elif isinstance(value, int | float | Decimal):  # a subclass: an IntEnum, a numpy number
            number = _number(float(value) if isinstance(value, float | Decimal) else int(value))
            ws.write_number(r, col, 0 if number is None else number, self.formats.format(*keys, None))
        else:
            raise TypeError(f"无法写入单元格 {xl_col_to_name(col)}{r + 1} 的值：{type(value).__name__}")


def write_workbook(
    book: WorkbookSpec,
    out: str | os.PathLike | IO[bytes],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write `book` to `out` (a path or a binary file) and return the number of body rows written.

    Sheets are written one after another, each row as its generator yields it. `progress(done, total)` is
    called every few dozen rows and after each sheet; total sums the sheets' `size` hints (at least done).
    Datetimes must be naive (Excel has no time zones). The workbook is assembled in a temporary folder of its
    own and copied to `out` once complete: a failure (a generator raising midway) propagates, leaves `out`
    as it was and removes every temporary file."""
    total = sum(sheet.size or 0 for sheet in book.sheets)
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None and rows:
            progress(done, max(total, done))

    with tempfile.TemporaryDirectory(prefix="ipcity-xlsx-") as folder:
        assembled = os.path.join(folder, "book.xlsx")
        workbook = xlsxwriter.Workbook(assembled, {**OPTIONS, "tmpdir": folder})
        try:
            properties = {"author": book.creator}
            if book.title:
                properties["title"] = book.title
            workbook.set_properties(properties)
            formats = _Formats(workbook, book.styles)
            for sheet in book.sheets:
                _SheetWriter(workbook, sheet, formats).write(advance)
        except BaseException:
            # Closing assembles what was written into the folder, which goes with it: every row file that
            # XlsxWriter holds open is closed now rather than left to the garbage collector.
            with suppress(Exception):
                workbook.close()
            raise
        workbook.close()
        if progress is not None:
            progress(done, done)  # the size hints were estimates; now every row is written
        if isinstance(out, str | os.PathLike):
            shutil.copyfile(assembled, out)
        else:
            with open(assembled, "rb") as source:
                shutil.copyfileobj(source, out)
    return done
