"""A real Celery worker, in its own process, on the real Redis and PostgreSQL: an approval goes through the
broker and the worker writes the progress rows; with the broker unreachable the approval still succeeds and
the queued key is rolled up once Redis answers again. Skipped when Redis does not answer, unless
REQUIRE_SERVICES=1."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
from decimal import Decimal as D

import pytest
import redis
from django.conf import settings
from django.db import connection

from indicators import tasks
from indicators.models import Progress, RollupPending
from indicators.services import review_approve
from ipcity.celery import app
from tests import factories

pytestmark = pytest.mark.services
UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_url():
    url = settings.TEST_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.exceptions.ConnectionError:
        if settings.REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but Redis does not answer at {url}")
        pytest.skip(f"Redis does not answer at {url}")
    if connection.vendor != "postgresql":
        pytest.skip("a worker in another process needs a database it can share: PostgreSQL")
    return url


def _broker(url: str) -> None:
    """Point this process's Celery app at a broker (tests otherwise run tasks eagerly in-process)."""
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    app._pool = None  # connections and producers are pooled per broker: forget the previous broker's
    app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_url):
    _broker(redis_url)
    yield _broker
    _broker("memory://")
    app.conf.update(result_backend="cache+memory://", task_always_eager=True)
    redis.Redis.from_url(redis_url).flushdb()


@pytest.fixture
def worker(redis_url, transactional_db, tmp_path):
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ipcity.settings.local",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
    }
    log = (tmp_path / "worker.log").open("w")  # a file, not a pipe: a full pipe would stall the worker
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ipcity",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log = tmp_path / "worker.log"
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def _sent(plans):
    zhenjiang = plans["zhenjiang-edz-2024-2026"]
    return factories.SubmissionFactory(
        indicator=zhenjiang.indicators.get(code="new-trademarks"),
        unit=factories.UnitFactory(region=zhenjiang.region),
        period=factories.PeriodFactory(year=2024, quarter=4),
        value=D(160),
        state="submitted",
        submitted_at=datetime.datetime(2025, 1, 5, 9, tzinfo=datetime.UTC),
    )


def _rolled_up(submission, worker, seconds: float = 60) -> Progress:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = Progress.objects.filter(indicator=submission.indicator, year=2024, quarter=4).first()
        if row is not None:
            return row
        if worker.poll() is not None:
            pytest.fail(f"the worker exited:\n{worker.log.read_text()}")
        time.sleep(0.2)
    pytest.fail(f"no progress row after {seconds} s; worker output:\n{worker.log.read_text()}")


def test_a_real_worker_rolls_up_an_approval(plans, broker, worker):
    submission = _sent(plans)
    review_approve(row=submission, by=factories.UserFactory(role="reviewer"))
    row = _rolled_up(submission, worker)
    # 160 new trademarks in 2024 against ≥150.
    assert (row.actual, row.status) == (D(160), "achieved")
    assert not RollupPending.objects.exists()


def test_an_unreachable_broker_loses_nothing(plans, broker, worker, redis_url):
    submission = _sent(plans)
    broker(UNREACHABLE)
    started = time.monotonic()
    row = review_approve(row=submission, by=factories.UserFactory(role="reviewer"))
    assert row.state == "approved"
    assert time.monotonic() - started < 10  # a few quick tries, then the approval goes on
    assert RollupPending.objects.count() == 1
    assert not Progress.objects.filter(indicator=submission.indicator).exists()

    broker(redis_url)  # Redis is back: beat's next drain (sent here by hand) reaches the worker
    tasks.rollup_pending_task.delay()
    assert _rolled_up(submission, worker).actual == D(160)
    assert not RollupPending.objects.exists()
