"""Every figure says what it stands on (PRODUCT.md, "Figures must say what they stand on"): the words of
progress/coverage.py, each owing unit's state for a quarter, and the pages that show them. The roll-up's
coverage columns are set directly on the rows here: these tests are of the displays, not of the roll-up."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from indicators.models import Assignment
from ipcity.quarters import Quarter
from progress import coverage
from progress.models import Progress
from reporting.models import ReviewState, Submission
from reporting.states import awaiting_review, unit_figure_states
from tests import factories
from tests.page import seen

TODAY = datetime.datetime(2025, 2, 1, 9, 0)  # every 2024 quarter is due
QUARTER_URL = {"year": 2024, "quarter": 3}
SENT = datetime.datetime(2024, 10, 8, 9, 30, tzinfo=datetime.UTC)


def _row(**values) -> Progress:
    fields = {"year": 2026, "quarter": 3, "status": Progress.Status.AT_RISK, "owed": 4} | values
    return Progress(**fields)


# The words ---------------------------------------------------------------------------------------------


def test_it_says_a_partial_quarter_in_a_leaders_words():
    row = _row(approved=3, missing=1, complete_year=2026, complete_quarter=2)
    assert coverage.coverage_text(row) == "第三季度：3/4单位已审核，1单位未报送"
    assert coverage.as_of_text(row) == "数据截至第二季度"
    assert coverage.coverage_note(row) == "第三季度：3/4单位已审核，1单位未报送；数据截至第二季度"
    assert coverage.is_provisional(row)
    assert coverage.status_text(row, "预警") == "预警（暂定）"
    assert coverage.actual_label(row, Quarter(2026, 3)) == "实际值（2026年第三季度，3/4单位已审核）"


def test_it_names_every_state_of_the_quarters_units_and_those_not_yet_due():
    row = _row(
        owed=7, approved=2, awaiting_review=1, returned=1, missing=1, complete_year=2025, complete_quarter=4
    )
    assert coverage.coverage_text(row) == (
        "第三季度：2/7单位已审核，1单位待审核，1单位已退回，1单位未报送，2单位未到截止日"
    )
    assert coverage.as_of_text(row) == "数据截至2025年第四季度"  # another year: named with its year


def test_a_complete_quarter_claims_nothing_provisional():
    row = _row(approved=4, complete_year=2026, complete_quarter=3)
    assert coverage.coverage_text(row) == "第三季度：4/4单位已审核"
    assert coverage.as_of_text(row) == "" and not coverage.is_provisional(row)
    assert coverage.status_text(row, "落后") == "落后"
    assert coverage.actual_label(row, Quarter(2026, 3)) == "实际值（2026年第三季度）"


def test_an_actual_with_nothing_of_its_quarter_approved_stands_on_the_last_complete_quarter():
    row = _row(approved=0, missing=1, owed=1, complete_year=2026, complete_quarter=2)
    assert coverage.actual_label(row, Quarter(2026, 3)) == "实际值（数据截至2026年第二季度）"
    assert coverage.coverage_text(row) == "第三季度：0/1单位已审核，1单位未报送"


def test_a_row_without_recorded_coverage_claims_nothing():
    row = _row(owed=0)
    assert coverage.coverage_note(row) == "" and not coverage.is_provisional(row)
    assert coverage.coverage_note(None) == "" and coverage.actual_label(None, None) == "实际值"
    assert coverage.as_of_text(_row(approved=1, missing=3)) == "尚无各单位数据全部审核的季度"


def test_it_says_what_a_forecast_and_a_document_stand_on():
    assert coverage.forecast_basis_text(2) == "按前2个季度推算"
    assert coverage.forecast_basis_text(None) == ""
    assert coverage.forecast_basis(_row()) == ""  # the roll-up has not recorded a basis
    assert coverage.pending_text(datetime.date(2026, 10, 20), 3) == "数据截至2026年10月20日，尚有3项待审核"
    assert (
        coverage.pending_text(datetime.date(2026, 1, 5), 0) == "数据截至2026年1月5日，本季度报送事项均已审核"
    )
    assert [
        coverage.unit_state_label(state) for state in ("approved", "submitted", "returned", "missing")
    ] == [
        "已审核",
        "待审核",
        "已退回",
        "未报送",
    ]


# Each owing unit's state, and what awaits review --------------------------------------------------------


@pytest.fixture
def owed(quanzhou, unit_a, unit_b):
    """商标有效注册量 owed by three units in 2024 Q3: 市知识产权局 approved, 市科技局 (the lead) awaiting
    review, 市工信局 never sent (with or without the dashboard world, which has 市知识产权局 report it)."""
    from plans.models import Unit

    indicator = quanzhou.indicators.get(code="trademarks")
    third = Unit.objects.get(name="市工信局", region=quanzhou.region)
    period = factories.PeriodFactory(year=2024, quarter=3)
    Assignment.objects.update_or_create(indicator=indicator, unit=unit_a, defaults={"is_lead": False})
    factories.AssignmentFactory(indicator=indicator, unit=unit_b, is_lead=True)
    factories.AssignmentFactory(indicator=indicator, unit=third)
    sent = {"period": period, "indicator": indicator, "submitted_at": SENT}
    if not Submission.objects.filter(indicator=indicator, unit=unit_a, period=period).exists():
        factories.SubmissionFactory(unit=unit_a, state=ReviewState.APPROVED, **sent)
    factories.SubmissionFactory(unit=unit_b, state=ReviewState.SUBMITTED, value=Decimal("7"), **sent)
    return indicator, period, third


def test_every_owing_unit_has_its_state_lead_first_a_missing_one_included(
    owed, unit_a, unit_b, django_assert_max_num_queries
):
    indicator, period, third = owed
    with django_assert_max_num_queries(2):
        rows = unit_figure_states(indicator.pk, period, period.due_on + datetime.timedelta(days=1))
    assert (rows[0].unit, rows[0].state, rows[0].is_lead) == (unit_b, "submitted", True)  # the lead first
    assert {row.unit: row.state for row in rows[1:]} == {third: "missing", unit_a: "approved"}
    before_due = unit_figure_states(indicator.pk, period, period.due_on)
    assert {row.unit: row.state for row in before_due}[third] == "not_due"
    mine = unit_figure_states(indicator.pk, period, period.due_on, units=[unit_a.pk])
    assert [row.unit for row in mine] == [unit_a]


def test_the_items_awaiting_review_are_counted_and_listed_figures_and_tasks(
    owed, quanzhou, unit_a, django_assert_max_num_queries
):
    indicator, period, _ = owed
    task = quanzhou.sections.first().tasks.first()
    factories.TaskReportFactory(
        task=task, unit=unit_a, period=period, state=ReviewState.SUBMITTED, submitted_at=SENT
    )
    at = Quarter(2024, 3)
    with django_assert_max_num_queries(2):
        awaiting = awaiting_review(quanzhou, at)
    assert awaiting.count == 2 and awaiting.more == 0
    assert sorted((item.unit, item.kind, item.name) for item in awaiting.items) == sorted(
        [("市科技局", "指标", indicator.name), ("市知识产权局", "任务", task.title)]
    )
    assert awaiting_review(quanzhou, at, shown=1).more == 1
    assert awaiting_review(quanzhou, Quarter(2024, 2)).count == 0


# The pages -----------------------------------------------------------------------------------------------


def _partial(plan, code="trademarks", **values) -> Progress:
    row = Progress.objects.get(indicator__plan=plan, indicator__code=code, year=2024, quarter=3)
    fields = {"owed": 3, "approved": 1, "awaiting_review": 1, "missing": 1}
    fields |= {"complete_year": 2024, "complete_quarter": 2} | values
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return row


def test_the_indicator_page_lists_every_owing_unit_and_labels_the_actual_with_its_coverage(
    leader_client, dashboard_world, owed, unit_a, unit_b, quanzhou, time_machine
):
    time_machine.move_to(TODAY)
    _partial(quanzhou)
    page = seen(leader_client.get("/plans/quanzhou-2024-2026/indicators/trademarks/", QUARTER_URL))
    states = {row["单位"].text: row["状态"].text for row in page.table("本季度数值").rows()}
    assert states == {"市科技局牵头": "待审核", "市工信局": "未报送", "市知识产权局": "已审核"}
    text = page.text
    assert "实际值（2024年第三季度，1/3单位已审核）" in text
    assert "实际值（2024年第三季度）" not in text
    assert "第三季度：1/3单位已审核，1单位待审核，1单位未报送；数据截至第二季度" in text
    assert page.find(cls="provisional").text == "暂定"


def test_a_reporter_sees_only_its_own_units_state(reporter_a_client, dashboard_world, owed, time_machine):
    time_machine.move_to(TODAY)
    page = seen(reporter_a_client.get("/plans/quanzhou-2024-2026/indicators/trademarks/", QUARTER_URL))
    assert [row["单位"].text for row in page.table("本季度数值").rows()] == ["市知识产权局"]


def test_a_complete_quarter_shows_no_provisional_mark(leader_client, dashboard_world, owed, quanzhou):
    _partial(quanzhou, approved=3, awaiting_review=0, missing=0, complete_quarter=3)
    page = seen(leader_client.get("/plans/quanzhou-2024-2026/indicators/trademarks/", QUARTER_URL))
    assert page.find_all(cls="provisional") == []
    assert "实际值（2024年第三季度）" in page.text and "第三季度：3/3单位已审核" in page.text


def test_the_overview_card_of_a_partial_quarter_is_marked_partial(leader_client, dashboard_world, quanzhou):
    _partial(quanzhou)
    page = seen(leader_client.get("/plans/quanzhou-2024-2026/", QUARTER_URL))
    card = page.find("article", data_indicator="trademarks")
    assert card.find(cls="provisional").text == "暂定"
    assert (
        card.find(cls="coverage").text
        == "第三季度：1/3单位已审核，1单位待审核，1单位未报送；数据截至第二季度"
    )
    other = page.find("article", data_indicator="copyright-registrations")
    assert other.find_all(cls="provisional") == [] and other.find_all(cls="coverage") == []


def test_the_comparison_marks_a_partial_entry(leader_client, quanzhou, zhenjiang):
    for plan in (quanzhou, zhenjiang):
        for indicator in plan.indicators.exclude(theme=""):
            factories.ProgressFactory(indicator=indicator, year=2024, quarter=3, actual=Decimal("12.5"))
    _partial(quanzhou)
    page = seen(leader_client.get("/compare/", QUARTER_URL))
    mine = "quanzhou-2024-2026/trademarks"
    entry = page.find(data_entry=mine)
    assert entry.find(cls="provisional").text == "暂定"
    assert "1/3单位已审核" in entry.find(cls="coverage").text
    theme = page.find(cls="theme", data_theme="trademarks")
    (other,) = [entry for entry in theme.find_all(data_entry=True) if entry.attrs["data-entry"] != mine]
    assert other.find_all(cls="provisional") == []


def test_the_units_page_says_how_many_items_await_review(leader_client, dashboard_world, owed):
    response = leader_client.get("/plans/quanzhou-2024-2026/units/", QUARTER_URL)
    assert "2024年第三季度尚有1项报送待审核" in seen(response).text


def test_a_reporter_is_not_told_of_other_units_items(reporter_a_client, dashboard_world, owed):
    mine = seen(reporter_a_client.get("/plans/quanzhou-2024-2026/units/", QUARTER_URL))
    assert "待审核" not in mine.text  # 市科技局's pending figure is not 市知识产权局's business


def test_the_excel_report_gives_each_line_its_coverage_and_a_provisional_status(report_scenario):
    from exports.books import export_report
    from tests.test_reports_export import HEADER_ROW, INDICATOR_HEADERS

    behind = report_scenario.progress[3]
    behind.owed, behind.approved, behind.awaiting_review = 2, 1, 1
    behind.complete_year, behind.complete_quarter = 2025, 2
    behind.save()
    out = io.BytesIO()
    export_report(plan=report_scenario.plan, year=2025, quarter=3, out=out)
    ws = load_workbook(out)["指标进度"]
    line = [cell.value for cell in ws[HEADER_ROW + 4]]
    cells = dict(zip(INDICATOR_HEADERS, line, strict=True))
    assert cells["状态"] == "落后（暂定）"
    assert cells["数据覆盖"] == "第三季度：1/2单位已审核，1单位待审核；数据截至第二季度"
    first = dict(zip(INDICATOR_HEADERS, [cell.value for cell in ws[HEADER_ROW + 1]], strict=True))
    assert first["状态"] == "已完成" and first["数据覆盖"] is None  # no coverage recorded: nothing claimed


def test_the_pace_still_needed_counts_the_partial_quarter_as_still_to_do(
    leader_client, dashboard_world, owed, quanzhou, time_machine
):
    """The roll-up spreads what is still needed over the quarters after the last complete one (2024 Q2):
    the page counts the same quarters, not those after the partial 2024 Q3."""
    time_machine.move_to(TODAY)
    _partial(quanzhou, needed_per_quarter=Decimal("1.5"), forecast_basis=2)
    page = seen(leader_client.get("/plans/quanzhou-2024-2026/indicators/trademarks/", QUARTER_URL))
    assert "距2026年末还有10个季度" in page.text
    assert "距2026年末还有9个季度" not in page.text
