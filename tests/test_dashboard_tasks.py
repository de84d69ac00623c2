"""/plans/{slug}/tasks/ — tasks by section with each unit's latest status and progress; lagging first."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.models import ReviewState, TaskReport
from tests import factories
from tests.dashboard_world import marked, sent_at
from tests.page import seen

URL = "/plans/quanzhou-2024-2026/tasks/"


def test_it_asks_anonymous_visitors_to_log_in(client, dashboard_world):
    assert client.get(URL)["Location"].startswith("/login/")


def test_lagging_tasks_come_first_with_every_units_latest_report(leader_client, dashboard_world):
    response = leader_client.get(URL)
    board, html = response.context["board"], response.content.decode()
    assert [line.task.title for line in board.lagging] == ["树导向"]
    line = board.lagging[0]
    assert [(u.unit.name, u.role, u.report.status if u.report else None) for u in line.units[:2]] == [
        ("市知识产权局", "lead", "lagging"),
        ("市科技局", "co", "in_progress"),
    ]
    assert html.index("滞后任务（1项）") < html.index("市知识产权局第四季度进展") < html.index("（一）")
    assert "审批进度滞后" in html
    assert "市科技局第一季度进展" in html and "（非本季度）" in html  # an older report, marked
    assert all(line.task.title != "树导向" for _, lines in board.sections for line in lines)
    assert sum(len(lines) for _, lines in board.sections) == 17


def test_a_newer_report_replaces_an_older_one_and_drafts_or_returned_ones_are_not_shown(
    leader_client, dashboard_world, unit_b
):
    world = dashboard_world
    factories.TaskReportFactory(
        task=world.task,
        unit=unit_b,
        period=world.periods[2],
        status=TaskReport.Status.DONE,
        progress="市科技局第三季度已完成",
        state=ReviewState.APPROVED,
        submitted_at=sent_at(world.periods[2]),
    )
    factories.TaskReportFactory(
        task=world.task, unit=unit_b, period=world.periods[3], progress="草稿不应出现", state="draft"
    )
    factories.TaskReportFactory(
        task=world.task,
        unit=unit_b,
        period=world.periods[1],
        progress="退回的报告不应出现",
        state=ReviewState.RETURNED,
        submitted_at=sent_at(world.periods[1]),
    )
    html = leader_client.get(URL).content.decode()
    assert "市科技局第三季度已完成" in html
    assert "市科技局第一季度进展" not in html
    assert "草稿不应出现" not in html and "退回的报告不应出现" not in html


def test_a_report_awaiting_review_is_marked_and_counted_beside_the_status(
    leader_client, dashboard_world, unit_b
):
    world = dashboard_world
    factories.TaskReportFactory(
        task=world.task,
        unit=unit_b,
        period=world.periods[-1],
        status=TaskReport.Status.DONE,
        progress="尚未审核的进展",
        state=ReviewState.SUBMITTED,
        submitted_at=sent_at(world.periods[-1]),
    )
    response = leader_client.get(URL)
    html, board = response.content.decode(), response.context["board"]
    assert "尚未审核的进展" not in html  # as for figures, only what the office approved counts
    assert board.lagging[0].task == world.task and board.awaiting == 1
    assert "另有1项任务的本季度进展待办公室审核" in html and "本季度进展待审核" in html


def test_the_quarter_switcher_shows_reports_as_they_stood(leader_client, dashboard_world):
    html = leader_client.get(URL, {"year": 2024, "quarter": 2}).content.decode()
    assert "市知识产权局第四季度进展" not in html and "市科技局第一季度进展" in html
    assert marked(html, "data-task")[str(dashboard_world.task.pk)]["data-status"] == "in_progress"


def test_a_reporter_sees_only_its_units_tasks_and_reports(reporter_b_client, dashboard_world):
    page = seen(reporter_b_client.get(URL))
    assert "本单位承担的重点任务" in page.text and "市科技局第一季度进展" in page.text
    assert "市知识产权局第四季度进展" not in page.text and "市知识产权局" not in page.find("main").text
    tasks = reporter_b_client.get(URL).context["board"]
    titles = {line.task.title for _, lines in tasks.sections for line in lines}
    assert "树导向" in titles and "强化行政保护" not in titles  # 市科技局 is not named on (三)1


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_its_query_count_is_pinned_and_does_not_grow_with_units_or_reports(
    leader_client, dashboard_world, django_assert_max_num_queries
):
    before = _queries(leader_client)
    dashboard_world.grow(units=6)
    with django_assert_max_num_queries(9):
        assert leader_client.get(URL).status_code == 200
    assert _queries(leader_client) == before
