"""/plans/{slug}/indicators/{code}/ — chart, pace still needed, contributions, source sentences."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.charts import STATUS_COLOURS
from dashboards.selectors.overview import CARD_UNITS
from ipcity.figures import plain
from progress.models import Progress
from progress.selectors import progress_for
from reporting.models import ReviewState
from tests import factories
from tests.dashboard_world import chart_json, marked
from tests.page import seen

URL = "/plans/quanzhou-2024-2026/indicators/{}/"


def _get(client, code, **query):
    return client.get(URL.format(code), query)


def test_it_asks_anonymous_visitors_to_log_in(client, dashboard_world):
    response = _get(client, "trademarks")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_its_headline_figures_equal_the_progress_row(leader_client, dashboard_world, quanzhou):
    response = _get(leader_client, "trademarks", year=2024, quarter=3)
    head = marked(response.content.decode(), "data-indicator")["trademarks"]
    row = progress_for(quanzhou, 2024, 3).get(indicator__code="trademarks")
    for field in ("actual", "completion", "expected", "forecast"):
        assert head[f"data-{field}"] == plain(getattr(row, field))
    assert head["data-needed"] == plain(row.needed_per_quarter) and head["data-status"] == row.status
    text = seen(response).text
    assert "每季度还需提高1.67万件" in text  # 1.6667 to the indicator's two decimals
    assert "距2026年末还有9个季度" in text


def test_its_chart_carries_the_quarterly_series_targets_baseline_pace_and_forecast(
    leader_client, dashboard_world
):
    html = _get(leader_client, "trademarks", year=2024, quarter=3).content.decode()
    figure = chart_json(html, "indicator-chart")
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert set(traces) == {
        "年度目标",
        "2026年目标 ≥88万件",
        "基期值（2021年）64.28万件",
        "序时进度",
        "实际值",
        "预测（至2026年末）",
    }
    rows = Progress.objects.filter(indicator__code="trademarks", quarter__lte=3).order_by("quarter")
    assert traces["实际值"]["x"] == ["2024Q1", "2024Q2", "2024Q3"]  # up to the chosen quarter only
    assert traces["实际值"]["y"] == [float(row.actual) for row in rows]
    assert traces["实际值"]["marker"]["color"] == [STATUS_COLOURS[row.status] for row in rows]
    assert traces["年度目标"]["y"][:4] == [78.51] * 4 and traces["年度目标"]["line"]["shape"] == "hv"
    assert traces["预测（至2026年末）"]["x"] == ["2024Q3", "2026Q4"]
    assert traces["预测（至2026年末）"]["line"]["dash"] == "dot"
    assert "2024年第三季度<br>实际值：74.1234万件" in traces["实际值"]["customdata"][2]


def test_it_quotes_the_source_sentence_of_every_target(leader_client, dashboard_world):
    html = _get(leader_client, "trademarks").content.decode()
    assert "商标有效注册量达到88万件" in html
    assert "推算：由2021年基期值64.28万件至2026年目标88万件按直线推算" in html
    assert "新增注册商标14.12万件，有效注册商标量64.28万件" in html  # the baseline's


def test_it_lists_contributions_by_unit_and_quarter_with_their_state(leader_client, dashboard_world):
    dashboard_world.grow(units=2)
    page = _get(leader_client, "trademarks").context["page"]
    quarters = [quarter.short for quarter, _ in page.contribution_rows]
    assert quarters == ["2024Q4", "2024Q3", "2024Q2", "2024Q1"]
    assert len(page.contribution_units) == 3
    html = _get(leader_client, "trademarks").content.decode()
    assert "69.5" in html and "已审核" in html and "待审核" in html  # a sent figure is with the office


def test_a_qualitative_indicator_has_no_chart(leader_client, dashboard_world):
    html = _get(leader_client, "demonstration-city").content.decode()
    assert "定性目标" in html and "indicator-chart" not in html


def test_a_reporter_opens_its_own_indicator_and_sees_only_its_own_contributions(
    reporter_a_client, dashboard_world
):
    dashboard_world.grow(units=2)
    response = _get(reporter_a_client, "trademarks")
    assert response.status_code == 200
    page = response.context["page"]
    assert [unit.name for unit in page.contribution_units] == ["市知识产权局"]
    assert "1.25" not in response.content.decode()  # the other units' figures


def test_another_units_indicator_is_not_found_for_a_reporter(
    reporter_a_client, reporter_b, dashboard_world, client
):
    assert _get(reporter_a_client, "copyright-registrations").status_code == 404
    client.force_login(reporter_b)
    assert _get(client, "trademarks").status_code == 404
    assert _get(client, "copyright-registrations").status_code == 200


def test_a_reporter_opens_an_indicator_read_from_one_its_unit_reports(client, zhenjiang):
    unit = factories.UnitFactory(region=zhenjiang.region, name="经开区市场局")
    source = zhenjiang.indicators.get(code="enforcement-actions")
    factories.AssignmentFactory(indicator=source, unit=unit)
    factories.SubmissionFactory(
        indicator=source,
        unit=unit,
        value=Decimal(1),
        state=ReviewState.SUBMITTED,
        submitted_at="2024-04-05T09:00Z",
    )
    client.force_login(factories.ReporterFactory(unit=unit))
    response = client.get("/plans/zhenjiang-edz-2024-2026/indicators/enforcement-actions-total/")
    assert response.status_code == 200
    assert "数据取自“知识产权执法专项行动”" in response.content.decode()


def test_an_unknown_indicator_is_not_found(leader_client, dashboard_world):
    assert _get(leader_client, "no-such-indicator").status_code == 404
    assert leader_client.get("/plans/zhenjiang-edz-2024-2026/indicators/trademarks/").status_code == 404


def test_bad_input_gets_a_clear_message(leader_client, dashboard_world):
    response = _get(leader_client, "trademarks", year=2024, quarter=0)
    assert response.status_code == 400 and "季度应为1至4之间的数字。" in response.content.decode()


def _queries(client, code) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert _get(client, code).status_code == 200
    return len(captured)


def test_its_query_count_is_pinned_and_does_not_grow_with_units_or_submissions(
    leader_client, dashboard_world, django_assert_max_num_queries
):
    before = _queries(leader_client, "trademarks")
    dashboard_world.grow(units=6)
    # 11, each owing unit's state (period, units, figures), the bell's unread count and the 批示 on it
    with django_assert_max_num_queries(16):
        assert _get(leader_client, "trademarks").status_code == 200
    assert _queries(leader_client, "trademarks") == before


def test_it_names_every_reporting_unit_lead_first_however_many(leader_client, dashboard_world):
    """Unlike the overview's cards, which stop naming units past CARD_UNITS, the drill-down names them all."""
    dashboard_world.grow(units=CARD_UNITS + 1)
    trademarks = dashboard_world.indicators["trademarks"]
    page = leader_client.get(URL.format("trademarks")).context["page"]
    assert page.units[0] == trademarks.assignments.get(is_lead=True).unit
    assert {unit.pk for unit in page.units} == set(trademarks.assignments.values_list("unit_id", flat=True))
