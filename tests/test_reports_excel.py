"""The one Excel writer (ipcity/workbook, on XlsxWriter): layout, print setup, styles, text neutralising,
protection, charts, and that it keeps pace with bare openpyxl write-only mode in time and memory."""

from __future__ import annotations

import datetime
import gc
import io
import math
import re
import statistics
import tempfile
import time
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from ipcity.workbook import (
    Cell,
    ChartSpec,
    Column,
    Formula,
    Row,
    SheetSpec,
    Style,
    Validation,
    WorkbookSpec,
    fit_width,
    neutralise,
    solid,
    text_width,
    wrapped_height,
    write_workbook,
    writer,
)
from tests.soffice import convert, soffice_missing

HOSTILE = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", "＋1", "－1", "＠A1", '=HYPERLINK("x")']


def _book(rows, **sheet) -> WorkbookSpec:
    options = {
        "title": "测试",
        "title_rows": ["标题", "副标题"],
        "columns": [Column("名称", 20, "wrap"), Column("数量", 10), Column("比率", 10, "percent")],
        "rows": rows,
        "body_style": "cell",
        **sheet,
    }
    return WorkbookSpec(sheets=[SheetSpec(**options)], styles={"red": Style(fill=solid("FFC7CE"))})


def _written(book: WorkbookSpec):
    out = io.BytesIO()
    write_workbook(book, out)
    out.seek(0)
    return load_workbook(out), out


def test_it_lays_out_title_header_widths_freeze_and_print_setup():
    wb, _ = _written(_book([["甲", 1, Decimal("0.5")]], freeze_cols=1))
    ws = wb["测试"]
    assert [c.value for c in ws[3]] == ["名称", "数量", "比率"]
    assert ws["A1"].value == "标题" and ws["A1"].font.b and ws["A2"].value == "副标题"
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:C1", "A2:C2"}
    assert ws.freeze_panes == "B4"
    assert ws.print_title_rows == "$3:$3"
    assert ws.column_dimensions["A"].width == 20
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    # One page wide (fitToWidth's default, 1, is left out of the file), as many pages tall as it takes.
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert "&P" in ws.oddFooter.center.text
    assert ws["A3"].fill.fgColor.rgb.endswith("DCE6F1") and ws["A3"].border.left.style == "thin"


def test_it_styles_cells_by_column_row_and_cell_key():
    rows = [
        ["甲", 1, Decimal("0.855")],
        ["乙", Cell(2, "red"), None],
        Row(["合计", 3, Decimal(1)], style="bold"),
    ]
    ws = _written(_book(rows))[0]["测试"]
    assert ws["C4"].value == pytest.approx(0.855) and ws["C4"].number_format == "0.0%"
    assert ws["B5"].fill.fgColor.rgb.endswith("FFC7CE") and ws["B5"].border.left.style == "thin"
    assert ws["C5"].value is None and ws["C5"].border.left.style == "thin"  # an empty cell keeps its border
    assert ws["A6"].font.b and ws["A4"].alignment.wrap_text
    assert not ws["B4"].fill.fill_type


@pytest.mark.parametrize("text", HOSTILE)
def test_it_stores_text_that_looks_like_a_formula_as_text(text):
    wb, out = _written(_book([[text, 1, None]]))
    cell = wb["测试"]["A4"]
    assert cell.value == text.replace("\r", "\n") and cell.data_type == "s" and cell.quotePrefix
    sheet_xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml


def test_it_keeps_error_codes_and_ordinary_text_as_plain_strings():
    wb, _ = _written(_book([["#N/A", 1, None], ["普通文字", 2, None], ["1-2家", 3, None]]))
    ws = wb["测试"]
    assert ws["A4"].value == "#N/A" and ws["A4"].data_type == "s"
    assert ws["A5"].value == "普通文字" and not ws["A5"].quotePrefix
    assert not ws["A6"].quotePrefix


def test_it_writes_formulas_only_when_asked():
    ws = _written(_book([["甲", 1, None], ["乙", Formula("=B4*2"), None]]))[0]["测试"]
    assert ws["B5"].value == "=B4*2" and ws["B5"].data_type == "f"


def test_it_replaces_characters_xml_cannot_carry_and_cuts_overlong_text():
    assert neutralise("a\x01b") == ("a\ufffdb", False)
    text, quoted = neutralise("=" + "长" * 40000)
    assert quoted and len(text) == 32767 and text.endswith("已截断）")
    ws = _written(_book([["bad\x0bchar", 1, None]]))[0]["测试"]
    assert ws["A4"].value == "bad\ufffdchar"


