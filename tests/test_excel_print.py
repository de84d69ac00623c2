"""The Excel report and bulletin fit to print (issue 15, item 5): the report's cover, the faces, figures at
their indicator's precision, milestones in words, rows as tall as their wrapped text, and the bulletin's
Chinese punctuation, read back with openpyxl."""

from __future__ import annotations

import io
import itertools
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from exports.books import bulletin_book, export_bulletin, export_report, progress_report_book
from exports.selectors.bulletin import bulletin_for
from exports.selectors.report import report_data
from ipcity.typography import NO_BREAK, NO_LINE_START, chinese_text, kept_together
from ipcity.workbook import Column, Row, SheetSpec, WorkbookSpec, write_workbook
from ipcity.workbook.text import TABLE_SIZE, TEXT_SIZE, wrapped_height, wrapped_lines
from tests.excel_files import printed

pytestmark = pytest.mark.django_db
HEADER_ROW = 4  # the indicator sheet: three title rows, then the header
FACES = {"宋体", "仿宋", "黑体"}


def _report(scenario):
    out = io.BytesIO()
    export_report(plan=scenario.plan, year=scenario.year, quarter=scenario.quarter, out=out)
    out.seek(0)
    return load_workbook(out)


def _bulletin(scenario):
    out = io.BytesIO()
    export_bulletin(plan=scenario.plan, year=scenario.year, quarter=scenario.quarter, out=out)
    out.seek(0)
    return load_workbook(out)["通报"]


def _indicator_rows(ws):
    headers = [cell.value for cell in ws[HEADER_ROW]]
    rows = [row for row in ws.iter_rows(min_row=HEADER_ROW + 1) if row[0].value is not None]
    return headers, rows


# The cover -----------------------------------------------------------------------------------------


