"""The one Excel writer. Every workbook we produce is a spec of sheets whose rows come from a generator,
streamed through openpyxl's write-only mode, so memory stays flat however many rows there are.

    book = WorkbookSpec(
        sheets=[
            SheetSpec(
                title="指标进度",
                title_rows=["…进展情况", "报告期：2025年第三季度"],  # each merged over all columns
                columns=[Column("序号", width=6, style="center"), Column("指标", width=30, style="wrap"),
                         Column("完成率", style="percent")],
                rows=(row for row in ...),  # lists/tuples of values; a value may be Cell(value, "key")
                body_style="cell",  # under every data cell (borders)
                freeze_cols=2,
            ),
            SheetSpec(title="_meta", columns=[Column("key"), Column("value")], rows=[...],
                      state="veryHidden", protect="password"),
        ],
        styles={"status-behind": Style(fill=solid("FFC7CE"))},  # added to DEFAULT_STYLES
    )
    write_workbook(book, "out.xlsx", progress=lambda done, total: ...)

What a sheet gets: title rows merged over its columns; one header row (bold, filled, bordered), frozen with
`freeze_cols` columns; column widths in Excel character units (CJK counts double, see `text_width`); A4
landscape fitted to the page width, the header row repeated on every printed page, page numbers in the
footer; optionally native charts (`ChartSpec`), data validations, sheet protection (cells styled `input` stay
editable) and a hidden state. A row may be a `Row` to set its height, merge its first cell across all
columns, or give all its cells a style. Style keys combine with spaces ("cell percent"): later keys override
earlier ones attribute by attribute.

Rows are written as XML by `_SheetWriter._row_xml`, byte for byte what openpyxl's cells would write
(tests/test_reports_excel.py holds the two to each other) at a fraction of the cost, which pays for the
styles and fitted row heights; a row holding a date or a formula goes through openpyxl's own cells. Row
heights stop at the 409 points Excel allows.

Text is never a formula: every string is stored as a literal string cell, and one that starts with = + - @,
a tab or CR/LF, or their full-width forms also gets Excel's quotePrefix flag, so Excel, WPS and LibreOffice
show it as typed and keep it text when someone edits the cell (see `neutralise`). A real formula must be
asked for with `Formula("=SUM(B2:B9)")`.
"""

from __future__ import annotations

import datetime
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace
from typing import IO, Any

import openpyxl
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as _OpenpyxlCell
from openpyxl.chart._chart import ChartBase
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

__all__ = [
    "CUT_MARK",
    "DEFAULT_STYLES",
    "Cell",
    "ChartSpec",
    "Column",
    "Formula",
    "Row",
    "SheetSpec",
    "Style",
    "WorkbookSpec",
    "fit_width",
    "neutralise",
    "solid",
    "text_width",
    "width_for",
    "wrapped_height",
    "wrapped_lines",
    "write_workbook",
]

# Leading characters that make a spreadsheet (or a later CSV round trip) read text as a formula or command:
# OWASP's list plus the full-width and small forms a Chinese input method produces.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n＝＋－＠﹦﹢﹣﹫")
EXCEL_CELL_MAX = 32767
CUT_MARK = "…（超出单元格长度，已截断）"
PAPER_A4 = "9"
LINE_HEIGHT = 15.0  # points per line of 11-point text
MAX_ROW_HEIGHT = 409.0  # Excel's limit; a cell with more text scrolls within it
MOST_LINES = math.ceil((MAX_ROW_HEIGHT - 3) / LINE_HEIGHT)  # lines that reach it: no need to count further
PROGRESS_EVERY = 50
LONG_TEXT = 4096  # characters from which a cell's text is written without being copied into its row's XML