def test_it_measures_chinese_text_as_double_width():
    assert text_width("指标abc") == 7
    assert text_width("（全角）") == 8
    assert fit_width(["商标有效注册量"], minimum=6, maximum=50) == 17  # and three units of padding
    assert fit_width(["很" * 80], maximum=30) == 30


def test_it_fits_row_heights_to_wrapped_text_and_merged_rows():
    long_text = "知识产权" * 30
    rows = [["短", 1, None], [long_text, 2, None], Row([long_text * 2], merge=True, style="paragraph")]
    ws = _written(_book(rows))[0]["测试"]
    assert ws.row_dimensions[4].height is None
    assert ws.row_dimensions[5].height >= 15 * 12  # 240 units in a 20-wide column: at least 12 lines
    assert ws.row_dimensions[6].height >= 15 * 6  # merged over 40 units: 480 units, at least 12 lines / 2
    assert "A6:C6" in {str(r) for r in ws.merged_cells.ranges}


def test_it_caps_row_heights_at_what_excel_allows():
    """Excel shows a row at most 409 points high; a cell with more text scrolls within it."""
    rows = [["长" * 3000, 1, None], ["行\n" * 200, 2, None], ["短\n短\n短", 3, None]]
    ws = _written(_book(rows))[0]["测试"]
    # 409 points is 545.33 pixels: XlsxWriter stores a height in whole pixels, 545 (408.75 points).
    assert ws.row_dimensions[4].height == ws.row_dimensions[5].height == 408.75
    assert ws.row_dimensions[6].height == pytest.approx(wrapped_height(3), abs=0.5)  # in whole pixels


def test_it_protects_sheets_hides_metadata_and_keeps_input_cells_editable():
    validation = Validation(["B2:B10"], {"validate": "integer", "criteria": ">=", "value": 0})
    book = WorkbookSpec(
        sheets=[
            SheetSpec(
                title="填报",
                columns=[Column("指标", 20), Column("数值", 12, "input")],
                rows=[["商标有效注册量", None]],
                protect="secret",
                validations=[validation],
            ),
            SheetSpec(
                title="_meta", columns=[Column("键"), Column("值")], rows=[["plan", "x"]], state="veryHidden"
            ),
        ]
    )
    wb, _ = _written(book)
    form, meta = wb["填报"], wb["_meta"]
    assert form.protection.sheet and form.protection.password
    assert form["B2"].protection.locked is False and form["A2"].protection.locked is not False
    rule = form.data_validations.dataValidation[0]
    assert str(rule.sqref) == "B2:B10" and rule.type == "whole" and rule.operator == "greaterThanOrEqual"
    assert meta.sheet_state == "veryHidden" and meta["B2"].value == "x"


def test_it_hides_columns_marked_hidden():
    book = WorkbookSpec(
        sheets=[
            SheetSpec(title="填报", columns=[Column("代码", hidden=True), Column("指标")], rows=[["k", "v"]])
        ]
    )
    wb, _ = _written(book)
    assert wb["填报"].column_dimensions["A"].hidden and not wb["填报"].column_dimensions["B"].hidden
    assert wb["填报"]["A2"].value == "k"


def test_it_adds_native_charts():
    series = {"name": ["测试", 2, 1], "values": ["测试", 3, 1, 4, 1], "categories": ["测试", 3, 0, 4, 0]}
    chart = ChartSpec("E3", {"type": "column"}, [series], {"set_title": {"name": "数量"}})
    _, out = _written(_book([["甲", 1, None], ["乙", 2, None]], charts=[chart]))
    names = zipfile.ZipFile(out).namelist()
    assert "xl/charts/chart1.xml" in names and "xl/drawings/drawing1.xml" in names
    chart_xml = zipfile.ZipFile(out).read("xl/charts/chart1.xml").decode()
    assert '<c:barDir val="col"/>' in chart_xml and "<a:t>数量</a:t>" in chart_xml
    assert "<c:f>测试!$B$3</c:f>" in chart_xml and "<c:f>测试!$B$4:$B$5</c:f>" in chart_xml


def test_it_refuses_a_chart_setting_that_is_not_a_setter():
    chart = ChartSpec("E3", {"type": "column"}, [], {"add_series": {}})
    with pytest.raises(ValueError, match="图表设置"):
        write_workbook(_book([["甲", 1, None]], charts=[chart]), io.BytesIO())


