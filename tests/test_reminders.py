"""Reminder emails (催报): N days before the due date, on it, and every few days after it with the office
copied; only units that still owe items get one, never twice, never a group."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail

from plans.models import Unit
from reporting.models import Reminder, Submission, TaskReport
from reporting.reminders import reminders_send, units_owing
from reporting.tasks import send_reminders
from tests import factories
from tests.beat import SHANGHAI, beat_sends

DUE = datetime.date(2027, 1, 10)  # 2026 Q4
SENT = datetime.datetime(2027, 1, 5, tzinfo=datetime.UTC)


def day(offset: int) -> datetime.date:
    return DUE + datetime.timedelta(days=offset)


@pytest.fixture
def units(desk):
    """Only unit A (4 indicators, 17 tasks) and unit B (1 indicator, 8 tasks) have an email address; every
    other Quanzhou unit has none and is skipped. The group unit has one but never reports."""
    Unit.objects.filter(pk=desk.unit_a.pk).update(email="zscqj@example.cn")
    Unit.objects.filter(pk=desk.unit_b.pk).update(email="kjj@example.cn")
    Unit.objects.filter(kind="group").update(email="group@example.cn")
    return desk


def send(date: datetime.date) -> list:
    mail.outbox.clear()
    with time_machine.travel(datetime.datetime.combine(date, datetime.time(8, 30)), tick=False):
        reminders_send(today=date)
    return list(mail.outbox)


def submit_all(desk, unit):
    """Everything the unit owes for 2026 Q4, submitted."""
    for assignment in unit.assignments.all():
        Submission.objects.create(
            indicator=assignment.indicator, unit=unit, period=desk.period, value=Decimal(1),
            state="submitted", submitted_at=SENT,
        )  # fmt: skip
    for task_unit in unit.task_units.all():
        TaskReport.objects.create(
            task=task_unit.task,
            unit=unit,
            period=desk.period,
            progress="推进",
            state="submitted",
            submitted_at=SENT,
        )


def test_nothing_goes_out_before_the_reminder_window(units):
    assert send(day(-4)) == []


def test_units_that_owe_items_hear_three_days_before_the_due_date(units):
    sent = send(day(-3))
    assert sorted(message.to[0] for message in sent) == ["kjj@example.cn", "zscqj@example.cn"]
    message = next(message for message in sent if message.to == ["zscqj@example.cn"])
    assert message.subject == "【提醒】2026年第四季度知识产权工作数据将于2027年1月10日截止报送"
    assert "还有3天" in message.body and "尚有21项未报送" in message.body
    assert "商标有效注册量" in message.body and "强化金融力量支撑" in message.body
    assert f"{django_settings.IPCITY_SITE_URL.rstrip('/')}/report/" in message.body
    assert message.cc == []


def test_it_never_sends_the_same_reminder_twice(units):
    assert len(send(day(-3))) == 2
    assert send(day(-3)) == [] and send(day(-2)) == [] and send(day(-1)) == []
    assert Reminder.objects.filter(kind="before").count() == 2


def test_a_day_the_job_missed_is_caught_up(units):
    assert len(send(day(-2))) == 2  # the job did not run on day -3


def test_units_with_everything_submitted_get_nothing(units):
    submit_all(units, units.unit_a)
    assert [message.to for message in send(day(-3))] == [["kjj@example.cn"]]


def test_drafts_and_returned_items_still_count_as_owed(units):
    submit_all(units, units.unit_a)
    Submission.objects.filter(unit=units.unit_a, indicator=units.stock).update(state="returned")
    TaskReport.objects.filter(unit=units.unit_a).update(state="draft")
    [message] = [message for message in send(day(-3)) if message.to == ["zscqj@example.cn"]]
    assert "尚有18项未报送" in message.body and "商标有效注册量" in message.body


def test_on_the_due_date_a_due_reminder(units):
    send(day(-3))
    sent = send(day(0))
    assert len(sent) == 2 and all(message.subject.startswith("【提醒】今日截止") for message in sent)
    assert "请于今日内完成报送" in sent[0].body


def test_after_the_due_date_every_few_days_with_the_office_copied(units):
    first = send(day(1))
    assert len(first) == 2
    assert all(message.cc == [django_settings.IPCITY_OFFICE_EMAIL] for message in first)
    assert first[0].subject.startswith("【催报】") and "已逾期1天" in first[0].body
    assert send(day(2)) == [] and send(day(3)) == []
    assert len(send(day(4))) == 2
    assert send(day(19)) != [] and send(day(19)) == []  # the day before the lock, once
    locks_on = units.period.locks_on
    assert send(locks_on) == []  # a locked period is past reminding


def test_group_units_and_units_without_email_get_none(units, caplog):
    sent = send(day(-3))
    assert "group@example.cn" not in [address for message in sent for address in message.to]
    assert all(owed.unit.kind != "group" for owed in units_owing(units.period))
    assert "没有联系邮箱" in caplog.text


def test_the_daily_task_runs_through_celery_and_is_scheduled_by_beat(units):
    with time_machine.travel(datetime.datetime(2027, 1, 7, 8, 30, tzinfo=datetime.UTC), tick=False):
        assert send_reminders.delay().get() == 2
    sent = beat_sends(datetime.datetime(2027, 1, 7, tzinfo=SHANGHAI))["reporting.send_reminders"]
    assert len(sent) == 1 and 7 <= sent[0].hour < 10  # once a day, as the working morning begins


def test_a_unit_of_another_plans_period_is_not_reminded_for_it(units):
    """Units report only in periods of years their plans run: a 2027 quarter asks nothing of anyone."""
    period = factories.PeriodFactory(year=2027, quarter=1)
    assert units_owing(period) == []
