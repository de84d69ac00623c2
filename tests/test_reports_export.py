"""The quarterly progress report workbook (exports/books.py), read back cell by cell."""

from __future__ import annotations

import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from exports.books import export_report
from ipcity.figures import target_text
from plans.models import Task
from progress.models import Progress
from progress.selectors import progress_for
from tests import factories
from tests.excel_files import printed
from tests.report_scenario import FORMULA_NOTE, PLUS_PROGRESS
from tests.soffice import convert, pdf_pages, pdf_to_png, soffice_missing

ARTIFACTS = Path(__file__).parent / "artifacts"
SHEETS = ["封面", "汇总", "指标进度", "任务进展", "报送情况", "目标考核"]
INDICATOR_HEADERS = [
    "序号", "类别", "指标", "计量单位", "基期值", "2024年目标", "2025年目标", "2026年目标",
    "截至本季度实际值", "完成率", "序时进度", "状态", "数据覆盖", "预计期末值", "责任单位", "备注",
]  # fmt: skip
TASK_HEADERS = ["序号", "任务", "牵头单位", "配合单位", "状态", "本季度进展", "存在问题", "下步计划"]
UNIT_HEADERS = [
    "序号", "单位", "应报项数", "已报项数", "按时项数", "逾期项数", "退回项数", "已审核项数", "报送情况",
    "按时率",
]  # fmt: skip
HEADER_ROW = 4  # three title rows, then the header
GREEN, YELLOW, RED = "C6EFCE", "FFEB9C", "FFC7CE"


def _report(scenario):
    out = io.BytesIO()
    export_report(plan=scenario.plan, year=scenario.year, quarter=scenario.quarter, out=out)
    out.seek(0)
    return load_workbook(out)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _rows(ws, first=HEADER_ROW + 1):
    return [row for row in ws.iter_rows(min_row=first) if any(cell.value is not None for cell in row)]


def _fill(cell) -> str | None:
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else None


def test_it_writes_the_five_sheets_with_their_headers(report_scenario):
    wb = _report(report_scenario)
    assert wb.sheetnames == SHEETS
    assert [c.value for c in wb["指标进度"][HEADER_ROW]] == INDICATOR_HEADERS
    assert [c.value for c in wb["任务进展"][HEADER_ROW]] == TASK_HEADERS
    assert [c.value for c in wb["报送情况"][HEADER_ROW]] == UNIT_HEADERS
    assert [c.value for c in wb["目标考核"][HEADER_ROW]] == [
        "名次", "单位", "综合得分", "指标成效（权重40）", "任务推进（权重20）", "报送及时（权重25）",
        "数据质量（权重15）", "得分依据",
    ]  # fmt: skip
    summary = wb["汇总"]
    assert summary["A1"].value == "关于泉州市示范城市建设2025年第三季度工作进展情况的报告"
    assert summary["A2"].value.startswith("泉州市国家知识产权强市建设示范城市工作方案（2024-2026年）")
    assert "2025年第三季度" in summary["A3"].value and "生成时间" in summary["A3"].value
    # The first page says what the figures stand on: the scenario has a figure and a task report pending.
    assert summary["A4"].value.startswith("数据截至") and summary["A4"].value.endswith("尚有2项待审核")


def test_its_indicator_figures_equal_the_progress_rows(report_scenario):
    """The progress API serializes exactly progress_for's rows: every figure in the sheet is one of them."""
    ws = _report(report_scenario)["指标进度"]
    expected = list(progress_for(report_scenario.plan, report_scenario.year, report_scenario.quarter))
    rows = _rows(ws)
    assert len(rows) == len(expected) == 10
    labels = dict(Progress.Status.choices)
    for row, progress in zip(rows, expected, strict=True):
        cells = {header: cell for header, cell in zip(INDICATOR_HEADERS, row, strict=True)}
        assert cells["指标"].value == progress.indicator.name
        completion = _decimal(cells["完成率"].value)
        if progress.indicator.kind.is_qualitative and progress.actual is not None:
            # A milestone reads 已完成 or 未完成; its completion rate says nothing more and is left out.
            assert cells["截至本季度实际值"].value == ("已完成" if progress.actual else "未完成")
            assert completion is None
        else:
            assert _decimal(cells["截至本季度实际值"].value) == progress.actual
            assert (completion * 100 if completion is not None else None) == progress.completion
        assert _decimal(cells["序时进度"].value) == progress.expected
        assert _decimal(cells["预计期末值"].value) == progress.forecast
        assert cells["状态"].value == labels[progress.status]
        for target in progress.indicator.targets.all():
            unit = progress.indicator.kind.display_unit(progress.indicator)  # 件/万人 for the per-capita one
            text = target_text(target.comparator, target.min, target.max, unit)
            assert cells[f"{target.year}年目标"].value.startswith(text)


