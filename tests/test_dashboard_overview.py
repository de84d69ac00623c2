"""/plans/{slug}/ — the overview: a card per indicator, headline counts, filters, the quarter switcher."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.selectors.overview import CARD_UNITS
from dashboards.templatetags.dashboards import percent, rounded
from ipcity.figures import plain
from progress.models import Progress
from progress.selectors import progress_for
from tests.dashboard_world import marked
from tests.page import seen, shows_figure

URL = "/plans/quanzhou-2024-2026/"


def test_it_asks_anonymous_visitors_to_log_in(client, dashboard_world):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_shows_the_latest_quarter_with_progress_by_default(leader_client, dashboard_world):
    html = leader_client.get(URL).content.decode()
    assert "2024年第四季度" in html
    cards = marked(html, "data-indicator")
    assert set(cards) == set(dashboard_world.indicators)


def test_its_figures_equal_the_progress_rows_the_api_serialises(leader_client, dashboard_world, quanzhou):
    response = leader_client.get(URL, {"year": 2024, "quarter": 3})
    cards = marked(response.content.decode(), "data-indicator")
    rows = list(progress_for(quanzhou, 2024, 3))
    assert len(rows) == len(cards) == 10
    for row in rows:
        card = cards[row.indicator.code]
        assert card["data-status"] == row.status
        for field in ("actual", "completion", "expected", "forecast"):
            assert card[f"data-{field}"] == plain(getattr(row, field)), (row.indicator.code, field)
        assert card["data-target-min"] == plain(row.target_min)
        if row.actual is not None:
            shown = seen(response).find(data_indicator=row.indicator.code).text
            assert shows_figure(shown, rounded(row.actual, row.indicator.decimals)), shown
            assert shows_figure(shown, percent(row.completion)), shown


def test_it_counts_indicators_and_tasks_per_status(leader_client, dashboard_world, quanzhou):
    page = leader_client.get(URL).context["page"]
    counted = Counter(progress_for(quanzhou, 2024, 4).values_list("status", flat=True))
    assert {c.status: c.count for c in page.status_counts} == {s: counted[s] for s in Progress.Status.values}
    tasks = {c.status: c.count for c in page.task_counts}
    assert tasks["lagging"] == 1  # (一)1: 市知识产权局 reports lagging
    assert sum(tasks.values()) == 18 and tasks["no_report"] == 17


def test_it_groups_cards_by_category_in_document_order(leader_client, dashboard_world):
    page = leader_client.get(URL).context["page"]
    assert [category for category, _, _ in page.groups] == [
        "creation",
        "utilization",
        "protection",
        "management",
        "service",
        "overall",
    ]
    creation = [card.indicator.code for card in page.groups[0][2]]
    assert creation[:2] == ["hv-invention-patents-per-10k", "trademarks"]


def test_it_filters_by_status_and_unit_but_keeps_the_headline(leader_client, dashboard_world, unit_a):
    page = leader_client.get(URL, {"status": "behind"}).context["page"]
    assert page.shown and all(card.status == "behind" for _, _, cards in page.groups for card in cards)
    assert sum(c.count for c in page.status_counts) == 10
    page = leader_client.get(URL, {"unit": unit_a.pk}).context["page"]
    assert [card.indicator.code for _, _, cards in page.groups for card in cards] == ["trademarks"]


def test_navigation_and_the_switcher_keep_the_quarter_and_filters(leader_client, dashboard_world):
    page = seen(leader_client.get(URL, {"year": 2024, "quarter": 2, "status": "behind"}))
    assert page.link("报送情况") == "/plans/quanzhou-2024-2026/units/?year=2024&quarter=2"
    assert page.link("重点任务") == "/plans/quanzhou-2024-2026/tasks/?year=2024&quarter=2"
    assert page.link("上一季度") == "?year=2024&quarter=1&status=behind"
    assert page.link("下一季度") == "?year=2024&quarter=3&status=behind"
    assert page.fields()["status"] == "behind"  # picking another quarter keeps the filter


def test_a_quarter_without_progress_says_so(leader_client, dashboard_world):
    response = leader_client.get(URL, {"year": 2025, "quarter": 1})
    assert response.status_code == 200
    assert "2025年第一季度尚无汇总数据" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"year": "abc", "quarter": 1}, "年度：年度应为四位数字的年份，如2026。"),
        ({"year": 2024}, "请同时选择年度和季度。"),
        ({"year": 2024, "quarter": 5}, "季度：季度应为1至4之间的数字。"),
        ({"status": "excellent"}, "状态：没有“excellent”这种状态，请从列表中选择。"),
        ({"unit": "x"}, "责任单位：请从列表中选择责任单位。"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(leader_client, dashboard_world, query, message):
    response = leader_client.get(URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_an_unknown_plan_is_not_found(leader_client, dashboard_world):
    assert leader_client.get("/plans/nowhere/").status_code == 404


def test_a_reporter_sees_the_overview_but_drills_into_its_own_indicators_only(
    reporter_a_client, dashboard_world
):
    page = seen(reporter_a_client.get(URL))
    assert (
        page.link("商标有效注册量") == "/plans/quanzhou-2024-2026/indicators/trademarks/?year=2024&quarter=4"
    )
    assert not any("/indicators/copyright-registrations/" in href for href in page.links().values())
    assert (
        "版权登记量" in page.find(data_indicator="copyright-registrations").text
    )  # figures are for everyone


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_its_query_count_is_pinned_and_does_not_grow_with_units_or_submissions(
    leader_client, dashboard_world, django_assert_max_num_queries
):
    before = _queries(leader_client, URL)
    dashboard_world.grow(units=6)
    with django_assert_max_num_queries(15):
        assert leader_client.get(URL).status_code == 200
    assert _queries(leader_client, URL) == before


def test_it_opens_on_the_latest_quarter_already_due_not_one_still_open(leader_client, dashboard_world):
    """The roll-up writes a row for every quarter; 2024 Q4 is due on 2025-01-10, so on 2024-12-01 the page
    opens on Q3, and asking for Q4 says its figures are still coming in."""
    with time_machine.travel(datetime.datetime(2024, 12, 1, 9, tzinfo=datetime.UTC), tick=False):
        html = leader_client.get("/plans/quanzhou-2024-2026/").content.decode()
        assert "2024年第三季度" in html and "填报尚未截止" not in html
        html = leader_client.get("/plans/quanzhou-2024-2026/?year=2024&quarter=4").content.decode()
        assert "2024年第四季度的填报尚未截止" in html


def test_a_card_names_its_first_units_and_counts_the_rest(leader_client, dashboard_world):
    """A national plan's indicator has thousands of reporting units: past CARD_UNITS a card names the lead
    unit and says there are more; the filter then asks for a unit's name instead of a list."""
    dashboard_world.grow(units=CARD_UNITS + 1)
    trademarks = dashboard_world.indicators["trademarks"]
    response = leader_client.get(URL)
    page = response.context["page"]
    card = next(card for card in page.cards if card.indicator == trademarks)
    assert card.units == [trademarks.assignments.get(is_lead=True).unit] and card.crowded
    assert trademarks.assignments.count() > CARD_UNITS
    assert not any(other.crowded for other in page.cards if other.indicator != trademarks)
    shown = seen(response)
    assert f"{card.units[0].name}等超过{CARD_UNITS}个单位" in shown.find(data_indicator="trademarks").text
    assert page.unit_search and page.units == [] and "unit_name" in shown.fields()


def test_it_filters_by_a_units_name_when_there_are_too_many_to_list(leader_client, dashboard_world):
    dashboard_world.grow(units=CARD_UNITS + 1)
    unit = dashboard_world.other_units[-1]
    page = leader_client.get(URL, {"unit_name": f" {unit.name} "}).context["page"]
    assert [card.indicator.code for _, _, cards in page.groups for card in cards] == ["trademarks"]
    assert page.unit_id == unit.pk and sum(c.count for c in page.status_counts) == 10
    page = leader_client.get(URL, {"unit": unit.pk}).context["page"]
    assert [card.indicator.code for _, _, cards in page.groups for card in cards] == ["trademarks"]
    response = leader_client.get(URL, {"unit_name": "没有这个单位"})
    assert response.context["page"].shown == 0 and "没有符合筛选条件的指标。" in response.content.decode()


def test_its_query_count_stays_the_same_when_units_outgrow_the_cards(leader_client, dashboard_world):
    before = _queries(leader_client, URL)
    dashboard_world.grow(units=CARD_UNITS + 1)
    assert _queries(leader_client, URL) == before
