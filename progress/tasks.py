"""Celery tasks of the indicators app: the roll-up and the reminders. They take plain arguments, never rows,
and call one function that does the work; roll-up runs are idempotent upserts, so a retry changes nothing."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from plans.models import Plan
from progress.rollup import rollup_full, rollup_pending

# A database that restarts or drops a connection is worth another try; anything else is a bug to look at.
TRANSIENT = (OperationalError, InterfaceError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,  # 5 s, 10 s, 20 s … with jitter
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
}


# A roll-up recomputes its rows from the figures in one transaction, so running it twice is harmless: its
# message is acknowledged after the run (acks_late) and handed back to the queue when the worker process dies
# mid-run (reject_on_worker_lost), so a killed worker's roll-up is redone as soon as a worker takes it. Tasks
# that send mail or write files are not given this: a second run would do it twice.
IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(
    name="progress.rollup_pending", soft_time_limit=10 * 60, time_limit=12 * 60, **RETRY, **IDEMPOTENT
)
def rollup_pending_task() -> int:
    """Recompute the keys approvals queued (sent after each approval commits, and every few minutes by beat
    so that keys queued while the broker was down are not left waiting for the night)."""
    run = rollup_pending()
    return run.rows if run else 0


@shared_task(name="progress.rollup_full", **RETRY, **IDEMPOTENT)
def rollup_full_task(plan_slug: str | None = None) -> int:
    """The nightly full roll-up of one plan or all of them (time limits: the CELERY_TASK_* defaults)."""
    plan = Plan.objects.get(slug=plan_slug) if plan_slug else None
    return rollup_full(plan=plan).rows