@dataclass(frozen=True, slots=True)
class Style:
    """A named cell look, in openpyxl's own terms. Combining styles overrides attribute by attribute."""

    font: Font | None = None
    fill: PatternFill | None = None
    alignment: Alignment | None = None
    border: Border | None = None
    number_format: str | None = None
    protection: Protection | None = None
    quote_prefix: bool = False

    def __add__(self, other: Style) -> Style:
        return Style(
            font=other.font or self.font,
            fill=other.fill or self.fill,
            alignment=other.alignment or self.alignment,
            border=other.border or self.border,
            number_format=other.number_format or self.number_format,
            protection=other.protection or self.protection,
            quote_prefix=other.quote_prefix or self.quote_prefix,
        )


def solid(rgb: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


def font(*, size: float = 11, **options: Any) -> Font:
    """A font in the workbook's body face: Calibri for Latin text and, through the theme's minor font
    (scheme="minor"), its Chinese face (宋体/等线) for CJK, as Excel and WPS pick it for new workbooks."""
    return Font(name="Calibri", size=size, family=2, scheme="minor", **options)


_thin = Side(style="thin", color="808080")
_box = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)

DEFAULT_STYLES: dict[str, Style] = {
    "title": Style(
        font=font(bold=True, size=16), alignment=Alignment(horizontal="center", vertical="center")
    ),
    "subtitle": Style(font=font(size=10, color="404040"), alignment=Alignment(horizontal="center")),
    "header": Style(
        font=font(bold=True),
        fill=solid("DCE6F1"),
        border=_box,
        alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
    ),
    "section": Style(font=font(bold=True, size=12), alignment=Alignment(vertical="center")),
    "paragraph": Style(alignment=Alignment(wrap_text=True, vertical="top")),
    "cell": Style(border=_box, alignment=Alignment(vertical="top")),
    "wrap": Style(alignment=Alignment(wrap_text=True, vertical="top")),
    "center": Style(alignment=Alignment(horizontal="center", vertical="top")),
    "bold": Style(font=font(bold=True)),
    "percent": Style(number_format="0.0%"),
    "integer": Style(number_format="#,##0"),
    # A figure shown at its indicator's stated precision; the cell keeps the exact value.
    **{f"d{n}": Style(number_format="#,##0" + ("." + "0" * n if n else "")) for n in range(5)},
    "input": Style(protection=Protection(locked=False), fill=solid("FFF9E5")),
    "quote": Style(quote_prefix=True),
}


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header text, width in Excel character units (None: fit the header), default style key."""

    header: str = ""
    width: float | None = None
    style: str | None = None
    hidden: bool = False  # e.g. a key column a program reads back; protect the sheet to keep it hidden


class Cell:
    """A value with a style key, for the cells whose look differs from their column's (a status fill)."""

    __slots__ = ("style", "value")

    def __init__(self, value: Any, style: str | None = None) -> None:
        self.value = value
        self.style = style


class Formula(str):
    """A string to be written as a formula. Only code writes formulas; text from users never becomes one."""


@dataclass(frozen=True, slots=True)
class Row:
    """A row with more than values: its height in points, its first cell merged across all columns, a style
    key for every cell in it."""

    values: Sequence[Any]
    height: float | None = None
    merge: bool = False
    style: str | None = None


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """A native chart: `build(worksheet)` returns an openpyxl chart whose References point at `worksheet`;
    it is placed with its top-left corner at `anchor` (e.g. "A20")."""

    anchor: str
    build: Callable[[Any], ChartBase]


@dataclass(slots=True)
class SheetSpec:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any] | Row]
    title_rows: Sequence[str] = ()
    # Rows expected, for progress reporting only (a generator's length is unknown); None: not counted ahead.
    size: int | None = None
    header: bool = True
    body_style: str | None = None
    freeze_cols: int = 0
    landscape: bool = True
    charts: Sequence[ChartSpec] = ()
    validations: Sequence[DataValidation] = ()
    protect: str | None = None  # a password: the sheet is protected, cells styled `input` stay editable
    state: str = "visible"  # or "hidden", "veryHidden"
    footer: str = "第 &P 页，共 &N 页"
    # Give rows whose wrapped text needs several lines a height that shows it: Excel fits such rows itself,
    # LibreOffice and WPS do not always, and no program fits a merged row.
    fit_rows: bool = True

    @property
    def header_row(self) -> int | None:
        return len(self.title_rows) + 1 if self.header else None

    @property
    def first_data_row(self) -> int:
        """The sheet row number of the first row `rows` yields (charts and validations need it)."""
        return len(self.title_rows) + (2 if self.header else 1)


