"""An office queue that keeps up (issue 14, item 6): one queue across quarters, oldest first, with counts per
quarter and filters; staying in place after a review; counts confirmed before 全部审核通过 and 报送本季度;
one-click 催报 at most once a unit a day."""

from __future__ import annotations

import pytest
from django.core import mail

from audit.models import AuditRecord
from reporting.models import Reminder, Submission
from tests import factories
from tests.page import seen
from tests.quarter import full_quarter, quarter_post
from tests.test_report_page import post

QUEUE = "/review/"


@pytest.fixture
def sent(desk, reporter_a_client):
    """Unit A submitted all of 2026 Q4 (4 figures, 17 task reports); unit B's 2026 Q3 figure waits since
    October, and its reporter's session is gone."""
    response = post(reporter_a_client, desk, figures=full_quarter(desk), fill_tasks=True, action="submit")
    assert response.status_code == 302
    factories.SubmissionFactory(
        indicator=desk.count, unit=desk.unit_b, period=desk.locked, state="submitted", is_late=True,
        submitted_at="2026-10-20T10:00:00+08:00",
    )  # fmt: skip
    return desk


def queue_rows(response):
    return [
        (row["季度"].text, row["填报单位"].text, row["待审核"].text)
        for row in seen(response).table("季度").rows()
    ]


def test_the_queue_lists_every_quarter_awaiting_review_oldest_first_with_counts(sent, reviewer_client):
    response = reviewer_client.get(QUEUE)
    assert queue_rows(response) == [
        ("2026年第三季度", "市科技局", "1"),
        ("2026年第四季度", "市知识产权局", "21"),
    ]
    counts = seen(response).find(cls="counts-by-quarter").text
    assert "2026年第三季度：待审核 1 项，已退回 0 项" in counts and "2026年第四季度：待审核 21 项" in counts


def test_the_queue_filters_by_plan_and_state(sent, reviewer_client, desk):
    zhenjiang = reviewer_client.get(QUEUE, {"plan": "zhenjiang-edz-2024-2026"})
    assert queue_rows(zhenjiang) == [("2026年第四季度", "市知识产权局", "1")]  # 结案率 is Zhenjiang's
    quanzhou = reviewer_client.get(QUEUE, {"plan": "quanzhou-2024-2026"})
    assert queue_rows(quanzhou) == [
        ("2026年第三季度", "市科技局", "1"),
        ("2026年第四季度", "市知识产权局", "20"),
    ]
    Submission.objects.filter(unit=desk.unit_b).update(state="returned", return_reason="请核实")
    assert queue_rows(reviewer_client.get(QUEUE, {"state": "returned"})) == [
        ("2026年第三季度", "市科技局", "0")
    ]
    one_quarter = seen(reviewer_client.get(QUEUE, {"period": "2026-4", "state": "submitted"}))
    assert [row["填报单位"].text for row in one_quarter.table("填报单位").rows()] == ["市知识产权局"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"plan": "no-such-plan"}, "没有这个方案，请从列表中选择。"),
        ({"state": "missing"}, "（未报送、部分报送等请先选择季度）"),
        (
            {"period": "2026-4", "state": "nonsense"},
            "状态只能是：待审核、退回待修改、未报送、部分报送、已全部审核。",
        ),
    ],
)
def test_the_queue_refuses_bad_filters_in_chinese(desk, reviewer_client, query, message):
    response = reviewer_client.get(QUEUE, query)
    assert response.status_code == 400 and message in response.content.decode()


def test_the_queue_queries_do_not_grow_with_units_or_quarters(
    sent, reviewer_client, desk, django_assert_max_num_queries
):
    with django_assert_max_num_queries(13) as few:  # 13: the top bar's bell is one
        reviewer_client.get(QUEUE)
    for quarter in (1, 2):
        for _ in range(3):
            unit = factories.UnitFactory(region=desk.unit_a.region)
            factories.SubmissionFactory(
                indicator=desk.count, unit=unit, period=factories.PeriodFactory(year=2026, quarter=quarter),
                state="submitted", submitted_at="2026-07-01T10:00:00+08:00",
            )  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(queue_rows(reviewer_client.get(QUEUE))) == 8


def test_a_review_action_comes_back_to_the_item_reviewed(sent, reviewer_client, desk):
    page = f"/review/2026-4/{desk.unit_a.pk}/"
    row = Submission.objects.get(unit=desk.unit_a, period=desk.period, indicator=desk.count)
    anchor = f"indicator-{desk.count.pk}"
    assert f'value="{page}#{anchor}"' in reviewer_client.get(page).content.decode()
    response = reviewer_client.post(
        f"/review/submission/{row.pk}/approve/", {"version": row.version, "next": f"{page}#{anchor}"}
    )
    assert response["Location"] == f"{page}#{anchor}"


