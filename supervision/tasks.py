from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="supervision.send_reminders")
def send_reminders() -> int:
    """Daily (beat): remind lead units of 督办事项 coming due or overdue. Idempotent within a day."""
    from supervision.services import items_remind

    return items_remind(today=timezone.localdate())
