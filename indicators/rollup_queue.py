"""The roll-up's queue: which (indicator, year[, unit]) keys changed since the roll-up last ran.

It lives at the catalogue's level because both the catalogue (a target, a baseline, a population figure) and
reporting (an approval, a reopening) change what the roll-up must recompute, and both sit below `progress/`
on the apps' ladder. The task that drains the queue is sent by its registered name, so nothing here imports
`progress/`; with no broker (the embedded default) the task runs eagerly, as any other task does."""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

from indicators.models import RollupPending

logger = logging.getLogger(__name__)

DRAIN_TASK = "progress.rollup_pending"


def rollup_schedule(*, indicator_id: int, year: int, unit_id: int | None = None) -> None:
    """Queue an incremental roll-up of the figures of `indicator_id` in `year` (and what follows from them),
    and of `unit_id`'s timeliness that year (every unit's when no unit is named).

    Call it inside the transaction that approves, reopens or changes an approved submission. The key is
    stored in that transaction, so it exists exactly when the change does; the Celery task is sent only after
    commit. If sending fails (broker down) the failure is logged, never raised: the key stays queued and the
    next successful incremental run (beat sends one every few minutes) or the nightly full run picks it up.
    """
    RollupPending.objects.create(indicator_id=indicator_id, year=year, unit_id=unit_id)
    transaction.on_commit(_dispatch)


def _dispatch() -> None:
    try:
        # `tasks[...]` (not send_task) so that an eager configuration runs the task in-process.
        current_app.tasks[DRAIN_TASK].delay()
    except Exception:  # the broker, or an eager run, failing must never reach the user who approved
        logger.warning("汇总任务未能派发或执行失败；待汇总记录已保留，将由下次汇总处理。", exc_info=True)
