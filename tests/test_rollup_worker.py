"""A real Celery worker, in its own process, on the real Redis and PostgreSQL: an approval goes through the
broker and the worker writes the progress rows; with the broker unreachable the approval still succeeds and
the queued key is rolled up once Redis answers again. Skipped when Redis does not answer, unless
REQUIRE_SERVICES=1."""

from __future__ import annotations

import datetime
import itertools
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal as D

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from indicators.models import RollupPending
from ipcity.celery import app
from progress.models import Progress, RollupRun
from progress.rollup import rollup_full, rollup_pending
from progress.tasks import rollup_full_task, rollup_pending_task
from reporting.services.review import review_approve
from tests import factories
from tests.broker import back_to_eager, point_celery_at
from tests.broker import hung_redis as hung_broker

# One Redis database (TEST_REDIS_URL), flushed by each test and read by its Celery worker: these tests must
# take turns, so they stay in this one module (`make test` hands each module to one pytest-xdist process).
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


@pytest.fixture
def broker(redis_url):
    point_celery_at(redis_url)
    yield point_celery_at
    back_to_eager()
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
    rollup_pending_task.delay()
    assert _rolled_up(submission, worker).actual == D(160)
    assert not RollupPending.objects.exists()


# Drills: a hung broker, a worker killed mid roll-up ---------------------------------------------------------


@pytest.fixture
def hung_redis():
    with hung_broker() as url:
        yield url


def test_a_hung_broker_holds_an_approval_for_seconds_and_loses_nothing(
    plans, broker, hung_redis, django_capture_on_commit_callbacks
):
    submission = _sent(plans)
    broker(hung_redis)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):  # the task is sent after the approval commits
        row = review_approve(row=submission, by=factories.UserFactory(role="reviewer"))
    # Bounded read timeouts and a few retries: ~4 s measured; without them 80 s (result subscription retries).
    assert time.monotonic() - started < 8
    assert row.state == "approved" and RollupPending.objects.count() == 1

    broker("memory://")
    app.conf.update(task_always_eager=True)
    rollup_pending()  # the next drain (beat's, every five minutes) rolls the queued key up
    assert Progress.objects.get(indicator=submission.indicator, year=2024, quarter=4).actual == D(160)
    assert not RollupPending.objects.exists()


def _progress() -> dict[tuple, tuple]:
    """Every progress row's figures, keyed by what it is about (the time it was computed left out)."""
    fields = [
        field.attname for field in Progress._meta.concrete_fields if field.name not in ("id", "computed_at")
    ]
    return {
        (row["indicator_id"], row["region_id"], row["year"], row["quarter"]): tuple(
            row[name] for name in fields
        )
        for row in Progress.objects.values(*fields)
    }


def _approved_figures(plans, reviewer) -> None:
    """A few approved figures in both plans, so the roll-up has something to add up everywhere."""
    quanzhou, zhenjiang = plans["quanzhou-2024-2026"], plans["zhenjiang-edz-2024-2026"]
    for plan, codes in (
        (quanzhou, ["trademarks", "geographical-indications"]),
        (zhenjiang, ["new-trademarks"]),
    ):
        unit = factories.UnitFactory(region=plan.region)
        for quarter, code in itertools.product((1, 2, 3, 4), codes):
            factories.SubmissionFactory(
                indicator=plan.indicators.get(code=code), unit=unit,
                period=factories.PeriodFactory(year=2024, quarter=quarter), value=D(40 * quarter),
                state="approved", submitted_at=datetime.datetime(2025, 1, 5, tzinfo=datetime.UTC),
                reviewed_by=reviewer,
            )  # fmt: skip


def test_a_worker_killed_mid_rollup_leaves_the_previous_rows_and_a_rerun_gives_identical_ones(
    plans, broker, worker
):
    _approved_figures(plans, factories.UserFactory(role="reviewer"))
    rollup_full()
    reference = _progress()
    assert len(reference) > 100 and any(values[1] is not None for values in reference.values())
    # The rows as an earlier run left them (stale), and one of them held by another transaction, so the
    # worker's run is caught part-way, inside its transaction, when it is killed. The held row is one the run
    # must rewrite: a full run leaves rows whose figures have not changed alone.
    rewritten = Progress.objects.exclude(actual=None).order_by("-id").values_list("id", flat=True).first()
    Progress.objects.update(actual=None, completion=None, status="no_data")
    stale = _progress()
    runs = RollupRun.objects.count()
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], password=db["PASSWORD"]
    ) as blocker:
        held_plan = blocker.execute(
            "SELECT plan_id FROM indicators_progress WHERE id = %s FOR UPDATE", [rewritten]
        ).fetchone()[0]
        rollup_full_task.delay()
        deadline = time.monotonic() + 60
        while not _waiting_on_a_lock():
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker never reached the held row:\n{worker.log.read_text()}")
            time.sleep(0.2)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        blocker.rollback()  # the killed worker's statement may go on now: its transaction can never commit
    deadline = time.monotonic() + 30
    while _sessions("true") and time.monotonic() < deadline:  # the killed worker's session ends
        time.sleep(0.2)

    # Nothing half-written: each plan is as before or wholly recomputed (plans are written one transaction
    # each); the plan whose row was held, where the worker died, is as before.
    after = _progress()
    for plan in plans.values():
        mine = {key for key, values in reference.items() if values[0] == plan.pk}
        assert {key: after[key] for key in mine} in (
            {k: stale[k] for k in mine},
            {k: reference[k] for k in mine},
        )
    assert {key: after[key] for key in after if after[key][0] == held_plan} == {
        key: stale[key] for key in stale if stale[key][0] == held_plan
    }
    dead = RollupRun.objects.order_by("-started_at")[: RollupRun.objects.count() - runs]
    assert [(run.kind, run.finished_at) for run in dead] == [("full", None)]  # the log shows the dead run

    rollup_full()  # the re-run (nightly beat, or `manage.py rollup`)
    assert _progress() == reference


def _sessions(condition: str) -> int:
    """Other sessions on the test database matching a pg_stat_activity condition."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "  # noqa: S608
            f"AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND {condition}"
        )
        return cursor.fetchone()[0]


def _waiting_on_a_lock() -> bool:
    return _sessions("wait_event_type = 'Lock'") > 0
