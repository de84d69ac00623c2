"""/compare/ — the two plans on the indicators they share, per 10,000 residents where that makes sense."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.dashboard_world import chart_json, marked

URL = "/compare/"
SHARED = {
    "hv-invention-patents",
    "trademarks",
    "pledge-financing",
    "advantage-enterprises",
    "ip-service-providers",
}


def _progress(plan, code, quarters=(1, 2), **values):
    indicator = plan.indicators.get(code=code)
    for quarter in quarters:
        factories.ProgressFactory(indicator=indicator, year=2024, quarter=quarter, **values)


def _both_plans(quanzhou, zhenjiang, quarters=(1, 2)):
    for plan in (quanzhou, zhenjiang):
        for indicator in plan.indicators.exclude(theme=""):
            _progress(plan, indicator.code, quarters, actual=Decimal("12.5"), target_min=Decimal(25))


def _theme(client, name):
    return next(theme for theme in client.get(URL).context["page"].themes if theme.theme == name)


def test_it_asks_anonymous_visitors_to_log_in(client, plans):
    assert client.get(URL)["Location"].startswith("/login/")


def test_it_compares_the_themes_both_plans_share(leader_client, quanzhou, zhenjiang):
    _both_plans(quanzhou, zhenjiang)
    page = leader_client.get(URL).context["page"]
    assert {theme.theme for theme in page.themes} == SHARED  # copyright and GIs are Quanzhou's only
    assert str(page.period.at) == "2024年第二季度"
    figure = chart_json(leader_client.get(URL).content.decode(), "completion-chart")
    assert [trace["name"] for trace in figure["data"]] == [quanzhou.short_title, zhenjiang.short_title]
    assert figure["data"][0]["x"] == [50.0] * 5


def test_it_normalises_per_10k_residents_with_the_years_population(leader_client, quanzhou, zhenjiang):
    _both_plans(quanzhou, zhenjiang)
    factories.PopulationFactory(region=zhenjiang.region, year=2024, value=Decimal("35.1"))
    theme = _theme(leader_client, "hv-invention-patents")
    assert theme.comparable  # a per-capita figure and a stock: both levels
    by_plan = {entry.indicator.plan.slug: entry for entry in theme.entries}
    assert by_plan["quanzhou-2024-2026"].value_per_10k == Decimal("12.5")  # already per 10k
    assert by_plan["zhenjiang-edz-2024-2026"].value_per_10k == Decimal("12.5") / Decimal("35.1")
    html = leader_client.get(URL).content.decode()
    assert "按2024年常住人口35.1万人折算" in html
    trace = chart_json(html, "theme-hv-invention-patents")["data"][1]
    assert trace["y"] == [float(Decimal("12.5") / Decimal("35.1"))] * 2


def test_it_converts_ten_thousands_before_dividing(leader_client, quanzhou, zhenjiang):
    _both_plans(quanzhou, zhenjiang)
    factories.PopulationFactory(region=quanzhou.region, year=2023, value=Decimal(900))
    theme = _theme(leader_client, "trademarks")
    entry = next(e for e in theme.entries if e.indicator.plan == quanzhou)
    assert entry.per_10k(entry.progress) == Decimal("12.5") * 10000 / 900  # 万件 → 件, last year's population


def test_it_says_when_a_population_is_missing(leader_client, quanzhou, zhenjiang):
    _both_plans(quanzhou, zhenjiang)
    html = leader_client.get(URL).content.decode()
    assert "缺少镇江经济技术开发区2024年及以前的常住人口数据，无法折算每万人口数值" in html
    assert "缺人口数据" in html


def test_it_does_not_divide_measures_that_count_different_things(leader_client, quanzhou, zhenjiang):
    _both_plans(quanzhou, zhenjiang)
    html = leader_client.get(URL).content.decode()
    theme = _theme(leader_client, "trademarks")
    assert not theme.comparable  # a stock (Quanzhou) against new registrations (Zhenjiang)
    assert "统计方式不同（泉州市示范城市工作方案为存量、镇江经开区示范园区工作方案为实施期累计）" in html
    assert chart_json(html, "theme-trademarks")["layout"]["yaxis"]["title"]["text"] == "年度目标完成率（%）"


def test_it_divides_only_indicators_the_office_gave_one_comparable_definition(
    leader_client, quanzhou, zhenjiang
):
    _both_plans(quanzhou, zhenjiang)
    factories.PopulationFactory(region=quanzhou.region, year=2024, value=Decimal(900))
    factories.PopulationFactory(region=zhenjiang.region, year=2024, value=Decimal("35.1"))
    theme = _theme(leader_client, "advantage-enterprises")
    assert theme.same_kind and not theme.same_definition and not theme.comparable  # both levels, other scope
    html = leader_client.get(URL).content.decode()
    section = html[html.index('data-theme="advantage-enterprises"') :]
    section = section[: section.index("</section>")]
    assert "统计范围不同，不计算每万人口比值" in section and "每万人口" not in section.split("</p>", 1)[1]
    assert "含国家级和省级" in section and "只计国家级，不含省级" in section  # the scopes named
    outlets = leader_client.get(URL).content.decode()
    outlets = outlets[outlets.index('data-theme="ip-service-providers"') :]
    assert "统计“知识产权信息公共服务网点总数”" in outlets and "统计“全区线下知识产权服务机构总数”" in outlets
    assert chart_json(html, "theme-advantage-enterprises")["layout"]["yaxis"]["title"]["text"] == (
        "年度目标完成率（%）"
    )
    # The office gives both the same comparable key: now they divide.
    plans_ = (quanzhou, zhenjiang)
    for plan in plans_:
        plan.indicators.filter(code="advantage-enterprises").update(comparable_key="ip-advantage-national")
    assert _theme(leader_client, "advantage-enterprises").comparable


def test_its_figures_equal_the_progress_rows(leader_client, quanzhou, zhenjiang):
    _both_plans(quanzhou, zhenjiang)
    _progress(zhenjiang, "new-trademarks", quarters=(3,), actual=Decimal("374.5"))
    _progress(quanzhou, "trademarks", quarters=(3,))
    entries = marked(leader_client.get(URL).content.decode(), "data-entry")
    assert len(entries) == 10
    zj = entries["zhenjiang-edz-2024-2026/new-trademarks"]
    assert zj["data-actual"] == "374.5" and zj["data-completion"] == "374.5"  # of a 100 target
    assert entries["quanzhou-2024-2026/trademarks"]["data-actual"] == "10"


def test_a_reporter_may_compare_plans(reporter_a_client, quanzhou, zhenjiang):
    _both_plans(quanzhou, zhenjiang)
    assert reporter_a_client.get(URL).status_code == 200


def test_bad_input_gets_a_clear_message(leader_client, plans):
    response = leader_client.get(URL, {"quarter": 2})
    assert response.status_code == 400 and "请同时选择年度和季度。" in response.content.decode()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_its_query_count_is_pinned_and_does_not_grow_with_quarters_or_populations(
    leader_client, quanzhou, zhenjiang, django_assert_max_num_queries
):
    _both_plans(quanzhou, zhenjiang, quarters=(1,))
    before = _queries(leader_client)
    _both_plans(quanzhou, zhenjiang, quarters=(2, 3, 4))
    for year in (2023, 2024):
        factories.PopulationFactory(region=quanzhou.region, year=year)
        factories.PopulationFactory(region=zhenjiang.region, year=year)
    with django_assert_max_num_queries(11):  # the top bar's bell (unread notifications) is one
        assert leader_client.get(URL).status_code == 200
    assert _queries(leader_client) == before