def test_approve_all_checks_the_confirmed_count_then_goes_to_the_next_unit(sent, reviewer_client, desk):
    page = f"/review/2026-4/{desk.unit_a.pk}/"
    html = reviewer_client.get(page).content.decode()
    assert (
        'name="expected" value="21"' in html
        and "将审核通过市知识产权局2026年第四季度的全部21项已报送内容" in html
    )
    stale = reviewer_client.post(f"{page}approve-all/", {"expected": 20}, follow=True)
    assert "您确认的是20项，但市知识产权局2026年第四季度现有21项待审核" in stale.content.decode()
    assert not Submission.objects.filter(unit=desk.unit_a, state="approved").exists()
    response = reviewer_client.post(f"{page}approve-all/", {"expected": 21})
    assert response["Location"] == f"/review/2026-3/{desk.unit_b.pk}/"  # the next unit awaiting review
    assert Submission.objects.filter(unit=desk.unit_a, state="approved").count() == 4
    last = reviewer_client.post(f"/review/2026-3/{desk.unit_b.pk}/approve-all/", {"expected": 1}, follow=True)
    assert "所有季度的待审核内容均已处理完毕" in last.content.decode()


def test_the_reporter_confirms_the_count_before_submitting(desk, reporter_a_client):
    html = reporter_a_client.get("/report/?period=2026-4").content.decode()
    assert 'name="expected" value="21"' in html and "报送本季度（21项）" in html
    assert "即将报送2026年第四季度的全部21项：指标4项、任务进展17项" in html
    data = quarter_post(desk.unit_a, desk.period, desk.today, figures=full_quarter(desk), fill_tasks=True)
    data["action"] = "submit"
    response = reporter_a_client.post("/report/?period=2026-4", data | {"expected": 20})
    assert "您确认报送20项，但本季度现有21项待报送（其间有变化），本次未报送" in response.content.decode()
    assert not Submission.objects.filter(unit=desk.unit_a, state="submitted").exists()
    ok = reporter_a_client.post("/report/?period=2026-4", data | {"expected": 21})
    assert (
        ok.status_code == 302 and Submission.objects.filter(unit=desk.unit_a, state="submitted").count() == 4
    )


def test_urge_emails_a_late_unit_once_a_day_and_is_audited(sent, reviewer_client, reviewer, desk, reporter_a):
    desk.unit_a.email = "zscqj@example.cn"
    desk.unit_a.save()
    queue = seen(reviewer_client.get(QUEUE, {"period": "2026-3"}))
    assert queue.find(id=f"unit-{desk.unit_a.pk}").find(cls="btn-urge")  # unit A sent nothing for Q3
    url = f"/review/2026-3/{desk.unit_a.pk}/urge/"
    back = f"/review/?period=2026-3#unit-{desk.unit_a.pk}"
    response = reviewer_client.post(url, {"next": back})
    assert response["Location"] == back
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["zscqj@example.cn"]
    assert mail.outbox[0].subject == "【催报】办公室提醒：2026年第三季度知识产权工作数据请尽快报送"
    assert "领导小组办公室现专门提醒" in mail.outbox[0].body
    from notifications.models import Notification  # the unit's reporter also finds it in the bell

    bell = Notification.objects.get(recipient=reporter_a)
    assert bell.kind == "reminder" and bell.link == "/report/?period=2026-3" and "【催报】" in bell.text
    reminder = Reminder.objects.get(unit=desk.unit_a, kind="urge")
    record = AuditRecord.objects.filter(model="reporting.reminder", object_id=str(reminder.pk)).get()
    assert record.history_user == reviewer and record.history_change_reason.startswith(
        "办公室催报：2026年第三季度尚有"
    )
    urged = seen(reviewer_client.get(QUEUE, {"period": "2026-3"})).find(id=f"unit-{desk.unit_a.pk}")
    assert "今日已催报" in urged.text and not urged.find_all(cls="btn-urge")
    again = reviewer_client.post(url, {"next": back}, follow=True)
    assert "每个单位每天最多催报一次，请明天再催" in again.content.decode()
    assert len(mail.outbox) == 1 and Reminder.objects.filter(kind="urge").count() == 1


def test_urge_is_refused_before_the_due_date_and_without_an_email(desk, reviewer_client):
    early = reviewer_client.post(f"/review/2026-4/{desk.unit_a.pk}/urge/", follow=True)
    assert "2026年第四季度的截止日期（2027年1月10日）未过，尚不能催报。" in early.content.decode()
    desk.unit_b.email = ""  # as the plans' fixture leaves it
    desk.unit_b.save()
    no_email = reviewer_client.post(f"/review/2026-3/{desk.unit_b.pk}/urge/", follow=True)
    assert "没有联系邮箱，无法发送催报邮件" in no_email.content.decode()
    assert not mail.outbox and not Reminder.objects.exists()


def test_urge_is_for_the_office_only(desk, reporter_a_client):
    assert reporter_a_client.post(f"/review/2026-3/{desk.unit_a.pk}/urge/").status_code == 403
