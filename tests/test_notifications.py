"""Notifications (issue 14, item 5): `notify` writes one row per person (a unit → its active reporters),
emails them after commit, posts to the office's group robots when enabled; a robot that fails never blocks
the action. The bell counts unread in one query; the list is one's own; a return or reopening tells the
unit's reporters at once."""

from __future__ import annotations

import json
import logging

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification, Webhook
from notifications.services import notify, webhook_payload, webhook_save, webhooks_send
from reporting.services.review import review_reopen, review_return
from tests import factories
from tests.page import seen

pytestmark = pytest.mark.django_db
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=xyz"


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_a_unit_means_its_active_reporters_each_once(
    unit_a, reporter_a, leader, django_assert_max_num_queries
):
    second = factories.UserFactory(role="reporter", unit=unit_a, username="second", email="s@example.cn")
    factories.UserFactory(role="reporter", unit=unit_a, username="gone", is_active=False)
    with django_assert_max_num_queries(3):
        rows = notify(units=[unit_a], users=[reporter_a, leader], kind="reminder", text="请报送", email=False)
    assert sorted(row.recipient.username for row in rows) == sorted(
        [reporter_a.username, second.username, "leader"]
    )


def test_emails_go_after_commit_and_not_at_all_when_rolled_back(
    unit_a, reporter_a, django_capture_on_commit_callbacks
):
    reporter_a.email = "a@example.cn"
    reporter_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(units=[unit_a], kind="reminder", text="请报送", link="/report/")
        assert mail.outbox == []  # not before the commit
    assert [message.to for message in mail.outbox] == [["a@example.cn"]]
    assert "请报送" in mail.outbox[0].body and "/report/" in mail.outbox[0].body
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(units=[unit_a], kind="reminder", text="不会发出")
        raise RuntimeError
    assert callbacks == []
    assert mail.outbox == [] and not Notification.objects.filter(text="不会发出").exists()


def test_the_group_robots_get_their_documented_text_message(
    monkeypatch, reviewer, unit_a, reporter_a, django_capture_on_commit_callbacks
):
    assert json.loads(webhook_payload("督办")) == {"msgtype": "text", "text": {"content": "督办"}}
    sent = []

    class Answer:
        def __init__(self, body):
            self.body = body

        def read(self, limit):
            return self.body

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout):
        sent.append((request.full_url, json.loads(request.data), timeout))
        return Answer(b'{"errcode": 0, "errmsg": "ok"}')

    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    with django_capture_on_commit_callbacks(execute=True):
        notify(units=[unit_a], kind="reminder", text="请报送", email=False)
    assert sent == []  # off by default
    webhook_save(platform="wecom", url=WECOM, enabled=True, by=reviewer, reason="办公室群")
    webhook_save(platform="dingtalk", url=DINGTALK, enabled=True, by=reviewer, reason="领导群")
    with django_capture_on_commit_callbacks(execute=True):
        notify(units=[unit_a], kind="reminder", text="请报送", email=False)
    assert [(url, body["text"]["content"], timeout) for url, body, timeout in sent] == [
        (DINGTALK, "【催报】请报送", 5), (WECOM, "【催报】请报送", 5),
    ]  # fmt: skip


def test_a_failing_robot_is_logged_and_never_blocks(
    monkeypatch, reviewer, unit_a, reporter_a, caplog, django_capture_on_commit_callbacks
):
    webhook_save(platform="wecom", url=WECOM, enabled=True, by=reviewer, reason="办公室群")

    def down(request, timeout):
        raise TimeoutError("timed out")

    monkeypatch.setattr("urllib.request.urlopen", down)
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        rows = notify(units=[unit_a], kind="reminder", text="请报送", email=False)
    assert rows and "群机器人消息未能发送" in caplog.text
    assert webhooks_send("x") == 0