def test_it_reports_progress_against_the_size_hints():
    calls = []
    book = _book((["行", n, None] for n in range(120)), size=120)
    write_workbook(book, io.BytesIO(), progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (50, 120) and calls[-1] == (120, 120)


def test_it_refuses_an_unknown_style_key_in_chinese():
    with pytest.raises(KeyError, match="未定义的单元格样式"):
        write_workbook(_book([[Cell("甲", "nope"), 1, None]]), io.BytesIO())


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_it_leaves_nothing_open_when_a_write_fails(tmp_path, monkeypatch):
    """A generator that fails mid-sheet (a database error, say) leaves no temporary file and no stream for
    the garbage collector to finish later."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def rows():
        yield ["甲", 1, None]
        raise RuntimeError("数据库连接中断")

    with pytest.raises(RuntimeError):
        write_workbook(_book(rows()), io.BytesIO())
    gc.collect()
    assert list(tmp_path.iterdir()) == []


# Whatever the values, what is read back is what was meant -------------------------------------------------

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    # Up to 1e300: a float printed to 16 digits near the largest double reads back as infinity.
    st.floats(min_value=-1e300, max_value=1e300),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.decimals(allow_nan=False, places=4, min_value=-(10**9), max_value=10**9),
    st.text(max_size=30),
    st.sampled_from(
        [*HOSTILE, "", " ", " 前后空格 ", "&<>\"'", "a\x01b", "#N/A", "\u3000全角", "长" * 40000, "a\r\nb"]
    ),
)
CELLS = st.one_of(
    VALUES, st.builds(Cell, VALUES, st.sampled_from([None, "red", "bold", "cell percent", "quote"]))
)
ROWS = st.lists(st.lists(CELLS, max_size=6), max_size=6)


def _expected(value):
    """What a value reads back as: text neutralised (None when empty), numbers as floats, NaN/inf empty."""
    if type(value) is Cell:
        value = value.value
    if isinstance(value, str):
        return neutralise(value)[0] or None
    if isinstance(value, bool) or value is None:
        return value
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else pytest.approx(number, rel=1e-15)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS)
def test_every_value_reads_back_as_written_and_text_never_becomes_a_formula(rows):
    wb, out = _written(_book(rows))
    ws = wb["测试"]
    for row_number, row in enumerate(rows, start=4):
        for col_number, value in enumerate(row, start=1):
            cell = ws.cell(row_number, col_number)
            assert cell.value == _expected(value), (row_number, col_number, value)
            text = value.value if type(value) is Cell else value
            if isinstance(text, str) and cell.value is not None:
                assert cell.data_type == "s"
                assert bool(cell.quotePrefix) == neutralise(text)[1] or (
                    type(value) is Cell and value.style == "quote"
                )
    assert "<f>" not in zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()


def test_it_writes_dates_and_formulas():
    when = datetime.datetime(2025, 10, 8, 9, 30)
    rows = [["甲", Formula("=B4*2"), None], [when.date(), when, Decimal("0.5")]]
    ws = _written(_book(rows))[0]["测试"]
    assert ws["B4"].data_type == "f" and ws["A5"].value == datetime.datetime(2025, 10, 8) and ws["A5"].is_date
    assert ws["B5"].value == when and ws["B5"].is_date
    assert ws["A5"].number_format == "yyyy-mm-dd" and ws["A5"].border.left.style == "thin"


def test_it_makes_one_format_per_distinct_look():
    """Formats are cached: a thousand styled rows add no more cell formats than one does."""

    def formats(count: int) -> int:
        rows = [["甲", Cell(n, "red"), Decimal("0.5")] for n in range(count)]
        styles = zipfile.ZipFile(_written(_book(rows))[1]).read("xl/styles.xml").decode()
        return int(re.search(r'<cellXfs count="(\d+)"', styles).group(1))

    assert formats(1000) == formats(1)


# Speed and memory against bare openpyxl --------------------------------------------------------------------

STATUS = ["已完成", "按序时推进", "预警", "落后", "无数据"]


def _report_like_rows(count: int):
    """Rows shaped like the 指标进度 sheet: text, numbers, a percent, a status cell with a fill, notes."""
    for n in range(count):
        yield [
            n + 1,
            "创造",
            f"每万人口高价值发明专利拥有量{n}",
            "件",
            Decimal("5.61"),
            "≥78.51万件（推算）",
            "≥83.26万件",
            "≥88万件",
            Decimal("80.1234") + n,
            Decimal("0.8765"),
            Decimal("79.5"),
            Cell(STATUS[n % 5], "red"),
            Decimal("90.25"),
            "市知识产权局、市市场监管局",
            "=1+1" if n % 7 == 0 else "数据来自统计年报",
        ]


REPORT_COLUMNS = [
    Column("序号", 5, "center"),
    Column("类别", 6, "center"),
    Column("指标", 24, "wrap"),
    Column("计量单位", 7, "center"),
    Column("基期值", 10),
    Column("2024年目标", 16, "wrap"),
    Column("2025年目标", 16, "wrap"),
    Column("2026年目标", 16, "wrap"),
    Column("实际值", 11),
    Column("完成率", 8, "percent"),
    Column("序时进度", 10),
    Column("状态", 10, "center"),
    Column("预计期末值", 11),
    Column("责任单位", 18, "wrap"),
    Column("备注", 22, "wrap"),
]


def _ours(count: int, out=None) -> None:
    book = WorkbookSpec(
        sheets=[
            SheetSpec(
                title="指标进度",
                title_rows=["标题", "副标题", "报告期"],
                columns=REPORT_COLUMNS,
                rows=_report_like_rows(count),
                body_style="cell",
                freeze_cols=3,
            )
        ],
        styles={"red": Style(fill=solid("FFC7CE"))},
    )
    write_workbook(book, out or io.BytesIO())


def _bare(count: int, out=None) -> None:
    """The same cells' values through openpyxl write-only mode, no styles, no layout."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("指标进度")
    for row in _report_like_rows(count):
        ws.append([value.value if type(value) is Cell else value for value in row])
    wb.save(out or io.BytesIO())


def _cpu_seconds(write, rows: int) -> float:
    gc.collect()
    started = time.process_time()
    write(rows)
    return time.process_time() - started


@pytest.mark.slow
def test_it_writes_within_1_3_times_bare_openpyxl_write_only():
    """CPU time of this process, not wall time: other processes on the machine must not decide the ratio."""
    rows = 4000
    _ours(200), _bare(200)  # warm up imports and caches
    timings: dict[str, list[float]] = {"ours": [], "bare": []}
    for _ in range(7):
        timings["bare"].append(_cpu_seconds(_bare, rows))
        timings["ours"].append(_cpu_seconds(_ours, rows))
    ratio = statistics.median(timings["ours"]) / statistics.median(timings["bare"])
    print(f"\nwriter/bare openpyxl CPU time: {ratio:.3f} ({rows:,} rows × 15 cells, median of 7)")
    assert ratio <= 1.3


def _peak(write, count: int, path) -> int:
    gc.collect()
    tracemalloc.start()
    write(count, path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


@pytest.mark.slow
def test_its_memory_stays_flat_as_rows_grow(tmp_path, monkeypatch):
    """Peak Python memory while writing to a file: ten times the rows must not take ten times the memory.
    XlsxWriter keeps the height of every row given one for the whole sheet, so a sheet fits at most
    FITTED_ROWS rows (5,000; lowered here to keep the test short): past it memory is flat."""
    monkeypatch.setattr(writer, "FITTED_ROWS", 400)
    out = str(tmp_path / "out.xlsx")
    small, large, bare = _peak(_ours, 500, out), _peak(_ours, 5000, out), _peak(_bare, 5000, out)
    mb = 1024 * 1024
    print(f"\npeak memory: 500 rows {small / mb:.2f} MiB, 5,000 rows {large / mb:.2f} MiB", end="")
    print(f", bare openpyxl 5,000 rows {bare / mb:.2f} MiB")
    assert large < small * 1.3
    assert large < bare * 3


def test_it_fits_row_heights_up_to_its_budget_then_leaves_rows_to_the_reader(monkeypatch):
    monkeypatch.setattr(writer, "FITTED_ROWS", 3)
    ws = _written(_book([["知识产权" * 30, n, None] for n in range(5)]))[0]["测试"]
    heights = [ws.row_dimensions[row].height for row in range(4, 9)]
    assert heights[0] >= 15 * 12 and heights[:3] == [heights[0]] * 3 and heights[3:] == [None, None]


def test_it_converts_in_libreoffice_and_shows_formula_text_as_typed(tmp_path):
    if soffice_missing():
        pytest.skip("LibreOffice (soffice) 未安装")
    path = tmp_path / "book.xlsx"
    write_workbook(_book([["=1+1", 1, Decimal("0.5")], ["＝2+2", Formula("=B4*3"), None]]), str(path))
    csv = convert(path, "csv", tmp_path).read_text(encoding="utf-8")
    assert '"=1+1",1,' in csv and '"＝2+2",3,' in csv  # text shown as typed; the one real formula computed
    assert convert(path, "pdf", tmp_path).stat().st_size > 1000
