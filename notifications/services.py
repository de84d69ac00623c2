"""Telling people: `notify` writes one row per recipient for the bell and, once the caller's transaction has
committed, emails them and posts the text to the office's group robots (企业微信/钉钉) through Celery.

Nothing here can fail the caller's action: a broker that cannot take the task, a mail server or a robot
that does not answer is logged, never raised."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.permissions import ensure_reviewer
from audit.services import reason_required, stamp
from notifications.models import Notification, Webhook

if TYPE_CHECKING:
    from accounts.models import User
    from plans.models import Unit

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 5  # seconds: a robot that does not answer by then is logged and forgotten
# The documented endpoints of each platform's group robot: nothing else may be called (no requests into the
# intranet from a URL someone typed).
WEBHOOK_ENDPOINTS = {
    Webhook.Platform.WECOM: ("qyapi.weixin.qq.com", "/cgi-bin/webhook/send"),
    Webhook.Platform.DINGTALK: ("oapi.dingtalk.com", "/robot/send"),
}


def recipients(*, users: Iterable[User] | None = None, units: Iterable[Unit] | None = None) -> list[User]:
    """The users named and every active reporter of the units named, each once. One query."""
    user_ids = {user.pk for user in users or ()}
    unit_ids = {unit.pk for unit in units or ()}
    if not user_ids and not unit_ids:
        return []
    query = Q(pk__in=user_ids) | Q(unit_id__in=unit_ids, role="reporter")
    return list(get_user_model().objects.filter(query, is_active=True).select_related("unit").order_by("pk"))


def notify(
    *,
    users: Iterable[User] | None = None,
    units: Iterable[Unit] | None = None,
    kind: str,
    text: str,
    link: str = "",
    email: bool = True,
) -> list[Notification]:
    """Write a notification for each user and each active reporter of each unit (once per person), and after
    the surrounding transaction commits, send the emails (`email`) and the group robots' message. Call it
    inside the transaction of the action it reports: if that rolls back, nobody is told. Three queries."""
    people = recipients(users=users, units=units)
    rows = Notification.objects.bulk_create(
        [Notification(recipient=user, kind=kind, text=text[:500], link=link) for user in people]
    )
    ids = [row.pk for row in rows]
    if email and ids:
        transaction.on_commit(lambda: _dispatch("send_email", ids))
    if Webhook.objects.filter(enabled=True).exclude(url="").exists():
        transaction.on_commit(lambda: _dispatch("send_webhooks", f"【{_label(kind)}】{text}"))
    return rows


def _label(kind: str) -> str:
    return Notification.Kind(kind).label


def _dispatch(task: str, argument) -> None:
    from notifications import tasks

    try:
        getattr(tasks, task).apply_async(args=[argument], ignore_result=True)
    except Exception:  # a broker down, or an eager run failing, must never reach the person who acted
        logger.warning("通知任务 %s 未能派发或执行失败", task, exc_info=True)


def emails_send(notification_ids: list[int]) -> int:
    """Email each notification to its recipient (the user's address, else a reporter's unit's address);
    people without either are skipped. Returns how many emails went out; failures are logged."""
    site = getattr(settings, "IPCITY_SITE_URL", "").rstrip("/")
    sent = 0
    for row in Notification.objects.filter(pk__in=notification_ids).select_related("recipient__unit"):
        user = row.recipient
        address = user.email or (user.unit.email if user.unit else "")
        if not address:
            continue
        body = f"{user.get_full_name() or user.username}：\n\n{row.text}\n"
        if row.link:
            body += f"\n查看：{site}{row.link}\n"
        body += "\n知识产权工作领导小组办公室 · 内部工作平台（本邮件由系统发送）\n"
        message = EmailMessage(
            subject=f"【{row.get_kind_display()}】知识产权强市建设工作平台",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
        )
        try:
            message.send()
        except Exception:
            logger.warning("通知邮件未能发送：%s → %s", row.pk, address, exc_info=True)
            continue
        sent += 1
    return sent


def webhook_payload(text: str) -> bytes:
    """The text message both robots document: {"msgtype": "text", "text": {"content": …}}."""
    return json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode("utf-8")


def webhooks_send(text: str) -> int:
    """Post `text` to every enabled group robot with a short timeout. A robot that fails is logged and the
    others are still tried. Returns how many accepted it."""
    accepted = 0
    for hook in Webhook.objects.filter(enabled=True).exclude(url=""):
        if webhook_problem(hook.platform, hook.url):
            logger.warning("群机器人地址无效，未发送：%s", hook)
            continue
        request = urllib.request.Request(  # noqa: S310 -- the URL is https on the platform's own host
            hook.url, data=webhook_payload(text), headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310  # nosec B310
                answer = json.loads(response.read(64 * 1024) or b"{}")
        except Exception:
            logger.warning("群机器人消息未能发送：%s", hook, exc_info=True)
            continue
        if answer.get("errcode", 0) != 0:
            logger.warning("群机器人拒绝了消息：%s：%s", hook, answer.get("errmsg", ""))
            continue
        accepted += 1
    return accepted


def webhook_problem(platform: str, url: str) -> str | None:
    """Why a URL cannot be this platform's robot (Chinese), or None. Only https to the documented host and
    path is accepted."""
    host, path = WEBHOOK_ENDPOINTS[platform]
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or parts.hostname != host
        or parts.port not in (None, 443)
        or parts.path != path
    ):
        label = Webhook.Platform(platform).label
        return f"{label}的地址应为 https://{host}{path}?…（从群机器人设置中复制）。"
    return None


def webhook_save(*, platform: str, url: str, enabled: bool, by: User, reason: str) -> Webhook:
    """Set a platform's robot (the office only), audited with the reason. An enabled robot needs a valid URL;
    a disabled one may keep or clear it. ValidationError in Chinese otherwise."""
    ensure_reviewer(by)
    reason = reason_required(reason, "修改原因")
    url = (url or "").strip()
    if url and (problem := webhook_problem(platform, url)):
        raise ValidationError({"url": [problem]})
    if enabled and not url:
        raise ValidationError({"url": ["启用群机器人须填写Webhook地址。"]})
    with transaction.atomic():
        hook = Webhook.objects.select_for_update().filter(platform=platform).first() or Webhook(
            platform=platform
        )
        hook.url, hook.enabled = url, enabled
        stamp(hook, by, f"群机器人设置：{reason}")
        hook.save()
    return hook


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notifications read (only those `ids` when given). Someone else's are never
    touched. Returns how many changed."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())
