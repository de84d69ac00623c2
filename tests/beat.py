"""What Celery beat sends over a stretch of time, worked out by Celery's own schedules from the schedule beat
reads (CELERY_BEAT_SCHEDULE): for tests of what runs when, rather than of how the schedule is written."""

from __future__ import annotations

import copy
import datetime
from zoneinfo import ZoneInfo

from celery.schedules import BaseSchedule, maybe_schedule

from ipcity.celery import app

SHANGHAI = ZoneInfo("Asia/Shanghai")


def beat_sends(start: datetime.datetime, hours: int = 24) -> dict[str, list[datetime.datetime]]:
    """Task name → the minutes of (start, start + hours] at which beat sends it, in Shanghai time."""
    return {
        entry["task"]: _due(copy.copy(maybe_schedule(entry["schedule"], app=app)), start, hours)
        for entry in app.conf.beat_schedule.values()
    }


def _due(schedule: BaseSchedule, start: datetime.datetime, hours: int) -> list[datetime.datetime]:
    clock = [start.astimezone(SHANGHAI)]
    schedule.nowfun = lambda: clock[0]
    last, due = clock[0], []
    for _ in range(hours * 60):
        clock[0] += datetime.timedelta(minutes=1)
        if schedule.is_due(last).is_due:
            due.append(last := clock[0])
    return due