@dataclass(slots=True)
class WorkbookSpec:
    sheets: Sequence[SheetSpec]
    styles: Mapping[str, Style] = field(default_factory=dict)
    title: str = ""
    creator: str = "ipcity"


def text_width(text: str) -> int:
    """Width of text in Excel character units, as a Chinese font draws it: ASCII takes one, CJK,
    full-width forms and the symbols Chinese fonts draw full-width (≥, —, ①) take two. Counted from the
    UTF-8 length (one byte for ASCII, three for those), which runs at C speed on every wrapped cell."""
    return (len(text.encode("utf-8", "surrogatepass")) + len(text)) // 2


def fit_width(texts: Iterable[str], *, minimum: float = 6, maximum: float = 50, padding: float = 2) -> float:
    """A column width that shows the widest of `texts` on one line, within [minimum, maximum]."""
    widest = max((text_width(t) for t in texts if t), default=0)
    return width_for(widest, minimum=minimum, maximum=maximum, padding=padding)


def width_for(widest: int, *, minimum: float = 6, maximum: float = 50, padding: float = 2) -> float:
    """`fit_width` for a widest text width measured elsewhere (e.g. by the database)."""
    return max(minimum, min(maximum, widest + padding))


def wrapped_lines(text: str, width: float, *, most: int | None = None) -> int:
    """How many lines `text` takes wrapped in a column `width` characters wide (a conservative estimate),
    counted no further than `most` when given."""
    usable = max(1, int(width) - 1)
    if "\n" not in text:
        return max(1, -(-text_width(text) // usable))
    lines = 0
    for line in text.split("\n"):
        lines += max(1, -(-text_width(line) // usable))
        if most is not None and lines >= most:
            break
    return lines


def wrapped_height(lines: int, *, line_height: float = LINE_HEIGHT) -> float:
    """Row height in points for `lines` lines of body text, at most the 409 points Excel allows a row."""
    return min(lines * line_height + 3, MAX_ROW_HEIGHT)


def neutralise(text: str) -> tuple[str, bool]:
    """Text made safe to store: (the text, whether it needs the quotePrefix flag). A leading formula trigger
    is kept as typed and flagged. Line breaks become LF (XML would turn a CR into one anyway), characters XML
    cannot carry become U+FFFD, text over Excel's cell limit is cut with a visible marker."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    if len(text) > EXCEL_CELL_MAX:
        text = text[: EXCEL_CELL_MAX - len(CUT_MARK)] + CUT_MARK
    return text, bool(text) and text[0] in FORMULA_TRIGGERS


class _SlotCell(_OpenpyxlCell):
    """A reusable cell bound to one registered style. openpyxl's own `append` creates a cell object per
    styled value and hashes its style on every write; one cell per style with its id computed once keeps a
    styled sheet within a few per cent of an unstyled one (see tests/test_reports_excel.py)."""

    __slots__ = ("_style_id",)

    @property
    def style_id(self) -> int:
        return self._style_id

    @property
    def has_style(self) -> bool:
        return True


_DATE_TYPES = frozenset((datetime.date, datetime.datetime, datetime.time, datetime.timedelta))


class _Styles:
    """Style keys of one workbook resolved to openpyxl style arrays, registered once."""

    def __init__(self, workbook: Workbook, styles: Mapping[str, Style]) -> None:
        self._workbook = workbook
        self._styles = {**DEFAULT_STYLES, **styles}
        self._arrays: dict[tuple[str | None, ...], StyleArray | None] = {}

    def style(self, *keys: str | None) -> Style:
        style = Style()
        for key in keys:
            for name in (key or "").split():
                try:
                    style = style + self._styles[name]
                except KeyError:
                    raise KeyError(f"未定义的单元格样式：{name}") from None
        return style

    def wraps(self, *keys: str | None) -> bool:
        alignment = self.style(*keys).alignment
        return bool(alignment and alignment.wrap_text)

    def array(self, *keys: str | None) -> StyleArray | None:
        try:
            return self._arrays[keys]
        except KeyError:
            pass
        style = self.style(*keys)
        self._arrays[keys] = array = None if style == Style() else self._register(style)
        return array

    def _register(self, style: Style) -> StyleArray:
        template = _OpenpyxlCell(SimpleNamespace(parent=self._workbook))
        for attribute in ("font", "fill", "alignment", "border", "protection", "number_format"):
            value = getattr(style, attribute)
            if value is not None:
                setattr(template, attribute, value)
        if style.quote_prefix:
            template.quotePrefix = True
        return template._style or StyleArray()


@lru_cache(maxsize=256)
def _row_height(height: float) -> dict[str, str]:
    return {"ht": f"{height:g}", "customHeight": "1"}


def _escaped(text: str) -> str:
    """Character data as ElementTree writes it for openpyxl (_escape_cdata): & < > escaped, nothing else."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


class _RowXml(tuple):
    """A row already written as XML text: one string, or its pieces in order when it holds a long text (a
    cell of 30,000 characters is written as it is rather than copied into the row's string, so memory
    holds it once)."""

    __slots__ = ()


class _RowWriter(WorksheetWriter):
    """openpyxl's worksheet writer (3.1, pinned), taking a row either as openpyxl cells or as `_RowXml`."""

    def write_row(self, xf, row, row_idx):
        if type(row) is _RowXml:
            write = xf._file  # et_xmlfile's text sink (pinned): the row's XML, already escaped
            for text in row:
                write(text)
        else:
            super().write_row(xf, row, row_idx)


# The values `_SheetWriter._row_xml` writes itself besides text, None and booleans; a row holding anything
# else (a date, a Formula, rich text) goes through openpyxl's own cells.
_NUMBER_TYPES = frozenset((int, float, Decimal))
# With lxml installed openpyxl streams through lxml, which takes no ready-made XML text: rows then always go
# through openpyxl's cells.
_FAST = not openpyxl.LXML


class _SheetWriter:
    def __init__(self, workbook: Workbook, spec: SheetSpec, styles: _Styles) -> None:
        self.spec = spec
        self.styles = styles
        self.ws = workbook.create_sheet(spec.title)
        self.width = max(1, len(spec.columns))
        self.last_column = get_column_letter(self.width)
        self.row_idx = 0
        self._plain = _OpenpyxlCell(self.ws)
        self._slots: dict[tuple[Any, ...], _SlotCell] = {}
        # Style key under each column's data cells (index 0: beyond the declared columns); None: unstyled.
        keys = [spec.body_style] + [" ".join(filter(None, (spec.body_style, c.style))) for c in spec.columns]
        self._column_keys = [key or None for key in keys]
        self._column_slots = [self._slot((key, None, None, None)) for key in self._column_keys]
        self._no_keys: list[str | None] = [None]
        self._no_slots: list[_SlotCell | None] = [None]
        self._widths = [column.width or fit_width([column.header]) for column in spec.columns]
        # (index, width) of the columns whose cells wrap: the ones a row's height has to fit.
        self._wrapping = [
            (index, max(1, int(width) - 1))  # usable width, as in wrapped_lines
            for index, (width, key) in enumerate(zip(self._widths, self._column_keys[1:], strict=True))
            if styles.wraps(key)
        ]
        # ' s="N"' per column (the style ids of the slots above), and column letters, for the fast path.
        self._column_sids = [self._sid_of(slot) for slot in self._column_slots]
        self._no_sids = [""]
        self._sids: dict[tuple[Any, ...], str] = {}
        self._letters = [""] + [get_column_letter(i) for i in range(1, self.width + 1)]
        # Replaces WriteOnlyWorksheet._values_to_row (openpyxl 3.1, pinned): the one place that turns a row
        # of values into cells, so our fast styled cells and the text neutraliser sit on the streaming path
        # (for the rows `_row_xml` leaves to openpyxl; the others arrive already written).
        self.ws._values_to_row = self._to_row
        self._setup()
        # What WriteOnlyWorksheet._get_writer does at the first row, with a writer that also takes rows
        # already written as XML (everything is set up: the sheet's head is written now).
        self.ws._writer = _RowWriter(self.ws)
        self.ws._writer.write_top()

    def _setup(self) -> None:
        spec, ws = self.spec, self.ws
        for idx, (width, column) in enumerate(zip(self._widths, spec.columns, strict=True), start=1):
            ws.column_dimensions[get_column_letter(idx)].width = width
            if column.hidden:
                ws.column_dimensions[get_column_letter(idx)].hidden = True
        header_row = spec.header_row
        if header_row:
            ws.freeze_panes = f"{get_column_letter(spec.freeze_cols + 1)}{header_row + 1}"
            ws.print_title_rows = f"{header_row}:{header_row}"
        ws.page_setup.paperSize = PAPER_A4
        ws.page_setup.orientation = "landscape" if spec.landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
        ws.print_options.horizontalCentered = True
        if spec.footer:
            ws.oddFooter.center.text = spec.footer
        for chart in spec.charts:
            ws.add_chart(chart.build(ws), chart.anchor)
        for validation in spec.validations:
            ws.data_validations.append(validation)
        if spec.protect:
            ws.protection.sheet = True
            ws.protection.password = spec.protect
        ws.sheet_state = spec.state

    def write(self, progress: Callable[[int], None]) -> None:
        for text in self.spec.title_rows:
            style = "title" if self.row_idx == 0 else "subtitle"
            self.append(
                Row([text], merge=True, style=style, height=30 if style == "title" else None), body=False
            )
        if self.spec.header:
            headers = [column.header for column in self.spec.columns]
            lines = max((wrapped_lines(h, w) for h, w in zip(headers, self._widths, strict=True)), default=1)
            height = wrapped_height(lines) if lines > 1 else None
            self.append(Row(headers, style="header", height=height), body=False)
        written = 0
        for row in self.spec.rows:
            self.append(row)
            written += 1
            if written % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
        progress(written % PROGRESS_EVERY)

    def append(self, row: Sequence[Any] | Row, body: bool = True) -> None:
        self.row_idx += 1
        self._row_style = None
        self._body = body
        height = None
        if type(row) is Row:
            height = row.height
            if row.merge and self.width > 1:
                self.ws.merged_cells.add(f"A{self.row_idx}:{self.last_column}{self.row_idx}")
                if height is None and row.values and self.spec.fit_rows and self.styles.wraps(row.style):
                    text = row.values[0].value if type(row.values[0]) is Cell else row.values[0]
                    if type(text) is str:
                        height = wrapped_height(wrapped_lines(text, sum(self._widths)))
            self._row_style = row.style
            row = row.values
        if height is None and body and self.spec.fit_rows and self._wrapping:
            height = self._fitted_height(row)
        xml = self._row_xml(row, height) if _FAST else None
        if xml is not None:
            self.ws.append(xml)
            return
        if height is None:
            self.ws.append(row)
            return
        # openpyxl writes a row's attributes from `row_dimensions[row]` as the row is appended (write-only
        # mode reads nothing else from it): a plain dict there, dropped right after, keeps memory flat and
        # costs a fraction of a RowDimension per row.
        dimensions = self.ws.row_dimensions
        dict.__setitem__(dimensions, self.row_idx, _row_height(height))
        self.ws.append(row)
        dict.__delitem__(dimensions, self.row_idx)

    def _fitted_height(self, values: Sequence[Any]) -> float | None:
        lines = 1
        count = len(values)
        for index, usable in self._wrapping:
            if index >= count:
                continue
            value = values[index]
            if type(value) is Cell:
                value = value.value
            if type(value) is str:
                if (
                    len(value) >= usable * MOST_LINES
                ):  # a character is at least one unit wide: no need to measure
                    lines = MOST_LINES
                elif "\n" in value:
                    lines = max(lines, wrapped_lines(value, usable + 1, most=MOST_LINES))
                else:
                    lines = max(lines, -(-text_width(value) // usable))
                if lines >= MOST_LINES:
                    break
        return wrapped_height(lines) if lines > 1 else None

    def _slot(self, key: tuple[Any, ...]) -> _SlotCell | None:
        try:
            return self._slots[key]
        except KeyError:
            pass
        array = self.styles.array(*key)
        if array is None:
            self._slots[key] = None
            return None
        cell = _SlotCell(self.ws)
        cell._style = array
        cell._style_id = self.ws.parent._cell_styles.add(array)
        self._slots[key] = cell
        return cell

    def _sid_of(self, slot: _SlotCell | None) -> str:
        return "" if slot is None else f' s="{slot._style_id}"'

    def _sid(self, key: tuple[Any, ...]) -> str:
        try:
            return self._sids[key]
        except KeyError:
            self._sids[key] = sid = self._sid_of(self._slot(key))
            return sid

    def _row_xml(self, values: Sequence[Any], height: float | None) -> _RowXml | None:
        """The row as the XML openpyxl would write for it, or None when a value needs openpyxl's own cells.

        The same cells as `_cells` (styles, neutralised text), serialised the way openpyxl 3.1 serialises
        them through et_xmlfile (tests/test_reports_excel.py compares the two byte for byte), without an
        object, a coordinate lookup and an element tree per cell: that work is most of a bare openpyxl
        write, and doing without it leaves room for the styles and row heights a report needs."""
        row = str(self.row_idx)
        row_style = self._row_style
        keys = self._column_keys if self._body else self._no_keys
        sids = self._column_sids if self._body else self._no_sids
        letters = self._letters
        last = len(sids)
        long = False
        parts = [
            f'<row r="{row}">' if height is None else f'<row r="{row}" ht="{height:g}" customHeight="1">'
        ]
        for col_idx, value in enumerate(values, 1):
            style = None
            if type(value) is Cell:
                style = value.style
                value = value.value
            kind = type(value)
            quote = False
            if kind is str:
                if value and (value[0] in FORMULA_TRIGGERS or len(value) > EXCEL_CELL_MAX):
                    value, quote = neutralise(value)
                elif ILLEGAL_CHARACTERS_RE.search(value):
                    value = neutralise(value)[0]
            elif value is not None and kind not in _NUMBER_TYPES and kind is not bool:
                return None
            if style is None and row_style is None and not quote:
                sid = sids[col_idx] if col_idx < last else sids[0]
            else:
                column_key = keys[col_idx] if col_idx < last else keys[0]
                sid = self._sid((column_key, row_style, style, "quote" if quote else None))
            if value is None and not sid:
                continue
            ref = letters[col_idx] if col_idx < len(letters) else self._letter(col_idx)
            if value is None:
                parts.append(f'<c r="{ref}{row}"{sid} t="n" />')
                continue
            if kind is str:
                if not value:
                    parts.append(f'<c r="{ref}{row}"{sid} t="inlineStr" />')
                    continue
                stripped = value.strip()
                space = ' xml:space="preserve"' if stripped and stripped != value else ""
                cell = f'<c r="{ref}{row}"{sid} t="inlineStr"><is><t{space}>'
                if len(value) < LONG_TEXT:
                    parts.append(f"{cell}{_escaped(value)}</t></is></c>")
                else:  # written as it is, not copied into the row's text (see _RowXml)
                    parts += (cell, _escaped(value), "</t></is></c>")
                    long = True
            elif kind is bool:
                parts.append(f'<c r="{ref}{row}"{sid} t="b"><v>{1 if value else 0}</v></c>')
            elif kind is not int and (math.isnan(value) or math.isinf(value)):
                parts.append(f'<c r="{ref}{row}"{sid} t="n"><v /></c>')
            else:
                # openpyxl's safe_string: %-formatting turns a Decimal into a float first, as it must here.
                number = "%.16g" % value  # noqa: UP031
                parts.append(f'<c r="{ref}{row}"{sid} t="n"><v>{number}</v></c>')
        parts.append("</row>")
        return _RowXml(parts if long else ("".join(parts),))

    def _letter(self, col_idx: int) -> str:
        letters = self._letters
        while len(letters) <= col_idx:
            letters.append(get_column_letter(len(letters)))
        return letters[col_idx]

    def _to_row(self, values: Sequence[Any], row_idx: int):
        return values if type(values) is _RowXml else self._cells(values, row_idx)

    def _cells(self, values: Sequence[Any], row_idx: int):
        plain = self._plain
        row_style = self._row_style
        keys = self._column_keys if self._body else self._no_keys
        slots = self._column_slots if self._body else self._no_slots
        last = len(slots)
        for col_idx, value in enumerate(values, 1):
            style = None
            if type(value) is Cell:
                style = value.style
                value = value.value
            quote = formula = False
            kind = type(value)
            if kind is str:
                if value and (value[0] in FORMULA_TRIGGERS or len(value) > EXCEL_CELL_MAX):
                    value, quote = neutralise(value)
            elif kind is Formula:
                value, formula = str(value), True
            if style is None and row_style is None and not quote:
                cell = slots[col_idx] if col_idx < last else slots[0]
                if cell is None:
                    if value is None:
                        continue
                    cell = plain
            else:
                column_key = keys[col_idx] if col_idx < last else keys[0]
                cell = self._slot((column_key, row_style, style, "quote" if quote else None)) or plain
            if kind in _DATE_TYPES:
                # Binding a date sets a number format on the cell's style: a date gets a cell of its own.
                cell = _OpenpyxlCell(self.ws, style_array=None if cell is plain else copy(cell._style))
            try:
                cell.value = value
            except IllegalCharacterError:
                cell.value = neutralise(value)[0]
            if not formula and cell.data_type in ("f", "e"):
                cell.data_type = "s"
            cell.column = col_idx
            cell.row = row_idx
            yield cell


def write_workbook(
    book: WorkbookSpec,
    out: str | IO[bytes] | Any,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write `book` to `out` (a path or a binary file) and return the number of body rows written.

    Sheets are written one after another, each row as its generator yields it. `progress(done, total)` is
    called every few dozen rows and after each sheet; total sums the sheets' `size` hints (at least done).
    Datetimes must be naive (Excel has no time zones)."""
    workbook = Workbook(write_only=True)
    workbook.properties.creator = book.creator
    if book.title:
        workbook.properties.title = book.title
    styles = _Styles(workbook, book.styles)
    total = sum(sheet.size or 0 for sheet in book.sheets)
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None and rows:
            progress(done, max(total, done))

    try:
        for sheet in book.sheets:
            _SheetWriter(workbook, sheet, styles).write(advance)
        if progress is not None:
            progress(done, done)  # the size hints were estimates; now every row is written
        workbook.save(out)
    except BaseException:
        _discard(workbook)
        raise
    return done


def _discard(workbook: Workbook) -> None:
    """Close what a failed write left open and delete the sheets' temporary files. Left to the garbage
    collector, openpyxl's suspended streams would write to files already closed, whenever it runs."""
    for ws in workbook._sheets:
        writer = getattr(ws, "_writer", None)
        for stream in (getattr(ws, "_rows", None), writer.xf if writer is not None else None):
            if stream is not None:
                with suppress(Exception):
                    stream.close()
        if writer is not None and isinstance(writer.out, str):
            with suppress(OSError):
                os.remove(writer.out)
