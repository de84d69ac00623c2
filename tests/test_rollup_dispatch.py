"""An approval in the web process sends the roll-up by its registered name: the task must be known there, not
only in a worker (Celery discovers task modules lazily)."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from celery import current_app
from django.conf import settings

from indicators import rollup_queue
from indicators.models import Indicator, RollupPending
from progress.tasks import rollup_full_task, rollup_pending_task
from reporting.models import Submission, TaskReport
from reporting.tasks import send_reminders
from tests.broker import back_to_eager, hung_redis, point_celery_at
from tests.quarter import full_quarter, quarter_post

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


# A hung broker (accepts, never answers) during bulk approvals -----------------------------------------------


@pytest.fixture
def sent(desk, reporter_a_client):
    """Unit A submitted all of 2026 Q4 (4 figures, 17 task reports) while the broker was still fine."""
    data = quarter_post(desk.unit_a, desk.period, desk.today, figures=full_quarter(desk), fill_tasks=True)
    assert reporter_a_client.post("/report/?period=2026-4", {**data, "action": "submit"}).status_code == 302
    return Submission.objects.filter(unit=desk.unit_a, period=desk.period)


@pytest.fixture
def hung_broker(monkeypatch):
    """Celery pointed at a hung Redis; yields the list of roll-up sends, one entry per send."""
    sends = []
    dispatch = rollup_queue._dispatch
    monkeypatch.setattr(rollup_queue, "_dispatch", lambda: sends.append(1) or dispatch())
    with hung_redis() as url:
        point_celery_at(url)
        try:
            yield sends
        finally:
            back_to_eager()


@pytest.mark.django_db(transaction=True)  # the send runs when the approval commits, before the page answers
def test_approve_all_on_a_hung_broker_sends_once_applies_all_and_tells_the_office(
    sent, reviewer_client, desk, hung_broker
):
    items = sent.count() + TaskReport.objects.filter(unit=desk.unit_a, state="submitted").count()
    started = time.monotonic()
    response = reviewer_client.post(f"/review/2026-4/{desk.unit_a.pk}/approve-all/", follow=True)
    elapsed = time.monotonic() - started
    assert hung_broker == [1]  # one send for the whole approval, not one per item
    # One broker timeout (3 s) and the page's own work; a send per item would take 3 s each. Generous for a
    # loaded CI machine: the count of sends above is the exact check.
    assert elapsed < 8, f"approve-all of {items} items took {elapsed:.1f} s on a hung broker"
    html = response.content.decode()
    assert f"全部{items}项已报送内容" in html and "看板数据将稍后自动更新" in html
    assert not Submission.objects.filter(unit=desk.unit_a, state="submitted").exists()
    assert not TaskReport.objects.filter(unit=desk.unit_a, state="submitted").exists()
    assert RollupPending.objects.exists()  # the keys wait in the database for beat's next drain


@pytest.mark.django_db(transaction=True)
def test_the_admins_bulk_approval_on_a_hung_broker_is_one_transaction_that_says_what_it_applied(
    sent, admin_client_, desk, hung_broker
):
    rows = list(TaskReport.objects.filter(unit=desk.unit_a).values_list("pk", flat=True))
    started = time.monotonic()
    response = admin_client_.post(
        "/admin/reporting/taskreport/",
        {"action": "approve_selected", "_selected_action": rows},
        follow=True,
    )
    assert hung_broker == [1] and time.monotonic() - started < 8  # one broker timeout (3 s), not one per row
    html = response.content.decode()
    assert f"已审核通过{len(rows)}项" in html and "看板数据将稍后自动更新" in html
    assert TaskReport.objects.filter(pk__in=rows, state="approved").count() == len(rows)


# A killed worker's roll-up ----------------------------------------------------------------------------------


def test_a_killed_workers_roll_up_is_handed_back_and_the_broker_redelivers_within_the_time_limit():
    for task in (rollup_pending_task, rollup_full_task):
        assert task.acks_late and task.reject_on_worker_lost, task.name  # idempotent: redone, never lost
    assert not send_reminders.reject_on_worker_lost  # mail must not go out twice
    visibility = current_app.conf.broker_transport_options["visibility_timeout"]
    longest = max(current_app.conf.task_time_limit, rollup_pending_task.time_limit)
    assert longest < visibility < 3600  # no running task handed out twice; less than kombu's hour


@pytest.mark.django_db
def test_the_run_page_shows_each_queued_key_and_how_long_it_has_waited(admin_client_, plans):
    indicator = Indicator.objects.order_by("pk").first()
    with time_machine.travel(datetime.datetime(2026, 11, 21, 8, tzinfo=datetime.UTC), tick=False):
        RollupPending.objects.create(indicator=indicator, year=2026)
    with time_machine.travel(datetime.datetime(2026, 11, 21, 10, 5, tzinfo=datetime.UTC), tick=False):
        html = admin_client_.get("/admin/progress/rolluprun/").content.decode()
    assert "待汇总（共1项）" in html and indicator.name in html
    assert "2\xa0小时" in html and "全部单位" in html
