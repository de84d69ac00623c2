"""Celery tasks of the indicators app: the roll-up and the reminders. They take plain arguments, never rows,
and call one function that does the work; roll-up runs are idempotent upserts, so a retry changes nothing."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="reporting.send_reminders")
def send_reminders() -> int:
    """Daily (beat): email the units that still owe items for an open period. Idempotent within a day."""
    from reporting.reminders import reminders_send

    return reminders_send(today=timezone.localdate())