def test_it_opens_with_a_cover_saying_who_sends_what_and_what_it_stands_on(report_scenario):
    wb = _report(report_scenario)
    assert wb.sheetnames[0] == "封面"
    cover = wb["封面"]
    texts = [printed(cell.value) for row in cover.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert texts[0] == "关于泉州市示范城市建设\n2025年第三季度工作进展情况的报告"  # broken between words
    lines = dict(itertools.pairwise(texts))
    assert lines["报送单位："] == "泉州市知识产权工作领导小组办公室"
    assert "联系人：" in texts and "联系电话：" in texts  # lines to fill in when the office set none
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", lines["日期："])
    assert any(text.startswith("数据截至") and "尚有2项待审核" in text for text in texts)
    assert any(text.startswith("本季度应报送数据和进展的5家责任单位中，按时报送3家") for text in texts)
    assert cover.page_setup.orientation == "portrait" and cover.page_setup.paperSize == 9
    title = cover["A2"]
    assert title.font.name == "宋体" and title.font.b and title.font.sz == 22
    assert "A2:C2" in {str(merged) for merged in cover.merged_cells.ranges}


def test_the_cover_names_the_contact_the_office_gives(report_scenario):
    data = report_data(report_scenario.plan, report_scenario.year, report_scenario.quarter)
    book = progress_report_book(data, generated_at=timezone.now(), contact="张三", phone="0595-12345678")
    out = io.BytesIO()
    write_workbook(book, out)
    texts = [cell.value for row in load_workbook(out)["封面"].iter_rows() for cell in row if cell.value]
    assert texts[texts.index("联系人：") + 1] == "张三"
    assert texts[texts.index("联系电话：") + 1] == "0595-12345678"


def test_the_workbooks_carry_the_contact_and_number_the_office_set_for_its_documents(report_scenario):
    from exports.models import OfficialDocument

    where = {"plan": report_scenario.plan, "year": report_scenario.year, "quarter": report_scenario.quarter}
    OfficialDocument.objects.create(**where, kind="report", contact="李四", phone="0595-22220000")
    OfficialDocument.objects.create(**where, kind="bulletin", number="泉知领办〔2025〕7号")
    texts = [cell.value for row in _report(report_scenario)["封面"].iter_rows() for cell in row if cell.value]
    assert texts[texts.index("联系人：") + 1] == "李四"
    assert texts[texts.index("联系电话：") + 1] == "0595-22220000"
    bulletin = [printed(cell.value) for row in _bulletin(report_scenario).iter_rows() for cell in row
                if isinstance(cell.value, str)]  # fmt: skip
    assert "泉知领办〔2025〕7号" in bulletin


# Faces and page setup ------------------------------------------------------------------------------


def test_every_cell_with_text_is_in_a_chinese_face_never_calibri(report_scenario):
    wb = _report(report_scenario)
    faces = {cell.font.name for ws in wb for row in ws.iter_rows() for cell in row if cell.value is not None}
    assert faces <= FACES
    ws = wb["指标进度"]
    _headers, rows = _indicator_rows(ws)
    assert {(cell.font.name, cell.font.sz) for cell in rows[0] if cell.value is not None} == {
        ("宋体", TABLE_SIZE)
    }
    summary = wb["汇总"]
    paragraph = next(cell for cell in summary["A"] if str(cell.value).startswith("待审核事项"))
    assert (paragraph.font.name, paragraph.font.sz) == ("仿宋", TEXT_SIZE)
    bulletin = _bulletin(report_scenario)
    assert {cell.font.name for row in bulletin.iter_rows() for cell in row if cell.value} <= FACES


def test_every_sheet_prints_on_a4_fitted_to_width_with_its_header_on_every_page(report_scenario):
    wb = _report(report_scenario)
    for ws in wb:
        assert ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0  # width: 1
        assert ws.page_margins.left == pytest.approx(0.79) and ws.page_margins.top == pytest.approx(0.98)
    assert wb["指标进度"].print_title_rows == "$4:$4"
    assert wb["任务进展"].print_title_rows == "$4:$4"


# Figures -------------------------------------------------------------------------------------------


def test_figures_are_right_aligned_at_their_indicators_precision(report_scenario):
    ws = _report(report_scenario)["指标进度"]
    headers, rows = _indicator_rows(ws)
    by_name = {row[headers.index("指标")].value: row for row in rows}
    expected = {
        "版权登记量": "#,##0.0000",
        "商标有效注册量": "#,##0.00",
        "地理标志商标和地理标志保护产品总量": "#,##0",
    }
    for name, number_format in expected.items():
        row = by_name[name]
        for header in ("截至本季度实际值", "序时进度", "预计期末值"):
            cell = row[headers.index(header)]
            assert isinstance(cell.value, int | float), (name, header)
            assert cell.number_format == number_format, (name, header)
            assert cell.alignment.horizontal == "right", (name, header)
        rate = row[headers.index("完成率")]
        assert rate.number_format == "0.0%" and rate.alignment.horizontal == "right"


def test_milestones_read_done_or_not_done_and_no_rate(report_scenario):
    ws = _report(report_scenario)["指标进度"]
    headers, rows = _indicator_rows(ws)
    milestones = [row for row in rows if row[headers.index("2026年目标")].value == "完成"]
    reported = [row for row in milestones if row[headers.index("状态")].value != "无数据"]
    assert len(milestones) == 2 and len(reported) == 1
    assert reported[0][headers.index("截至本季度实际值")].value == "已完成"
    assert reported[0][headers.index("截至本季度实际值")].alignment.horizontal == "center"
    for row in milestones:
        assert row[headers.index("完成率")].value is None
    numbers = [row for row in rows if row not in milestones and row[headers.index("截至本季度实际值")].value]
    assert all(isinstance(row[headers.index("截至本季度实际值")].value, float | int) for row in numbers)


# Row heights ---------------------------------------------------------------------------------------


def test_it_counts_the_lines_of_chinese_text_as_a_cjk_layout_breaks_them():
    assert wrapped_lines("知识产权" * 10, 22) == 4  # 20 units a line: ten characters
    assert wrapped_lines("短", 6) == 1
    assert wrapped_lines("一二三四五六七八九十", 12) == 2
    # A comma never starts a line: the character before it goes down with it, and the line after grows.
    assert wrapped_lines("一二三四五，六七八九", 12) == 3
    assert wrapped_lines("第一行\n第二行", 30) == 2
    # A larger face takes more of the width: twelve-point text wraps sooner than the tables' 10.5.
    assert wrapped_lines("知识产权" * 10, 22, size=TEXT_SIZE) > wrapped_lines("知识产权" * 10, 22)
    assert wrapped_lines("20242025202620272028", 12) == 2  # digits run on, then break where they must
    assert wrapped_height(1) < wrapped_height(2) < wrapped_height(2, size=16)


def test_it_measures_each_character_as_text_width_does_when_counting_lines():
    """A character below U+0800 (one or two UTF-8 bytes: é, ·) takes one unit, any other two (CJK, emoji);
    a run of Latin letters and digits one unit a character and is not broken inside."""
    assert wrapped_lines("é" * 30, 12) == 3  # ten units a line
    assert wrapped_lines("·" * 25, 12) == 3
    assert wrapped_lines("😀" * 10, 12) == 2
    assert wrapped_lines("é知" * 12, 12) == 4
    assert wrapped_lines("ab-cd,1.5%" * 4 + "知识产权", 12) == 5


def test_every_wrapped_row_is_as_tall_as_its_tallest_cell(report_scenario):
    wb = _report(report_scenario)
    for title in ("指标进度", "任务进展"):
        ws = wb[title]
        widths = {}
        for dimension in ws.column_dimensions.values():
            for index in range(dimension.min, dimension.max + 1):
                widths[get_column_letter(index)] = dimension.width
        checked = 0
        for row in ws.iter_rows(min_row=HEADER_ROW + 1):
            if len({cell.value for cell in row} - {None}) < 2:  # a section row, merged and titled
                continue
            needed = max(
                wrapped_height(wrapped_lines(cell.value, widths[cell.column_letter]))
                for cell in row
                if isinstance(cell.value, str) and cell.alignment.wrap_text
            )
            height = ws.row_dimensions[row[0].row].height
            if needed > wrapped_height(1):
                assert height is not None and height >= needed - 0.5, (title, row[0].row)
                checked += 1
        assert checked, title


def test_a_wrapped_cell_in_a_larger_face_gets_a_taller_row():
    rows = [Row(["知识产权工作" * 12], merge=True, style="paragraph"), Row(["知识产权工作" * 12], merge=True)]
    columns = [Column(width=20), Column(width=20)]
    book = WorkbookSpec(sheets=[SheetSpec(title="测", columns=columns, rows=rows, header=False)])
    out = io.BytesIO()
    write_workbook(book, out)
    ws = load_workbook(out)["测"]
    text = "知识产权工作" * 12
    assert ws.row_dimensions[1].height == pytest.approx(
        wrapped_height(wrapped_lines(text, 40, size=TEXT_SIZE), size=TEXT_SIZE), abs=0.5
    )


# The bulletin's typography -------------------------------------------------------------------------


def test_chinese_text_sets_punctuation_full_width_and_no_line_starts_with_a_mark():
    assert chinese_text("各责任单位:") == "各责任单位："
    assert chinese_text("完成3项, 推进2项 ;另有1项?") == "完成3项，推进2项；另有1项？"
    assert chinese_text("方案(2024-2026年)确定") == "方案（2024-2026年）确定"
    assert chinese_text("，按序时推进1项") == "按序时推进1项"
    assert chinese_text("\u3000\u3000，截至\n、第二行") == "\u3000\u3000截至\n第二行"
    # Latin text, numbers and times are not Chinese text.
    assert chinese_text("10:30, 1,234 (ok)") == "10:30, 1,234 (ok)"
    assert kept_together("完成，推进。") == f"完成{NO_BREAK}，推进{NO_BREAK}。"
    assert kept_together(kept_together("完成，")) == f"完成{NO_BREAK}，"


def test_the_bulletin_sheet_is_set_in_chinese_punctuation_and_wrapped(report_scenario):
    ws = _bulletin(report_scenario)
    raw = [cell.value for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)]
    texts = [printed(text) for text in raw]
    assert "各责任单位：" in texts
    opening = next(text for text in texts if "有关要求" in text)
    assert "《泉州市国家知识产权强市建设示范城市工作方案（2024-2026年）》" in opening
    cjk_then_half_width = re.compile(r"[\u4e00-\u9fff][:,;?!(]")
    assert not [text for text in texts if cjk_then_half_width.search(text)]
    assert not [text for text in texts if text.lstrip("\u3000")[:1] in NO_LINE_START]
    # In print no line may start with a mark: in every wrapped cell each is held to the character before it.
    marks = re.compile(f"[^{NO_BREAK}\\s][{re.escape(''.join(NO_LINE_START))}]")
    cells = [cell for row in ws.iter_rows() for cell in row]
    wrapped = [cell.value for cell in cells if cell.value and cell.alignment.wrap_text]
    assert len(wrapped) > 20 and not [text for text in wrapped if marks.search(str(text))]
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and len(cell.value) > 20:
                assert cell.alignment.wrap_text, cell.coordinate
    table = [row for row in ws.iter_rows() if isinstance(row[0].value, int)]
    assert table and all(row[2].alignment.wrap_text for row in table)


def test_the_bulletin_prints_its_document_number_above_its_title(report_scenario):
    bulletin = bulletin_for(report_scenario.plan, 2025, 3, today=timezone.now().date())
    bulletin.number = "泉知领办〔2025〕3号"
    out = io.BytesIO()
    write_workbook(bulletin_book(bulletin), out)
    texts = [row[0].value for row in load_workbook(out)["通报"].iter_rows() if row[0].value]
    assert texts[:2] == ["泉知领办〔2025〕3号", "关于2025年第三季度泉州市示范城市建设工作推进情况的通报"]
    assert _bulletin(report_scenario)["A1"].value == texts[1]  # none given: the title comes first


def test_the_web_bulletin_gets_the_same_punctuation(report_scenario, leader_client):
    html = leader_client.get(
        "/reports/bulletin/quanzhou-2024-2026/", {"year": 2025, "quarter": 3}
    ).content.decode()
    assert "《泉州市国家知识产权强市建设示范城市工作方案（2024-2026年）》有关要求" in html
