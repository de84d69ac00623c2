"""/plans/ — the dashboards' entry: each plan's latest quarter and its indicators per status."""

from __future__ import annotations

from tests import factories
from tests.page import seen


def test_it_asks_anonymous_visitors_to_log_in(client, plans):
    assert client.get("/plans/")["Location"].startswith("/login/")


def test_it_shows_each_plans_latest_quarter_and_counts(leader_client, dashboard_world, zhenjiang):
    page = leader_client.get("/plans/")
    glances = {glance.plan.slug: glance for glance in page.context["glances"]}
    quanzhou = glances["quanzhou-2024-2026"]
    assert str(quanzhou.at) == "2024年第四季度" and sum(c.count for c in quanzhou.counts) == 10
    assert glances["zhenjiang-edz-2024-2026"].at is None
    assert "尚无汇总数据" in page.content.decode()


def test_the_main_navigation_leads_to_the_dashboards(leader_client, plans):
    navigation = seen(leader_client.get("/")).find("nav", cls="mainnav").links()
    assert navigation["进度看板"] == "/plans/" and navigation["方案对比"] == "/compare/"


def test_its_query_count_does_not_grow_with_progress_rows(
    leader_client, dashboard_world, zhenjiang, django_assert_max_num_queries
):
    for indicator in zhenjiang.indicators.all():
        for quarter in (1, 2, 3, 4):
            factories.ProgressFactory(indicator=indicator, year=2024, quarter=quarter)
    with django_assert_max_num_queries(6):  # the top bar's bell (unread notifications) is one
        assert leader_client.get("/plans/").status_code == 200
