"""The 督办看板 (issue 14): a leader lands on it; it lists the behind and at-risk indicators and the lagging
tasks of the latest rolled-up quarter, most serious first, with their units' reporting state (the roll-up's
Timeliness), the pace still needed, and one click to a 批示 or a 督办 prefilled from the row. Its query count
does not grow with the units."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from progress.models import Progress, Timeliness
from tests.page import seen

pytestmark = pytest.mark.django_db


def indicator_rows(client) -> list[dict]:
    return seen(client.get("/board/")).find("table", id="board-indicators").rows()


def test_a_leader_lands_on_the_board(client, leader):
    response = client.post("/login/", {"username": "leader", "password": "test-pass-123"})
    assert response["Location"] == "/board/"


def test_it_lists_behind_before_at_risk_with_units_pace_and_actions(leader_client, dashboard_world):
    world = dashboard_world
    q4 = Progress.objects.filter(plan=world.plan, year=2024, quarter=4)
    behind = {row.indicator.name for row in q4 if row.status == "behind"}
    at_risk = {row.indicator.name for row in q4 if row.status == "at_risk"}
    assert behind and at_risk  # the world has both
    rows = indicator_rows(leader_client)
    statuses = [row["状态"].text for row in rows]
    assert statuses == ["落后"] * len(behind) + ["预警"] * len(at_risk)
    assert {row["指标"].text.split(" ")[0] for row in rows} == behind | at_risk
    first = rows[0]
    assert "2024年第四季度" in first["指标"].text
    links = first[""].links()
    assert links["批示"].startswith("/instructions/new/?indicator=") and links["督办"].startswith(
        "/supervision/new/?"
    )


def test_a_row_shows_its_units_reporting_state_from_the_rollup(leader_client, dashboard_world):
    world = dashboard_world
    trademarks = world.indicators["trademarks"]
    Progress.objects.filter(indicator=trademarks, year=2024, quarter=4).update(status="behind")
    Timeliness.objects.filter(unit=world.unit_a, period=world.periods[-1]).update(status="missing")
    row = next(row for row in indicator_rows(leader_client) if row["指标"].text.startswith(trademarks.name))
    assert "市知识产权局未报送" in row["责任单位（本季度报送）"].text.replace(" ", "")
    late = seen(leader_client.get("/board/")).find("table", id="board-late").text
    assert "市知识产权局" in late and "未报送" in late


def test_lagging_tasks_are_listed_with_a_prefilled_supervision_link(leader_client, dashboard_world):
    page = seen(leader_client.get("/board/")).find("table", id="board-tasks")
    task = dashboard_world.task
    row = next(row for row in page.rows() if task.title in row["任务"].text)
    assert row["状态"].text == "滞后"
    assert row[""].links()["督办"] == f"/supervision/new/?task={task.pk}"


def test_the_query_count_does_not_grow_with_the_units(
    leader_client, dashboard_world, django_assert_max_num_queries
):
    leader_client.get("/board/")  # warm the session
    with CaptureQueriesContext(connection) as before:
        leader_client.get("/board/")
    count = len(before.captured_queries)  # read now: the next request clears Django's query log
    assert 0 < count <= 30
    dashboard_world.grow(4)
    with django_assert_max_num_queries(count):
        leader_client.get("/board/")


def test_reporters_may_not_open_it(reporter_a_client):
    assert reporter_a_client.get("/board/").status_code == 403