def test_only_the_platforms_own_https_endpoint_is_accepted(reviewer, reporter_a):
    for url in ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", "https://10.0.0.1/cgi-bin/webhook/send",
                "https://qyapi.weixin.qq.com.evil.cn/cgi-bin/webhook/send"):  # fmt: skip
        with pytest.raises(Exception, match="企业微信群机器人的地址应为"):
            webhook_save(platform="wecom", url=url, enabled=True, by=reviewer, reason="试")
    with pytest.raises(Exception, match="须填写Webhook地址"):
        webhook_save(platform="dingtalk", url="", enabled=True, by=reviewer, reason="试")
    with pytest.raises(PermissionDenied, match="办公室"):
        webhook_save(platform="wecom", url=WECOM, enabled=True, by=reporter_a, reason="试")
    assert not Webhook.objects.filter(enabled=True).exists()


def test_the_office_sets_a_robot_on_its_page_with_a_reason(reviewer_client, reviewer):
    page = reviewer_client.post(
        "/office/notifications/",
        {"platform": "wecom", "wecom-url": WECOM, "wecom-enabled": "on", "wecom-reason": ""},
    )
    assert (
        page.status_code == 200 and "请填写修改原因" in seen(page).text.replace(" ", "")
    ) or "必填" in page.content.decode()
    response = reviewer_client.post(
        "/office/notifications/",
        {"platform": "wecom", "wecom-url": WECOM, "wecom-enabled": "on", "wecom-reason": "办公室工作群"},
    )
    assert response.status_code == 302
    hook = Webhook.objects.get(platform="wecom")
    assert hook.enabled and hook.history.get().history_change_reason == "群机器人设置：办公室工作群"
    bad = reviewer_client.post(
        "/office/notifications/",
        {"platform": "dingtalk", "dingtalk-url": "https://example.com/x", "dingtalk-reason": "试"},
    )
    assert "钉钉群机器人的地址应为" in bad.content.decode()


def test_the_bell_counts_unread_in_one_query_and_the_list_is_ones_own(
    reporter_a_client, reporter_a, reporter_b, django_assert_num_queries
):
    from notifications.context_processors import bell

    mine = notify(users=[reporter_a], kind="reminder", text="本单位的消息", link="/report/", email=False)[0]
    theirs = notify(users=[reporter_b], kind="reminder", text="别人的消息", email=False)[0]
    request = type("Request", (), {"user": reporter_a})()
    with django_assert_num_queries(1):
        assert int(str(bell(request)["unread_notifications"])) == 1
    page = seen(reporter_a_client.get("/notifications/"))
    assert "本单位的消息" in page.text and "别人的消息" not in page.text
    assert reporter_a_client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    response = reporter_a_client.post(f"/notifications/{mine.pk}/read/")
    assert response["Location"] == "/report/"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert reporter_a_client.post("/notifications/read/").status_code == 302


def test_a_return_and_a_reopening_tell_the_units_reporters(desk, reviewer, reporter_a, reporter_b):
    desk.today_at = timezone.now()
    sent = factories.SubmissionFactory(
        indicator=desk.stock,
        unit=desk.unit_a,
        period=desk.period,
        state="submitted",
        value=5,
        submitted_at=desk.today_at,
    )
    review_return(row=sent, by=reviewer, reason="数值有误")
    told = Notification.objects.get(recipient=reporter_a)
    assert (
        told.kind == Notification.Kind.RETURNED and "数值有误" in told.text and "商标有效注册量" in told.text
    )
    assert told.link == "/report/?period=2026-4"
    assert not Notification.objects.filter(recipient=reporter_b).exists()
    approved = factories.SubmissionFactory(
        indicator=desk.count,
        unit=desk.unit_a,
        period=desk.locked,
        state="approved",
        value=5,
        submitted_at=desk.today_at,
    )
    review_reopen(row=approved, by=reviewer, reason="口径调整")
    assert Notification.objects.filter(recipient=reporter_a, kind=Notification.Kind.REOPENED).exists()
