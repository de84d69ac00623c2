"""The one Excel writer. Every workbook we produce is a spec of sheets whose rows come from a generator,
streamed through XlsxWriter's constant_memory mode, so memory stays flat however many rows there are.

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
footer; optionally native charts (`ChartSpec`), data validations (`Validation`), sheet protection (cells
styled `input` stay editable) and a hidden state. A row may be a `Row` to set its height, merge its first
cell across all columns, or give all its cells a style. Style keys combine with spaces ("cell percent"): later
keys override earlier ones group by group (font, fill, alignment, border, number format, protection). Rows
whose wrapped text needs several lines get a height that shows it, at most the 409 points Excel allows.

Text is never a formula: every string is stored as a literal string cell (the workbook is opened with
strings_to_formulas, strings_to_numbers and strings_to_urls off), and one that starts with = + - @, a tab or
CR/LF, or their full-width forms also gets Excel's quotePrefix flag, so Excel, WPS and LibreOffice show it as
typed and keep it text when someone edits the cell (see `neutralise`). A real formula must be asked for with
`Formula("=SUM(B2:B9)")`. NaN and infinities, which a cell cannot hold, are written as empty cells.
"""

from ipcity.workbook.spec import (
    DEFAULT_STYLES,
    Cell,
    ChartSpec,
    Column,
    Formula,
    Row,
    SheetSpec,
    Style,
    Validation,
    WorkbookSpec,
    font,
    solid,
)
from ipcity.workbook.text import (
    CUT_MARK,
    EXCEL_CELL_MAX,
    MAX_ROW_HEIGHT,
    fit_width,
    neutralise,
    text_width,
    width_for,
    wrapped_height,
    wrapped_lines,
)
from ipcity.workbook.writer import write_workbook

__all__ = [
    "CUT_MARK",
    "DEFAULT_STYLES",
    "EXCEL_CELL_MAX",
    "MAX_ROW_HEIGHT",
    "Cell",
    "ChartSpec",
    "Column",
    "Formula",
    "Row",
    "SheetSpec",
    "Style",
    "Validation",
    "WorkbookSpec",
    "fit_width",
    "font",
    "neutralise",
    "solid",
    "text_width",
    "width_for",
    "wrapped_height",
    "wrapped_lines",
    "write_workbook",
]
