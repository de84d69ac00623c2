"""What a workbook is made of: sheets of columns and rows, named cell styles, charts and validations. Nothing
here writes; `ipcity.workbook.writer` turns a spec into a file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ipcity.workbook.text import HEADING_FONT, TABLE_FONT, TABLE_SIZE, TEXT_FONT, TEXT_SIZE

Properties = Mapping[str, Any]  # XlsxWriter format properties (https://xlsxwriter.readthedocs.io/format.html)


@dataclass(frozen=True, slots=True)
class Style:
    """A named cell look as groups of XlsxWriter format properties. Combining styles (`a + b`) overrides
    group by group: b's font replaces a's whole font, so "header tone-good" takes the tone's font and the
    header's fill-less parts (a cell reads as one look, never half of each)."""

    font: Properties | None = None  # bold, italic, font_size, font_color, font_name
    fill: Properties | None = None  # pattern, bg_color (see `solid`)
    alignment: Properties | None = None  # align, valign, text_wrap
    border: Properties | None = None  # border, border_color
    number_format: str | None = None
    protection: Properties | None = None  # locked, hidden
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

    def properties(self) -> dict[str, Any]:
        """The style as one XlsxWriter format's properties ({} for no style at all)."""
        merged: dict[str, Any] = {}
        for group in ("font", "fill", "alignment", "border", "protection"):
            merged.update(getattr(self, group) or {})
        if self.number_format:
            merged["num_format"] = self.number_format
        if self.quote_prefix:
            merged["quote_prefix"] = True
        return merged

    def size(self) -> float:
        """The font size in points (the tables' when the style sets no font)."""
        return (self.font or {}).get("font_size", TABLE_SIZE)

    def wraps(self) -> bool:
        return bool(self.alignment and self.alignment.get("text_wrap"))


def figure_format(decimals: int) -> str:
    """The number format of a figure at `decimals` places: #,##0.00 for 2."""
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def solid(rgb: str) -> dict[str, Any]:
    """A solid fill of colour `rgb` ("DCE6F1")."""
    return {"pattern": 1, "bg_color": f"#{rgb}"}


def font(
    *,
    size: float = TABLE_SIZE,
    bold: bool = False,
    italic: bool = False,
    color: str | None = None,
    name: str = TABLE_FONT,
) -> dict:
    """A font: by default the tables' 宋体 五号; `name=TEXT_FONT` (仿宋) for running text. Every cell we
    write names its face, so no cell falls back to the program's Calibri."""
    properties: dict[str, Any] = {"font_name": name, "font_size": size}
    if bold:
        properties["bold"] = True
    if italic:
        properties["italic"] = True
    if color:
        properties["font_color"] = f"#{color}"
    return properties


_box = {"border": 1, "border_color": "#808080"}  # thin, grey, on all four sides
_figure = {"align": "right", "valign": "top"}  # numbers line up on the right, at their row's top like text

DEFAULT_STYLES: dict[str, Style] = {
    # Under every cell: the tables' face, so a cell without a style of its own is never in Calibri.
    "base": Style(font=font()),
    "title": Style(
        font=font(bold=True, size=16), alignment={"align": "center", "valign": "vcenter", "text_wrap": True}
    ),
    "subtitle": Style(font=font(size=10, color="404040", name=TEXT_FONT), alignment={"align": "center"}),
    "header": Style(
        font=font(bold=True),
        fill=solid("DCE6F1"),
        border=_box,
        alignment={"align": "center", "valign": "vcenter", "text_wrap": True},
    ),
    "section": Style(font=font(size=12, name=HEADING_FONT), alignment={"valign": "vcenter"}),
    "paragraph": Style(
        font=font(size=TEXT_SIZE, name=TEXT_FONT), alignment={"text_wrap": True, "valign": "top"}
    ),
    "cell": Style(border=_box, alignment={"valign": "top"}),
    "wrap": Style(alignment={"text_wrap": True, "valign": "top"}),
    "center": Style(alignment={"align": "center", "valign": "top", "text_wrap": True}),
    "bold": Style(font=font(bold=True)),
    "percent": Style(number_format="0.0%", alignment=_figure),
    "integer": Style(number_format="#,##0", alignment=_figure),
    # A figure shown at its indicator's stated precision; the cell keeps the exact value.
    **{f"d{n}": Style(number_format=figure_format(n), alignment=_figure) for n in range(5)},
    "input": Style(protection={"locked": False}, fill=solid("FFF9E5")),
    "quote": Style(quote_prefix=True),
    # Added to a cell's style when it holds a date or a time (openpyxl's and Excel's default formats).
    "date": Style(number_format="yyyy-mm-dd"),
    "datetime": Style(number_format="yyyy-mm-dd h:mm:ss"),
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
    """A native chart, in XlsxWriter's terms, placed with its top-left corner at `anchor` (e.g. "A20").

    `chart` is what `Workbook.add_chart` takes ({"type": "column", "subtype": "stacked"}); each of `series`
    what `Chart.add_series` takes, its ranges as [sheet title, first row, first col, last row, last col]
    (0-based); `settings` maps a Chart method to its options ({"set_title": {"name": "…"}})."""

    anchor: str
    chart: Properties
    series: Sequence[Properties]
    settings: Mapping[str, Properties] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Validation:
    """A data validation over `cells` (A1 references or ranges) with XlsxWriter's options
    ({"validate": "list", "source": ["是", "否"], "error_message": "…"})."""

    cells: Sequence[str]
    options: Properties


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
    validations: Sequence[Validation] = ()
    protect: str | None = None  # a password: the sheet is protected, cells styled `input` stay editable
    state: str = "visible"  # or "hidden", "veryHidden"
    footer: str = "第 &P 页，共 &N 页"
    # Sheet rows (0-based) that start a new printed page: a table and its chart printed together.
    page_breaks: Sequence[int] = ()
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
