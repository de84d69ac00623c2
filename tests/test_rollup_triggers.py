"""What sets the roll-up off: approving, reopening (through the reporting services), the queued keys and their
task, the broker being down, the nightly beat entry, `manage.py rollup`, and the run log in the admin."""

from __future__ import annotations

import datetime
import itertools
import logging
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerDown

from indicators.models import RollupPending
from indicators.rollup_queue import rollup_schedule
from ipcity.celery import app
from progress import tasks as progress_tasks
from progress.models import Progress, RollupRun
from progress.rollup import rollup_full
from progress.tasks import rollup_full_task, rollup_pending_task
from reporting.services.review import review_approve, review_reopen
from tests import factories
from tests.beat import SHANGHAI, beat_sends


@pytest.fixture
def trademarks(zhenjiang):
    return zhenjiang.indicators.get(code="new-trademarks")


@pytest.fixture
def sent(trademarks, zhenjiang):
    """A figure a unit sent for 2025 Q1, waiting for the office: 210 new trademarks since 2024, ahead of the
    pace from 2024's 150 to 2025's 350 (200 at Q1)."""
    return factories.SubmissionFactory(
        indicator=trademarks,
        unit=factories.UnitFactory(region=zhenjiang.region),
        period=factories.PeriodFactory(year=2025, quarter=1),
        value=D(210),
        state="submitted",
        submitted_at=datetime.datetime(2025, 4, 3, 9, tzinfo=datetime.UTC),
    )


def actual(indicator, year=2025, quarter=1):
    row = Progress.objects.filter(
        indicator=indicator, region=indicator.plan.region, year=year, quarter=quarter
    ).first()
    return row and (row.actual, row.status)


