"""In a real browser, 市知识产权局's whole quarter through the Excel template alone: the reporter downloads
the template, fills its 8 figures and 17 tasks offline (openpyxl stands in for Excel), uploads it, reads the
preview, confirms, lands on the quarter's reporting page and submits. Screenshots go to tests/artifacts/.

What it takes, counted from this test: the cells typed in Excel (`entries`) and the clicks in the browser
(`clicks`, the confirmation of 报送本季度 included), against the web form's 61 field entries and 2
clicks (tests/test_browser_reporting.py)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from reporting.excel.task_sheet import T_NEXT, T_PROBLEMS, T_PROGRESS, T_STATUS, TASK_HEADER_ROW, TASK_SHEET
from reporting.excel.template import HEADER_ROW, NAME, NOTE, SHEET, VALUE
from reporting.models import Submission, TaskReport
from tests import test_browser_reporting as reporting_world
from tests.excel_files import edit
from tests.test_browser_reporting import FIGURES, log_in, shot

# The reporting browser test's world (8 figures, 17 tasks of 市知识产权局, 2026 Q4) and browser.
world = reporting_world.world
browser = reporting_world.browser

NOTES = {
    "trademarks": "含马德里国际注册商标",
    "geographical-indications": "2件地理标志证明商标注册证被撤销",  # below last quarter: a note is required
}
LAGGING = 3  # the fourth task is behind: its problems are stated


def fill_quarter(data: bytes, indicators: dict, counted: list[str]) -> bytes:
    """The template filled as the reporter would in Excel; every cell typed is appended to `counted`."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    by_name = {indicator.name: code for code, indicator in indicators.items()}
    for cells in book[SHEET].iter_rows(min_row=HEADER_ROW + 1):
        code = by_name[cells[NAME].value]
        indicator, typed = indicators[code], FIGURES[code]
        value = ("是" if typed == "1" else "否") if indicator.measure == "milestone" else float(typed)
        cells[VALUE].value = value
        counted.append(f"{code} 数值")
        if code in NOTES:
            cells[NOTE].value = NOTES[code]
            counted.append(f"{code} 说明")
    for n, cells in enumerate(book[TASK_SHEET].iter_rows(min_row=TASK_HEADER_ROW + 1)):
        title = cells[2].value
        typed = {
            T_STATUS: "滞后" if n == LAGGING else "推进中",
            T_PROGRESS: f"本季度围绕“{title}”召开专题推进会，落实责任分工。",
            T_NEXT: "下季度继续抓好落实，按期完成年度目标。",
        }
        if n == LAGGING:
            typed[T_PROBLEMS] = "配套资金尚未到位，已协调财政部门加快拨付。"
        for column, value in typed.items():
            assert cells[column].protection.locked is False
            cells[column].value = value
            counted.append(f"{title} {column}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reporter_fills_and_submits_the_whole_quarter_through_the_template(
    live_server, world, browser, tmp_path
):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    base, clicks = live_server.url, []
    # 报送本季度 asks to confirm the count it submits: accepting it is one more click
    page.on("dialog", lambda dialog: (clicks.append("确定"), dialog.accept()))

    def click(selector: str) -> None:
        clicks.append(selector)
        page.click(selector)

    log_in(page, base, "qz-zscqj")
    page.wait_for_url(f"{base}/report/")
    page.goto(f"{base}/imports/")
    with page.expect_download() as downloading:
        click("text=下载2026年第四季度模板")
    download = downloading.value
    assert download.suggested_filename == "市知识产权局_2026年第四季度_填报模板.xlsx"
    template = tmp_path / download.suggested_filename
    download.save_as(template)

    entries: list[str] = []
    filled = tmp_path / "四季度填报.xlsx"
    filled.write_bytes(fill_quarter(template.read_bytes(), world["indicators"], entries))

    # A slip first (not counted): an unknown status is refused by row, in Chinese, and nothing is offered.
    def slipped(book):
        book[TASK_SHEET].cell(TASK_HEADER_ROW + 2, T_STATUS + 1).value = "差不多了"

    bad = tmp_path / "有误.xlsx"
    bad.write_bytes(edit(filled.read_bytes(), slipped))
    page.set_input_files("input[name=file]", str(bad))
    page.click("text=上传并预览")
    page.wait_for_url("**/imports/*/")
    assert "表格中有1处错误，本次不能导入" in page.inner_text(".form-errors")
    assert "“任务进展”表第5行 （一）2 育主体：推进状态只能从下拉列表中选择" in page.inner_text(".form-errors")
    assert page.locator("text=确认导入").count() == 0
    shot(page, "excel-00-preview-error", full=False)
    page.goto(f"{base}/imports/")

    clicks.append("选择文件")
    page.set_input_files("input[name=file]", str(filled))
    click("text=上传并预览")
    page.wait_for_url("**/imports/*/")
    assert "有错误 0 行" in page.inner_text(".import-summary >> nth=1")
    assert page.locator("table.import-tasks tr.import-row-new").count() == 17
    shot(page, "excel-01-preview")
    click("text=确认导入8项指标数据和17项任务进展（保存为草稿）")
    page.wait_for_url(f"{base}/report/?period=2026-4")
    assert "已保存8项指标数据和17项任务进展（草稿），请在填报页核对后报送。" in page.inner_text(".messages")
    shot(page, "excel-02-report", full=False)

    click("button[value=submit]")
    page.wait_for_selector(".msg-success")
    assert "已报送8项指标、17项任务进展，等待办公室审核" in page.inner_text(".messages")
    shot(page, "excel-03-submitted", full=False)
    context.close()

    assert Submission.objects.filter(state="submitted").count() == 8
    assert TaskReport.objects.filter(state="submitted").count() == 17
    lagging = TaskReport.objects.get(status="lagging")
    assert lagging.problems == "配套资金尚未到位，已协调财政部门加快拨付。"
    # 8 figures + 2 notes + 17 × (status, progress, next steps) + 1 problem; download, choose, upload,
    # confirm, submit.
    assert (len(entries), len(clicks)) == (62, 6)
    print(f"\nExcel route: {len(entries)} cells typed, {len(clicks)} clicks")
