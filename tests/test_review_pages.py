"""The office's review: the queue (/review/), a unit's quarter (/review/<period>/<unit>/), and the actions
approve, return with a reason, reopen with a reason, approve all."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.models import Unit
from reporting.models import Submission, TaskReport
from reporting.services.quarter import quarter_save
from tests import factories
from tests.page import seen
from tests.quarter import full_quarter
from tests.test_report_page import post

QUEUE = "/review/"


@pytest.fixture
def sent(desk, reporter_a_client):
    """Unit A submitted all of 2026 Q4 through its page (4 figures, 17 task reports)."""
    assert (
        post(
            reporter_a_client, desk, figures=full_quarter(desk), fill_tasks=True, action="submit"
        ).status_code
        == 302
    )
    return Submission.objects.filter(unit=desk.unit_a, period=desk.period)


@pytest.fixture
def page(desk):
    return f"/review/2026-4/{desk.unit_a.pk}/"


def test_the_queue_shows_each_unit_by_state_with_those_awaiting_review_first(sent, reviewer_client, desk):
    response = reviewer_client.get(QUEUE, {"period": "2026-4"})
    assert response.status_code == 200
    page = seen(response)
    assert page.find(cls="quarter-head").find("h2").text == "2026年第四季度"
    rows = [{name: cell.text for name, cell in row.items()} for row in page.table("填报单位").rows()]
    assert (rows[0]["填报单位"], rows[0]["情况"], rows[0]["待审核"]) == ("市知识产权局", "待审核", "21")
    assert next(row for row in rows if row["填报单位"] == "市科技局")["情况"] == "尚未报送"  # not yet due
    assert "市知识产权工作领导小组各成员单位" not in page.text  # a group never reports
    assert "待审核 21" in page.find(cls="counts").text
    assert page.find(cls="counts").find(cls="warn").text == "21"  # in the warning colour


def test_the_queue_marks_missing_units_and_late_items_after_the_due_date(reviewer_client, desk):
    factories.SubmissionFactory(
        indicator=desk.count, unit=desk.unit_b, period=desk.locked, state="submitted", is_late=True,
        submitted_at="2026-10-20T10:00:00+08:00",
    )  # fmt: skip
    rows = seen(reviewer_client.get(f"{QUEUE}?period=2026-3")).table("填报单位").rows()
    late = next(row for row in rows if row["填报单位"].text == "市科技局")["逾期"]
    assert late.text == "1" and late.find_all(cls="late-mark")  # in the warning colour
    # Units that sent nothing, past the due date: their count stands out too.
    assert any(row["未报送"].find_all(cls="missing-mark") for row in rows)


def test_the_queue_reads_a_fixed_number_of_queries(
    sent, reviewer_client, desk, django_assert_max_num_queries
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            reviewer_client.get(f"{QUEUE}?period=2026-4")
        return len(queries)

    few = count()
    for _ in range(5):
        unit = factories.UnitFactory(region=desk.unit_a.region)
        factories.AssignmentFactory(indicator=desk.count, unit=unit)
        factories.SubmissionFactory(indicator=desk.count, unit=unit, period=desk.period)
    # 12, the counts per quarter above the table (pending_queue's two) and the units urged today
    assert count() == few <= 16  # the top bar's bell (unread notifications) is one


def test_a_units_quarter_shows_figures_with_context_and_the_actions(sent, reviewer_client, page):
    response = reviewer_client.get(page)
    html = response.content.decode()
    assert "88.12万件" in html and "9/10（90%）" in html and "已完成" in html
    assert "≥88万件" in html  # the year's target for context
    buttons = [button.text for button in seen(response).find_all("button")]
    assert buttons.count("审核通过") == 21 and buttons.count("确认退回") == 21
    assert "全部审核通过（21项已报送）" in html
    assert "本季度按计划推进" in html


def test_it_reads_a_units_quarter_in_a_fixed_number_of_queries(sent, reviewer_client, page):
    with CaptureQueriesContext(connection) as queries:
        reviewer_client.get(page)
    assert len(queries) <= 20


def act(client, row, action, **data):
    kind = "submission" if isinstance(row, Submission) else "task-report"
    return client.post(f"/review/{kind}/{row.pk}/{action}/", {"version": row.version, **data}, follow=True)


def test_the_reviewer_approves_one_figure(sent, reviewer_client, reviewer, desk):
    row = sent.get(indicator=desk.stock)
    response = act(reviewer_client, row, "approve")
    assert "已审核通过" in response.content.decode()
    row.refresh_from_db()
    assert (row.state, row.reviewed_by) == ("approved", reviewer)


def test_the_reviewer_returns_one_figure_with_a_reason_the_reporter_then_sees(
    sent, reviewer_client, desk, client, reporter_a
):
    row = sent.get(indicator=desk.count)
    assert "请填写理由" in act(reviewer_client, row, "return", reason=" ").content.decode()
    assert Submission.objects.get(pk=row.pk).state == "submitted"
    act(reviewer_client, row, "return", reason="与知识产权局年报数据不一致，请核实")
    row.refresh_from_db()
    assert (row.state, row.return_reason) == ("returned", "与知识产权局年报数据不一致，请核实")
    client.force_login(reporter_a)
    html = client.get("/report/").content.decode()
    assert "办公室退回了1项" in html and "与知识产权局年报数据不一致，请核实" in html


def test_a_task_report_is_returned_and_approved_the_same_way(sent, reviewer_client, desk):
    report, other = TaskReport.objects.filter(unit=desk.unit_a)[:2]
    act(reviewer_client, report, "return", reason="进展情况过于简略")
    act(reviewer_client, other, "approve")
    assert TaskReport.objects.get(pk=report.pk).state == "returned"
    assert TaskReport.objects.get(pk=other.pk).state == "approved"


def test_approve_all_approves_every_submitted_item_of_the_unit(sent, reviewer_client, desk, page):
    act(reviewer_client, sent.get(indicator=desk.count), "return", reason="请核实")
    response = reviewer_client.post(f"{page}approve-all/", follow=True)
    assert "全部20项已报送内容" in response.content.decode()
    states = list(Submission.objects.filter(unit=desk.unit_a).values_list("state", flat=True))
    assert sorted(states) == ["approved", "approved", "approved", "returned"]
    assert "没有待审核的内容" in reviewer_client.post(f"{page}approve-all/", follow=True).content.decode()


def test_reopening_an_approved_figure_needs_a_reason(sent, reviewer_client, desk):
    row = sent.get(indicator=desk.stock)
    act(reviewer_client, row, "approve")
    row.refresh_from_db()
    assert "请填写理由" in act(reviewer_client, row, "reopen").content.decode()
    act(reviewer_client, row, "reopen", reason="统计局更正了年报数据")
    row.refresh_from_db()
    assert (row.state, row.return_reason) == ("returned", "统计局更正了年报数据")


def test_an_action_from_a_stale_page_gets_a_conflict(sent, reviewer_client, desk):
    row = sent.get(indicator=desk.stock)
    html = reviewer_client.post(
        f"/review/submission/{row.pk}/approve/", {"version": row.version - 1}, follow=True
    ).content.decode()
    assert "已被他人" in html
    assert Submission.objects.get(pk=row.pk).state == "submitted"


def test_an_action_out_of_order_is_refused_with_a_message(sent, reviewer_client, desk):
    row = sent.get(indicator=desk.stock)
    assert "不能重新打开" in act(reviewer_client, row, "reopen", reason="x").content.decode()


@pytest.mark.parametrize("path", ["/review/submission/1/delete/", "/review/unit/1/approve/"])
def test_an_unknown_action_is_a_404(reviewer_client, desk, path):
    assert reviewer_client.post(path).status_code == 404


def test_a_group_unit_has_no_quarter_to_review(reviewer_client, desk):
    group = Unit.objects.get(kind="group")
    assert reviewer_client.get(f"/review/2026-4/{group.pk}/").status_code == 404


def test_only_the_office_reviews(sent, client, desk, page, reporter_a, leader):
    row = sent.first()
    client.logout()
    assert client.get(QUEUE)["Location"].startswith("/login/")
    for user in (reporter_a, leader):
        client.force_login(user)
        assert client.get(QUEUE).status_code == 403
        assert client.get(page).status_code == 403
        assert client.post(f"/review/submission/{row.pk}/approve/").status_code == 403
        assert client.post(f"{page}approve-all/").status_code == 403
    assert set(sent.values_list("state", flat=True)) == {"submitted"}


def test_quarter_save_left_nothing_for_the_reviewer_to_redo(sent, desk, reporter_a):
    """A reporter's quarter that is submitted cannot be saved over."""
    saved = quarter_save(unit=desk.unit_a, period=desk.period, figures=[], tasks=[], by=reporter_a)
    assert saved.complete and not saved.saved and saved.submitted is None
