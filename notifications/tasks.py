"""Celery tasks of the notifications: they take ids or text and call one service; both log and swallow
failures, so a retry never sends a message twice because of an exception half-way."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="notifications.send_email")
def send_email(notification_ids: list[int]) -> int:
    from notifications.services import emails_send

    return emails_send(notification_ids)


@shared_task(name="notifications.send_webhooks", soft_time_limit=30, time_limit=40)
def send_webhooks(text: str) -> int:
    from notifications.services import webhooks_send

    return webhooks_send(text)