def test_it_formats_percentages_and_fills_status_cells(report_scenario):
    ws = _report(report_scenario)["指标进度"]
    status = INDICATOR_HEADERS.index("状态")
    fills = {row[status].value: _fill(row[status]) for row in _rows(ws)}
    assert fills == {"已完成": GREEN, "按序时推进": GREEN, "预警": YELLOW, "落后": RED, "无数据": "EDEDED"}
    percent = ws.cell(row=HEADER_ROW + 1, column=INDICATOR_HEADERS.index("完成率") + 1)
    assert percent.number_format == "0.0%" and percent.value == pytest.approx(0.61728)


def test_it_freezes_headers_and_repeats_them_on_every_printed_page(report_scenario):
    wb = _report(report_scenario)
    assert wb["指标进度"].freeze_panes == "D5"
    assert wb["任务进展"].freeze_panes == "C5"
    assert wb["报送情况"].freeze_panes == "C5"
    for name in SHEETS[2:]:  # the cover and the summary have no header row
        ws = wb[name]
        assert ws.print_title_rows == "$4:$4"
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert "A1:" in {str(r)[:3] for r in ws.merged_cells.ranges}


def test_it_stores_notes_and_progress_that_start_like_formulas_as_text(report_scenario):
    wb = _report(report_scenario)
    note = wb["指标进度"].cell(row=HEADER_ROW + 1, column=INDICATOR_HEADERS.index("备注") + 1)
    assert note.value == FORMULA_NOTE and note.data_type == "s" and note.quotePrefix
    behind = wb["指标进度"].cell(row=HEADER_ROW + 4, column=INDICATOR_HEADERS.index("备注") + 1)
    assert behind.value == "@备注：数据来自统计年报" and behind.quotePrefix  # only the approved note
    tasks = {row[1].value: row for row in _rows(wb["任务进展"])}
    first = tasks[report_scenario.first_task.title]
    assert printed(first[5].value).startswith(f"【市知识产权局】{PLUS_PROGRESS}\n【市科技局】配合开展调研")


def test_it_gives_each_task_the_most_worrying_status_of_its_units_approved_reports(report_scenario):
    ws = _report(report_scenario)["任务进展"]
    tasks = {row[1].value: row for row in _rows(ws) if row[1].value}
    first, second = tasks[report_scenario.first_task.title], tasks[report_scenario.second_task.title]
    assert first[2].value == "市知识产权局" and "市科技局" in first[3].value
    assert (first[4].value, _fill(first[4])) == ("滞后", RED)
    # The lead's report waits for the office: not counted yet, and the sheet says why the cell is empty.
    assert (second[4].value, printed(second[5].value)) == ("未报告", "（本季度进展待审核）")
    assert ws["A5"].value.startswith("（一）")  # section heading row, merged
    assert sum(1 for row in tasks.values() if row[4].value == "未报告") == 18 - 1


def test_it_names_the_unit_when_only_a_co_unit_has_an_approved_report(report_scenario):
    third = Task.objects.filter(section__plan=report_scenario.plan).order_by("section__number", "number")[2]
    lead, co = (task_unit.unit for task_unit in third.task_units.order_by("position")[:2])
    period = factories.PeriodFactory(year=2025, quarter=3)
    now = timezone.now()
    factories.TaskReportFactory(task=third, unit=lead, period=period, state="returned", submitted_at=now)
    factories.TaskReportFactory(
        task=third, unit=co, period=period, state="approved", submitted_at=now, progress="已起草"
    )
    row = {row[1].value: row for row in _rows(_report(report_scenario)["任务进展"])}[third.title]
    assert (row[4].value, _fill(row[4])) == ("推进中", GREEN)  # the co-unit's approved report counts
    assert printed(row[5].value) == f"【{co.name}】已起草"


def test_it_lists_each_units_timeliness_with_on_time_rate(report_scenario):
    ws = _report(report_scenario)["报送情况"]
    rows = {row[1].value: row for row in _rows(ws)}
    industry = rows["市工信局"]
    assert [c.value for c in industry[2:9]] == [5, 5, 0, 5, 0, 5, "逾期报送"]
    assert _fill(industry[8]) == YELLOW and industry[9].value == 0
    education = rows["市教育局"]
    assert education[8].value == "未报送" and _fill(education[8]) == RED
    assert education[9].value == pytest.approx(1 / 3) and education[9].number_format == "0.0%"
    assert rows["5家单位"][0].value == "合计"


