"""The roll-up's queue: which (indicator, year[, unit]) keys changed since the roll-up last ran.

It lives at the catalogue's level because both the catalogue (a target, a baseline, a population figure) and
reporting (an approval, a reopening) change what the roll-up must recompute, and both sit below `progress/`
on the apps' ladder. The task that drains the queue is sent by its registered name, so nothing here imports
`progress/`; with no broker (the embedded default) the task runs eagerly, as any other task does."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from celery import current_app
from django.db import transaction

from indicators.models import RollupPending

logger = logging.getLogger(__name__)

DRAIN_TASK = "progress.rollup_pending"
ONE_TRY = {"max_retries": 0}
CATCH_UP = "汇总服务暂时无法连接，审核结果已保存；进度看板数据将稍后自动更新（服务恢复后每5分钟补算一次）。"


@dataclass
class RollupBatch:
    """The keys one transaction queued, sent as one message after it commits. `sent` is None until then (and
    when nothing was queued), True once the broker took the message, False when it could not: the keys then
    wait in the database for beat's next drain, and the page that approved says dashboards catch up later."""

    keys: int = 0
    sent: bool | None = None

    def dispatch(self) -> None:
        self.sent = _dispatch()


_open = threading.local()


@contextmanager
def rollup_batch() -> Iterator[RollupBatch]:
    """Collect every `rollup_schedule` inside the block into one send after the transaction commits: a bulk
    approval of N items costs one broker round trip, not N (a hung broker would hold it N times). Nested
    blocks join the outermost one. Use it inside the transaction whose commit should send."""
    outer = getattr(_open, "batch", None)
    if outer is not None:
        yield outer
        return
    batch = _open.batch = RollupBatch()
    try:
        yield batch
    finally:
        _open.batch = None
    if batch.keys:
        transaction.on_commit(batch.dispatch)


def rollup_schedule(*, indicator_id: int, year: int, unit_id: int | None = None) -> None:
    """Queue an incremental roll-up of the figures of `indicator_id` in `year` (and what follows from them),
    and of `unit_id`'s timeliness that year (every unit's when no unit is named).

    Call it inside the transaction that approves, reopens or changes an approved submission. The key is
    stored in that transaction, so it exists exactly when the change does; the Celery task is sent only after
    commit, once per `rollup_batch`. If sending fails (broker down) the failure is logged, never raised: the
    key stays queued and the next successful incremental run (beat sends one every few minutes) or the nightly
    full run picks it up.
    """
    rollup_schedule_all([(indicator_id, year, unit_id)])


def rollup_schedule_all(keys: list[tuple[int, int, int | None]]) -> None:
    """`rollup_schedule` for several (indicator_id, year, unit_id) keys at once: one INSERT, one send."""
    if not keys:
        return
    RollupPending.objects.bulk_create(
        [
            RollupPending(indicator_id=indicator_id, year=year, unit_id=unit_id)
            for indicator_id, year, unit_id in keys
        ]
    )
    batch = getattr(_open, "batch", None)
    if batch is None:
        transaction.on_commit(_dispatch)
    else:
        batch.keys += len(keys)


def _dispatch() -> bool:
    try:
        # `tasks[...]` (not send_task) so that an eager configuration runs the task in-process. Nobody waits
        # for the drain's result: not subscribing to it spares a hung result store's timeouts and retries. One
        # try, no retries: a broker that cannot take it now costs one socket timeout; beat drains later.
        current_app.tasks[DRAIN_TASK].apply_async(ignore_result=True, retry_policy=ONE_TRY)
    except Exception:  # the broker, or an eager run, failing must never reach the user who approved
        logger.warning("汇总任务未能派发或执行失败；待汇总记录已保留，将由下次汇总处理。", exc_info=True)
        return False
    return True
