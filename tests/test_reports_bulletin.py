"""The bulletin (通报): who is praised and who is named, the printable page and its Excel sheet."""

from __future__ import annotations

import datetime
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from exports.books import export_bulletin
from exports.selectors.bulletin import bulletin_for, bulletin_title, office_name
from tests.page import seen

TODAY = datetime.date(2025, 10, 20)
URL = "/reports/bulletin/quanzhou-2024-2026/"


def _bulletin(scenario):
    return bulletin_for(scenario.plan, scenario.year, scenario.quarter, today=TODAY)


def test_it_is_issued_by_the_office_in_the_plans_words(quanzhou, zhenjiang):
    assert office_name(quanzhou) == "泉州市知识产权工作领导小组办公室"
    assert office_name(zhenjiang) == "镇江经开区知识产权工作领导小组办公室"
    assert bulletin_title(quanzhou, 2025, 3) == "关于2025年第三季度泉州市示范城市建设工作推进情况的通报"


def test_it_praises_units_on_time_whose_indicators_are_on_track(report_scenario):
    praised = {unit.name: unit.text for unit in _bulletin(report_scenario).praised}
    assert praised == {"市发改委": "按时报送本季度应报的2项数据和进展"}


def test_it_names_late_missing_and_behind_units_with_the_facts(report_scenario):
    named = {unit.name: unit.text for unit in _bulletin(report_scenario).named}
    behind = f"负责的“{report_scenario.indicators[3].name}”落后于序时进度"
    assert named == {
        "市工信局": "逾期报送5项",
        "市教育局": "应报3项，未报送2项",
        "市科技局": behind,  # its own figure of the indicator behind is approved
    }


def test_it_names_no_unit_as_lagging_on_its_figure_awaiting_review(report_scenario):
    """市知识产权局 also reports the indicator behind, but its own figure of the quarter waits for review: it
    stands under 待审核, not among the named."""
    bulletin = _bulletin(report_scenario)
    assert "市知识产权局" not in {unit.name for unit in bulletin.named}
    name = report_scenario.indicators[3].name
    assert {unit.name: unit.text for unit in bulletin.unjudged} == {
        "市知识产权局": f"负责的“{name}”本季度数据待审核"
    }
    assert bulletin.unjudged_lead.startswith(
        "以下1家单位负责的指标低于序时进度，但本单位本季度数据尚未审核通过"
    )


def test_it_praises_an_on_time_unit_with_all_its_indicators_on_track(report_scenario):
    from indicators.models import Assignment

    Assignment.objects.filter(indicator=report_scenario.indicators[3], unit__name="市知识产权局").delete()
    praised = {unit.name: unit.text for unit in _bulletin(report_scenario).praised}
    assert (
        praised["市知识产权局"]
        == "按时报送本季度应报的4项数据和进展；负责的2项指标均已完成年度目标或达到序时进度"
    )


def test_its_overview_states_only_counts_from_the_roll_up(report_scenario):
    bulletin = _bulletin(report_scenario)
    overview = "".join(bulletin.overview)
    assert (
        "确定的10项指标中，已完成年度目标2项，按序时进度推进2项，略低于序时进度（预警）2项，落后于序时进度2项，暂无数据2项"
        in overview
    )
    assert "18项重点任务中，进展滞后1项，尚无已审核进展17项；另有1项任务的本季度进展待审核" in overview
    assert "5家责任单位中，按时报送3家，逾期报送1家，未报送或未报齐1家" in overview
    assert bulletin.requirements[-1] == "2025年第四季度数据和进展请于2026年1月10日前报送。"
    assert bulletin.date_text == "2025年10月20日"


def test_it_says_so_when_nobody_qualifies(quanzhou):
    bulletin = bulletin_for(quanzhou, 2024, 1, today=TODAY)
    assert bulletin.praised == [] and bulletin.named == []
    assert bulletin.praised_lead == "本季度无符合表扬条件的单位。"
    assert bulletin.named_lead == "本季度无需通报的单位。"
    assert "本季度尚无责任单位报送情况统计。" in bulletin.overview


def test_it_writes_the_bulletin_as_a_printable_sheet(report_scenario):
    out = io.BytesIO()
    export_bulletin(plan=report_scenario.plan, year=2025, quarter=3, out=out)
    ws = load_workbook(out)["通报"]
    texts = [row[0].value for row in ws.iter_rows() if row[0].value]
    assert texts[0] == "关于2025年第三季度泉州市示范城市建设工作推进情况的通报"
    headings = [t for t in texts if isinstance(t, str) and t[:2] in ("一、", "二、", "三、", "四、")]
    assert headings == ["一、总体情况", "二、表扬单位", "三、通报单位", "四、下步要求"]
    assert texts[-2] == "泉州市知识产权工作领导小组办公室"
    units = {row[1].value: row[2].value for row in ws.iter_rows() if isinstance(row[0].value, int)}
    assert units["市工信局"] == "逾期报送5项"
    assert ws.page_setup.orientation == "portrait"


def test_the_page_reads_like_a_document_and_prints(report_scenario, leader_client):
    response = leader_client.get(URL, {"year": 2025, "quarter": 3})
    assert response.status_code == 200
    html = response.content.decode()
    expected = [
        "关于2025年第三季度泉州市示范城市建设工作推进情况的通报", "各责任单位：", "一、总体情况",
        "二、表扬单位", "三、通报单位", "四、下步要求", "泉州市知识产权工作领导小组办公室", "逾期报送5项",
    ]  # fmt: skip
    for text in expected:
        assert text in html
    assert "data-print" in html and "js/reports-exports.js" in html
    assert seen(response).scripts_inline() == []  # the CSP allows no inline script


def test_the_page_defaults_to_the_last_ended_quarter(report_scenario, leader_client, time_machine):
    time_machine.move_to(datetime.datetime(2025, 11, 3, 9, 0))
    html = leader_client.get(URL).content.decode()
    assert "2025年第三季度" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"year": 2030, "quarter": 1}, "请选择方案实施期内的年度。"),
        ({"year": 2025, "quarter": 5}, "季度应为第一至第四季度。"),
    ],
)
def test_the_page_refuses_a_period_outside_the_plan(report_scenario, leader_client, query, message):
    response = leader_client.get(URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_page_is_for_the_office_and_leaders_only(report_scenario, reporter_a_client):
    assert Client().get(URL).status_code == 302
    assert reporter_a_client.get(URL).status_code == 403


def test_an_unknown_plan_is_not_found(leader_client, plans):
    assert leader_client.get("/reports/bulletin/nope/").status_code == 404


def test_the_page_uses_a_fixed_number_of_queries(
    report_scenario, leader_client, django_assert_max_num_queries
):
    # 15, and the items awaiting review (count, list), the release, the units not judged on unreviewed data.
    with django_assert_max_num_queries(20):  # the top bar's bell (unread notifications) is one
        assert leader_client.get(URL, {"year": 2025, "quarter": 3}).status_code == 200