def test_its_summary_counts_and_chart_match_the_rows(report_scenario):
    wb = _report(report_scenario)
    summary = wb["汇总"]
    values = [[c.value for c in row] for row in summary.iter_rows()]
    tables: dict[str, dict] = {}
    for row in values:
        if isinstance(row[0], str) and row[0][:2] in ("一、", "二、", "三、", "四、"):
            table = tables.setdefault(row[0][:2], {})
        elif row[0] and isinstance(row[1], int):
            table[row[0]] = row[1]
    statuses = [p.status for p in report_scenario.progress]
    assert tables["一、"]["已完成"] == statuses.count("achieved") == 2
    assert tables["一、"]["落后"] == statuses.count("behind") == 2
    assert tables["一、"]["合计"] == 10
    assert tables["二、"]["滞后"] == 1 and tables["二、"]["未报告"] == 17 and tables["二、"]["合计"] == 18
    assert "另有1项任务的本季度进展待审核" in str(values)
    assert (
        tables["三、"]["逾期报送"] == 1 and tables["三、"]["按时报送"] == 3 and tables["三、"]["未报送"] == 1
    )
    categories = {row[0]: row[1:7] for row in values if row[0] in ("创造", "综合")}
    assert categories["创造"][-1] == 4 and categories["综合"][-1] == 2
    assert len(summary._charts) == 1


def test_it_reads_with_a_fixed_number_of_queries(report_scenario, django_assert_max_num_queries):
    # 11, two for the quarter's items awaiting review (counted, then the first ones listed), and the
    # 目标考核 sheet's ranking (assessment.selectors.ranking: 10).
    with django_assert_max_num_queries(23):
        _report(report_scenario)
    period = factories.PeriodFactory(year=2025, quarter=3)
    for unit in factories.UnitFactory.create_batch(15, region=report_scenario.plan.region):
        factories.TimelinessFactory(plan=report_scenario.plan, unit=unit, period=period)
        factories.TaskReportFactory(
            task=report_scenario.first_task,
            unit=unit,
            period=period,
            state="approved",
            submitted_at=timezone.now(),
        )
    with django_assert_max_num_queries(23):
        wb = _report(report_scenario)
    assert len(_rows(wb["报送情况"])) == 5 + 15 + 1


def test_it_shows_indicators_the_roll_up_has_not_reached_as_no_data(quanzhou):
    out = io.BytesIO()
    export_report(plan=quanzhou, year=2024, quarter=1, out=out)
    ws = load_workbook(out)["指标进度"]
    rows = _rows(ws)
    assert len(rows) == quanzhou.indicators.count()
    assert {row[INDICATOR_HEADERS.index("状态")].value for row in rows} == {"无数据"}


@pytest.mark.slow
def test_it_converts_cleanly_in_libreoffice(report_scenario, tmp_path):
    if soffice_missing():
        pytest.skip("LibreOffice (soffice) 未安装")
    path = tmp_path / "report.xlsx"
    export_report(plan=report_scenario.plan, year=2025, quarter=3, out=str(path))
    pdf = convert(path, "pdf", tmp_path)
    assert pdf_pages(pdf) >= 4
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(exist_ok=True)
        for png in pdf_to_png(pdf, tmp_path / "report", last_page=4):
            shutil.copy(png, ARTIFACTS / png.name)
    csv = convert(path, "csv", tmp_path).read_text(encoding="utf-8")
    assert "关于泉州市示范城市建设\n2025年第三季度工作进展情况的报告" in csv  # the cover, the first sheet


@pytest.mark.django_db(transaction=True)
def test_an_export_reads_one_snapshot_of_the_database(on_postgres):
    """Its queries stream while the workbook is written: a roll-up committing meanwhile must not show."""
    from django.db import connection

    from exports.books import snapshot

    if not on_postgres:
        pytest.skip("SQLite serialises writers; the snapshot is PostgreSQL's REPEATABLE READ")
    with snapshot(), connection.cursor() as cursor:
        cursor.execute("SHOW transaction_isolation")
        assert cursor.fetchone()[0] == "repeatable read"
        cursor.execute("SHOW transaction_read_only")
        assert cursor.fetchone()[0] == "on"


def test_it_shows_figures_at_their_indicators_precision_and_keeps_them_exact(report_scenario):
    ws = _report(report_scenario)["指标进度"]
    rows = {row[2].value: row for row in _rows(ws)}
    trademarks = rows["商标有效注册量"]  # 2 decimals, in 万件
    actual = trademarks[INDICATOR_HEADERS.index("截至本季度实际值")]
    assert actual.number_format == "#,##0.00" and actual.value == pytest.approx(13.3456)
    count = rows["地理标志商标和地理标志保护产品总量"][INDICATOR_HEADERS.index("序时进度")]
    assert count.number_format == "#,##0"
