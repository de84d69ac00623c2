"""Celery tasks of the indicators app. Each loads what it needs and calls one function that does the work."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="indicators.send_reminders")
def send_reminders() -> int:
    """Daily (beat): email the units that still owe items for an open period. Idempotent within a day."""
    from indicators.reminders import reminders_send

    return reminders_send(today=timezone.localdate())
