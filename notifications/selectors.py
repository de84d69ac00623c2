"""Reading a person's notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Notification, Webhook

PAGE = 50


def unread_count(user) -> int:
    """One query (the bell)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_of(user) -> QuerySet[Notification]:
    """The user's own notifications, unread first, newest first. Nobody reads another's."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def webhooks() -> list[Webhook]:
    """One row per platform, the stored one or an unsaved blank (off)."""
    stored = {hook.platform: hook for hook in Webhook.objects.all()}
    return [stored.get(value) or Webhook(platform=value) for value, _ in Webhook.Platform.choices]
