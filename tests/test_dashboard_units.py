"""/plans/{slug}/units/ — units × quarters heatmap, on-time rates and the ranking for the bulletin."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.dashboard_world import chart_json, marked
from tests.page import seen

URL = "/plans/quanzhou-2024-2026/units/"


def test_it_asks_anonymous_visitors_to_log_in(client, dashboard_world):
    assert client.get(URL)["Location"].startswith("/login/")


def test_its_heatmap_has_a_cell_per_unit_and_quarter_in_words_and_colour(leader_client, dashboard_world):
    dashboard_world.grow(units=2)
    figure = chart_json(leader_client.get(URL).content.decode(), "units-chart")
    heatmap = figure["data"][0]
    assert heatmap["type"] == "heatmap"
    assert heatmap["x"] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert heatmap["y"][:2] == ["市知识产权局", "市科技局"]  # all on time: ranked first
    assert len(heatmap["z"]) == 4 and all(len(row) == 4 for row in heatmap["z"])
    assert heatmap["text"][0] == ["按时"] * 4 and heatmap["text"][-1] == ["逾期"] * 4
    assert "应报4项，已报4项，按时4项" in heatmap["customdata"][0][0]


def test_it_ranks_units_by_on_time_rate_with_shared_ranks(leader_client, quanzhou, unit_a, unit_b):
    third = factories.UnitFactory(region=quanzhou.region, name="市工信局测试")
    periods = [factories.PeriodFactory(year=2024, quarter=quarter) for quarter in (1, 2)]
    statuses = {unit_a: ["late", "on_time"], unit_b: ["on_time", "late"], third: ["on_time", "on_time"]}
    for unit, by_quarter in statuses.items():
        for period, status in zip(periods, by_quarter, strict=True):
            factories.TimelinessFactory(plan=quanzhou, unit=unit, period=period, status=status)
    factories.ProgressFactory(indicator=quanzhou.indicators.first(), year=2024, quarter=2)
    response = leader_client.get(URL)
    rows = marked(response.content.decode(), "data-unit")
    assert list(rows) == [str(third.pk), str(unit_a.pk), str(unit_b.pk)]
    page = leader_client.get(URL).context["page"]
    assert [(row.name, row.rank, row.rate) for row in page.ranking] == [
        ("市工信局测试", 1, Decimal(100)),
        ("市知识产权局", 2, Decimal(50)),
        ("市科技局", 2, Decimal(50)),
    ]
    ranking = seen(response).table("按时报送率").rows()
    assert [(row["名次"].text, row["单位"].text, row["按时报送率"].text) for row in ranking] == [
        ("1", "市工信局测试", "100%"),
        ("2", "市知识产权局", "50%"),
        ("2", "市科技局", "50%"),
    ]
    assert "按时报送排名" in seen(response).text


def test_quarters_not_yet_due_do_not_count_against_a_unit(leader_client, quanzhou, unit_a):
    done = factories.PeriodFactory(year=2024, quarter=1)
    open_ = factories.PeriodFactory(year=2024, quarter=2)
    factories.TimelinessFactory(plan=quanzhou, unit=unit_a, period=done, status="on_time")
    factories.TimelinessFactory(plan=quanzhou, unit=unit_a, period=open_, status="not_due")
    factories.ProgressFactory(indicator=quanzhou.indicators.first(), year=2024, quarter=2)
    row = leader_client.get(URL).context["page"].ranking[0]
    assert row.rate == 100 and row.expected == 4 and row.quarters["not_due"] == 1


def test_a_reporter_sees_only_its_own_row_and_no_ranking(reporter_b_client, dashboard_world):
    dashboard_world.grow(units=2)
    response = reporter_b_client.get(URL)
    html = response.content.decode()
    assert [row.name for row in response.context["page"].ranking] == ["市科技局"]
    assert chart_json(html, "units-chart")["data"][0]["y"] == ["市科技局"]
    assert "市知识产权局" not in html and "本单位报送情况" in html and "名次" not in html


def test_bad_input_gets_a_clear_message(leader_client, dashboard_world):
    response = leader_client.get(URL, {"year": "二〇二四", "quarter": 1})
    assert response.status_code == 400 and "年度应为四位数字的年份" in response.content.decode()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_its_query_count_is_pinned_and_does_not_grow_with_units_or_quarters(
    leader_client, dashboard_world, django_assert_max_num_queries
):
    before = _queries(leader_client)
    dashboard_world.grow(units=8)
    with django_assert_max_num_queries(9):  # 7, the quarter's items awaiting review counted, the bell
        assert leader_client.get(URL).status_code == 200
    assert _queries(leader_client) == before