def test_approving_rolls_the_figure_up_once_the_approval_commits(
    sent, trademarks, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        review_approve(row=sent, by=reviewer)
        assert RollupPending.objects.count() == 1  # stored with the approval, before any task runs
        assert actual(trademarks) is None
    assert len(callbacks) == 1
    assert actual(trademarks) == (D(210), "on_track")
    assert not RollupPending.objects.exists()
    run = RollupRun.objects.get()
    assert (run.kind, run.scope) == ("incremental", {"keys": [[trademarks.pk, 2025]]})


def test_reopening_takes_the_figure_back_out(sent, trademarks, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        approved = review_approve(row=sent, by=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        review_reopen(row=approved, by=reviewer, reason="统计口径有误")
    assert actual(trademarks) == (None, "no_data")


def test_an_approval_rolled_back_queues_nothing(sent, reviewer, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        review_approve(row=sent, by=reviewer)
        raise RuntimeError("the request failed after approving")
    assert callbacks == [] and not RollupPending.objects.exists()


def test_with_the_broker_down_approving_still_works_and_nothing_is_lost(
    sent, trademarks, reviewer, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(rollup_pending_task, "apply_async", down)
    with (
        caplog.at_level(logging.WARNING, "indicators.rollup"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        row = review_approve(row=sent, by=reviewer)
    assert row.state == "approved"
    assert "汇总任务未能派发" in caplog.text
    assert list(RollupPending.objects.values_list("indicator", "year")) == [(trademarks.pk, 2025)]
    assert actual(trademarks) is None

    # The broker is back: the next task (beat sends one every few minutes) drains the key.
    monkeypatch.undo()
    assert rollup_pending_task.delay().get() == 2 * 4  # 2025 and 2026, four quarters each
    assert actual(trademarks) == (D(210), "on_track")
    assert not RollupPending.objects.exists()


def test_the_nightly_run_also_drains_what_the_broker_missed(sent, trademarks, reviewer, monkeypatch):
    down = BrokerDown("down")
    monkeypatch.setattr(rollup_pending_task, "apply_async", lambda **_: (_ for _ in ()).throw(down))
    review_approve(row=sent, by=reviewer)
    assert RollupPending.objects.count() == 1
    rollup_full_task.delay("zhenjiang-edz-2024-2026")
    assert actual(trademarks) == (D(210), "on_track") and not RollupPending.objects.exists()


def test_a_failing_roll_up_never_reaches_the_person_approving(
    sent, reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    def broken():
        raise ZeroDivisionError("a bug in the engine")

    monkeypatch.setattr(progress_tasks, "rollup_pending", broken)
    with django_capture_on_commit_callbacks(execute=True):
        assert review_approve(row=sent, by=reviewer).state == "approved"
    assert RollupPending.objects.count() == 1


def test_the_tasks_retry_transient_database_errors_with_backoff(monkeypatch, db):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(progress_tasks, "rollup_pending", flaky)
    result = rollup_pending_task.apply(throw=False)
    assert result.successful() and len(calls) == 2
    for task in (rollup_pending_task, rollup_full_task):
        assert OperationalError in task.autoretry_for and task.retry_backoff and task.retry_jitter


def test_rollup_schedule_is_what_the_reporting_services_call(
    trademarks, zhenjiang, django_capture_on_commit_callbacks
):
    factories.ApprovedSubmissionFactory(
        indicator=trademarks,
        unit=factories.UnitFactory(region=zhenjiang.region),
        period__year=2024,
        period__quarter=4,
        value=D(150),
    )
    with django_capture_on_commit_callbacks(execute=True):
        rollup_schedule(indicator_id=trademarks.pk, year=2024)
    assert actual(trademarks, 2024, 4) == (D(150), "achieved")


def test_beat_runs_a_full_roll_up_every_night_and_drains_the_queue_every_few_minutes():
    sent = beat_sends(datetime.datetime(2026, 3, 2, tzinfo=SHANGHAI))
    nightly = sent["progress.rollup_full"]
    assert len(nightly) == 1 and nightly[0].hour < 6  # after midnight, before anyone is at work
    pending = [datetime.datetime(2026, 3, 2, tzinfo=SHANGHAI), *sent["progress.rollup_pending"]]
    assert max(later - earlier for earlier, later in itertools.pairwise(pending)) <= datetime.timedelta(
        minutes=10
    )
    app.loader.import_default_modules()
    assert set(sent) <= set(app.tasks)  # beat sends only tasks a worker knows


def test_the_command_rolls_up_every_plan_or_one(plans):
    out = StringIO()
    call_command("rollup", stdout=out)
    assert "计算 636 行进度" in out.getvalue()
    call_command("rollup", "--plan", "zhenjiang-edz-2024-2026", stdout=out)
    assert RollupRun.objects.filter(plan__slug="zhenjiang-edz-2024-2026", rows=23 * 12).exists()
    call_command("rollup", "--pending", stdout=out)
    assert "没有待汇总的指标" in out.getvalue()


def test_the_command_says_what_went_wrong(plans, monkeypatch):
    with pytest.raises(CommandError, match="未找到方案“nowhere”。现有方案：quanzhou-2024-2026、"):
        call_command("rollup", "--plan", "nowhere")
    monkeypatch.setattr("progress.rollup._timeliness", lambda *a, **k: 1 / 0)
    with pytest.raises(CommandError, match="汇总失败"):
        call_command("rollup", "--plan", "quanzhou-2024-2026")
    assert "ZeroDivisionError" in RollupRun.objects.get(plan__slug="quanzhou-2024-2026").error


def test_the_admin_shows_each_run_with_its_times_rows_and_error(admin_client_, zhenjiang, monkeypatch):
    rollup_full(plan=zhenjiang)
    monkeypatch.setattr("progress.rollup._timeliness", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        rollup_full(plan=zhenjiang)
    page = admin_client_.get("/admin/progress/rolluprun/").content.decode()
    for heading in ("开始时间", "结束时间", "用时（秒）", "写入行数", "错误", "ZeroDivisionError"):
        assert heading in page
    assert "276" in page
    assert admin_client_.get("/admin/indicators/rolluppending/").status_code == 200
    assert admin_client_.get("/admin/progress/timeliness/").status_code == 200


def test_a_units_submit_and_return_refresh_its_timeliness_at_once(plans, django_capture_on_commit_callbacks):
    """The heatmap reads Timeliness: a submit or a return must show there without waiting for the night."""
    from plans.models import Unit
    from progress.models import Timeliness
    from reporting.services.entry import ProgressInput, task_reports_save
    from reporting.services.review import review_return, unit_period_submit

    customs = Unit.objects.get(name="泉州海关")  # named on one Quanzhou task, reports no indicator
    reporter = factories.UserFactory(role="reporter", unit=customs, username="customs")
    office = factories.UserFactory(role="reviewer", username="office-t")
    period = factories.PeriodFactory(year=2025, quarter=3)
    task = customs.tasks.get()
    day = datetime.date(2025, 8, 1)
    progress = ProgressInput(task_id=task.pk, status="in_progress", progress="开展龙腾行动")
    task_reports_save(unit=customs, period=period, inputs=[progress], by=reporter, today=day)
    with django_capture_on_commit_callbacks(execute=True):
        unit_period_submit(unit=customs, period=period, by=reporter, today=day)
    row = Timeliness.objects.get(unit=customs, period=period)
    assert (row.submitted, row.returned) == (1, 0)

    with django_capture_on_commit_callbacks(execute=True):
        review_return(row=task.reports.get(), by=office, reason="请补充查获数据")
    row.refresh_from_db()
    assert (row.returned, row.status) == (1, "returned")
