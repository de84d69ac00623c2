"""An approval in the web process sends the roll-up by its registered name: the task must be known there, not
only in a worker (Celery discovers task modules lazily)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PROBE = """
import django
django.setup()
from celery import current_app
from indicators.rollup_queue import DRAIN_TASK
print(DRAIN_TASK in current_app.tasks)
"""


def test_a_fresh_process_knows_the_task_an_approval_sends():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ipcity.settings.test"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE], cwd=Path(settings.BASE_DIR), env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
