"""One figure or task report (/submissions/<id>/, /task-reports/<id>/) with its full history: who, when,
old → new value, reason — for the reviewer, the leader and the item's own unit only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.measures import Figure
from reporting.models import Submission, TaskReport
from reporting.queue import row_history
from reporting.services.entry import FigureInput, ProgressInput, figures_save, task_reports_save
from reporting.services.review import review_approve, review_return, unit_period_submit
from tests.page import seen

D = Decimal


def save(desk, by, value, version=None, note=""):
    figures_save(
        unit=desk.unit_a, period=desk.period, by=by,
        inputs=[FigureInput(desk.count.pk, Figure(value=D(value), note=note), version)],
    )  # fmt: skip


@pytest.fixture
def figure(desk, reporter_a, reviewer):
    """A figure drafted (60), corrected (62), returned by the office with a reason, then changed (64)."""
    desk.unit_a.assignments.exclude(indicator=desk.count).delete()
    desk.unit_a.task_units.all().delete()
    save(desk, reporter_a, 60)
    save(desk, reporter_a, 62, version=1)
    unit_period_submit(unit=desk.unit_a, period=desk.period, by=reporter_a)
    row = Submission.objects.get()
    review_return(row=row, by=reviewer, reason="请按年末口径填报")
    save(desk, reporter_a, 64, version=row.version + 1, note="按年末口径")
    return Submission.objects.get()


def _changes(response) -> str:
    """The history table's changes as a reader sees them, one record a line."""
    rows = seen(response).table("操作人").rows()
    return "\n".join(row["变更内容（原值 → 新值）"].text for row in rows)


def test_the_history_says_who_when_what_changed_and_why(figure, reviewer_client):
    response = reviewer_client.get(f"/submissions/{figure.pk}/")
    html = response.content.decode()
    assert "变更记录" in html
    assert html.count("reporter_a") >= 4 and "reviewer" in html
    changes = _changes(response)
    assert "数值：62 → 64" in changes and "数值：60 → 62" in changes and "状态：已报送 → 已退回" in changes
    assert "退回：请按年末口径填报" in html and "按退回意见修改" in html and "新建草稿" in html
    assert html.index("按退回意见修改") < html.index("新建草稿")  # newest first


def test_the_history_selector_diffs_consecutive_records(figure):
    entries = row_history(figure)
    assert [entry.reason for entry in entries] == [
        "按退回意见修改", "退回：请按年末口径填报", "报送", "修改草稿", "新建草稿",
    ]  # fmt: skip
    newest = {(change.label, change.old, change.new) for change in entries[0].changes}
    assert newest == {("数值", "62", "64"), ("说明", "—", "按年末口径")}
    assert {(c.label, c.new) for c in entries[-1].changes} == {("数值", "60")}  # only what was filled in


def test_it_is_visible_to_the_reviewer_the_leader_and_the_own_unit_only(
    figure, client, reporter_a, reporter_b, reviewer, leader, admin_user
):
    for user in (reporter_a, reviewer, leader, admin_user):
        client.force_login(user)
        assert client.get(f"/submissions/{figure.pk}/").status_code == 200
    client.force_login(reporter_b)
    assert client.get(f"/submissions/{figure.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/submissions/{figure.pk}/")["Location"].startswith("/login/")


def test_only_the_reviewer_sees_review_actions_on_it(figure, client, reporter_a, reviewer):
    client.force_login(reporter_a)
    unit_period_submit(unit=figure.unit, period=figure.period, by=reporter_a)
    assert "审核通过</button>" not in client.get(f"/submissions/{figure.pk}/").content.decode()
    client.force_login(reviewer)
    assert "审核通过</button>" in client.get(f"/submissions/{figure.pk}/").content.decode()


def test_it_reads_a_fixed_number_of_queries_however_long_the_history(
    figure, reviewer_client, desk, reporter_a
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert reviewer_client.get(f"/submissions/{figure.pk}/").status_code == 200
        return len(queries)

    few = count()
    version = Submission.objects.get().version
    for value in range(65, 75):
        save(desk, reporter_a, value, version=version)
        version += 1
    assert count() == few <= 8


@pytest.fixture
def report(desk, reporter_a, reviewer):
    task = desk.unit_a.tasks.order_by("pk").first()
    progress = ProgressInput(task_id=task.pk, status="in_progress", progress="开展专利导航")
    task_reports_save(unit=desk.unit_a, period=desk.period, inputs=[progress], by=reporter_a)
    row = TaskReport.objects.get()
    lagging = ProgressInput(
        task_id=task.pk, status="lagging", progress="开展专利导航", problems="经费未到位", version=row.version
    )
    task_reports_save(unit=desk.unit_a, period=desk.period, inputs=[lagging], by=reporter_a)
    return TaskReport.objects.get()


def test_a_task_reports_history_shows_its_status_and_texts(report, client, reporter_a, reporter_b, leader):
    client.force_login(reporter_a)
    changes = _changes(client.get(f"/task-reports/{report.pk}/"))
    assert "状态：推进中 → 滞后" in changes and "存在问题：— → 经费未到位" in changes
    client.force_login(leader)
    assert client.get(f"/task-reports/{report.pk}/").status_code == 200
    client.force_login(reporter_b)
    assert client.get(f"/task-reports/{report.pk}/").status_code == 404


def test_an_approval_shows_in_the_history(report, reviewer, reporter_a, desk):
    report.state, report.submitted_at = "submitted", report.updated_at
    report.save()
    review_approve(row=report, by=reviewer)
    assert row_history(TaskReport.objects.get())[0].reason == "审核通过"
