"""Reminder emails (催报): each unit that still owes items for an open period hears about it N days before the
due date, on it, and every few days after it (then with the office copied), until the period locks.

Run daily by Celery beat (`reporting.tasks.send_reminders`). The `Reminder` log makes a run idempotent: run
it twice on one day and nobody gets a second email. A day the job did not run is caught up on the next run.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import ensure_reviewer
from audit.services import stamp
from notifications.models import Notification
from notifications.services import notify
from plans.models import Unit
from reporting.models import WITH_OFFICE, Period, Reminder, Submission, TaskReport
from reporting.selectors import owed_figures, owed_tasks

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


def days_before() -> int:
    return int(getattr(settings, "IPCITY_REMIND_DAYS_BEFORE", 3))


def overdue_every() -> int:
    return int(getattr(settings, "IPCITY_REMIND_OVERDUE_EVERY_DAYS", 3))


@dataclass
class Owed:
    """What a unit still owes for a period: items with no submission, a draft, or a returned one."""

    unit: Unit
    indicators: list[str]
    tasks: list[str]

    @property
    def count(self) -> int:
        return len(self.indicators) + len(self.tasks)


def units_owing(period: Period, units: Collection[int] | None = None) -> list[Owed]:
    """Every unit (of `units` when given) with items it owes (`owed_figures`, `owed_tasks`) and has not
    handed to the office for the period: missing, draft or returned. Five queries."""
    indicators = owed_figures(year=period.year, units=units).values_list(
        "unit_id", "indicator_id", "indicator__name"
    )
    tasks = owed_tasks(year=period.year, units=units).values_list("unit_id", "task_id", "task__title")
    sent = Q(period=period, state__in=WITH_OFFICE) & (Q() if units is None else Q(unit_id__in=units))
    sent_figures = set(Submission.objects.filter(sent).values_list("unit_id", "indicator_id"))
    sent_tasks = set(TaskReport.objects.filter(sent).values_list("unit_id", "task_id"))
    figures_left: dict[int, list[str]] = defaultdict(list)
    tasks_left: dict[int, list[str]] = defaultdict(list)
    for unit_id, indicator_id, name in indicators.order_by("indicator__plan", "indicator__position"):
        if (unit_id, indicator_id) not in sent_figures:
            figures_left[unit_id].append(name)
    for unit_id, task_id, title in tasks.order_by("task__section__number", "task__number"):
        if (unit_id, task_id) not in sent_tasks:
            tasks_left[unit_id].append(title)
    units = Unit.objects.filter(pk__in=set(figures_left) | set(tasks_left)).order_by("region", "name")
    return [Owed(unit, figures_left.get(unit.pk, []), tasks_left.get(unit.pk, [])) for unit in units]


def _kind_due(period: Period, today: datetime.date, unit_id: int, sent: dict) -> str | None:
    """Which reminder, if any, the unit is due today (catching up a day the job missed)."""
    if today >= period.locks_on or today < period.opens_on:
        return None
    if today > period.due_on:
        last = sent.get((unit_id, Reminder.Kind.OVERDUE))
        return Reminder.Kind.OVERDUE if last is None or (today - last).days >= overdue_every() else None
    if today == period.due_on:
        return None if (unit_id, Reminder.Kind.DUE) in sent else Reminder.Kind.DUE
    if today >= period.due_on - datetime.timedelta(days=days_before()):
        return None if (unit_id, Reminder.Kind.BEFORE) in sent else Reminder.Kind.BEFORE
    return None


SUBJECTS = {
    Reminder.Kind.BEFORE: "【提醒】{period}知识产权工作数据将于{due}截止报送",
    Reminder.Kind.DUE: "【提醒】今日截止：{period}知识产权工作数据报送",
    Reminder.Kind.OVERDUE: "【催报】{period}知识产权工作数据已逾期未报送",
    Reminder.Kind.URGE: "【催报】办公室提醒：{period}知识产权工作数据请尽快报送",
}


def _day(date: datetime.date) -> str:
    return f"{date.year}年{date.month}月{date.day}日"


def _message(owed: Owed, period: Period, kind: str, today: datetime.date) -> EmailMessage:
    due = _day(period.due_on)
    body = render_to_string(
        "reporting/email/reminder.txt",
        {
            "owed": owed,
            "period": period,
            "kind": kind,
            "due": due,
            "locks": _day(period.locks_on),
            "days_left": (period.due_on - today).days,
            "days_late": (today - period.due_on).days,
            "site_url": getattr(settings, "IPCITY_SITE_URL", "").rstrip("/"),
        },
    )
    return EmailMessage(
        subject=SUBJECTS[kind].format(period=period, due=due),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[owed.unit.email],
        cc=[settings.IPCITY_OFFICE_EMAIL]
        if kind in (Reminder.Kind.OVERDUE, Reminder.Kind.URGE) and settings.IPCITY_OFFICE_EMAIL
        else [],
    )


def _told_in_app(unit: Unit, period: Period, kind: str, owed: int) -> None:
    """The same 催报 in the unit's reporters' bell (the email has gone out already)."""
    subject = SUBJECTS[kind].format(period=period, due=_day(period.due_on))
    link = f"{reverse('report')}?period={period.year}-{period.quarter}"
    notify(units=[unit], kind=Notification.Kind.REMINDER, text=f"{subject}（尚有{owed}项未报送）", link=link,
           email=False)  # fmt: skip


def reminders_send(*, today: datetime.date) -> int:
    """Email every unit that owes items for an open period the reminder it is due today; log each one so it
    is never sent twice. Units with everything submitted, group units and units without an email get none.
    Returns how many emails went out."""
    count = 0
    for period in Period.objects.filter(opens_on__lte=today, locks_on__gt=today):
        sent: dict[tuple[int, str], datetime.date] = {}
        for unit_id, kind, sent_on in (
            Reminder.objects.filter(period=period)
            .order_by("sent_on")
            .values_list("unit_id", "kind", "sent_on")
        ):
            sent[(unit_id, kind)] = sent_on
        for owed in units_owing(period):
            kind = _kind_due(period, today, owed.unit.pk, sent)
            if kind is None:
                continue
            if not owed.unit.email:
                logger.warning("催报：%s 没有联系邮箱，%s 的提醒未能发送", owed.unit, period)
                continue
            message = _message(owed, period, kind, today)
            try:
                with transaction.atomic():
                    # The log row first: its unique key stops a parallel run; a failed email rolls it back.
                    Reminder.objects.create(
                        unit=owed.unit,
                        period=period,
                        kind=kind,
                        sent_on=today,
                        recipients=", ".join([*message.to, *message.cc]),
                        owed=owed.count,
                    )
                    message.send()
                    _told_in_app(owed.unit, period, kind, owed.count)
            except IntegrityError:
                continue  # another run sent it a moment ago
            count += 1
    return count


def urge_unit(*, unit: Unit, period: Period, by: User, today: datetime.date | None = None) -> Reminder:
    """催报 by the office, one click: email the unit (the reminder path above, the office copied) what it
    still owes for a period whose due date has passed, and log it (the Reminder row, in the audit trail with
    who sent it). At most once per unit, period and day: a second one raises ValidationError saying when the
    first went out. Refused too when the period is not yet due, nothing is owed, or the unit has no email.

    The one place an office's 催报 goes out: the unit's reporters also find it in their bell."""
    ensure_reviewer(by)
    today = today or timezone.localdate()
    if today <= period.due_on:
        raise ValidationError(f"{period}的截止日期（{_day(period.due_on)}）未过，尚不能催报。")
    owed = units_owing(period, units=[unit.pk])
    if not owed:
        raise ValidationError(f"{unit}{period}应报的内容均已报送，无需催报。")
    today_urge = Reminder.objects.filter(unit=unit, period=period, kind=Reminder.Kind.URGE, sent_on=today)
    if (earlier := today_urge.first()) is not None:
        raise ValidationError(_urged_today(unit, period, earlier))
    if not unit.email:
        raise ValidationError(f"{unit}没有联系邮箱，无法发送催报邮件；请先在系统管理中补充单位邮箱。")
    message = _message(owed[0], period, Reminder.Kind.URGE, today)
    try:
        with transaction.atomic():
            row = Reminder(
                unit=unit, period=period, kind=Reminder.Kind.URGE, sent_on=today,
                recipients=", ".join([*message.to, *message.cc]), owed=owed[0].count,
            )  # fmt: skip
            stamp(row, by, f"办公室催报：{period}尚有{owed[0].count}项未报送")
            row.save()  # first: its unique key stops a second click racing this one
            message.send()
            _told_in_app(unit, period, Reminder.Kind.URGE, owed[0].count)
    except IntegrityError:
        raise ValidationError(_urged_today(unit, period, today_urge.get())) from None
    return row


def _urged_today(unit: Unit, period: Period, earlier: Reminder) -> str:
    when = timezone.localtime(earlier.sent_at).strftime("%H:%M")
    return f"今天{when}已向{unit}催报过{period}的数据，每个单位每天最多催报一次，请明天再催。"


def urged_on(period: Period, day: datetime.date) -> set[int]:
    """The units the office urged (催报) for the period on `day`: the queue marks them. One query."""
    return set(
        Reminder.objects.filter(period=period, kind=Reminder.Kind.URGE, sent_on=day).values_list(
            "unit_id", flat=True
        )
    )
