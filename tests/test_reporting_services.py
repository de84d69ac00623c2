"""The reporting services: calendar and lock, figures and task progress, submit, review, audit, conflicts."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from audit.services import Conflict
from indicators.measures import Figure
from indicators.models import Indicator
from reporting.models import PeriodException, Submission, TaskReport
from reporting.services import review as review_services
from reporting.services.calendar import exception_grant, period_accepts, period_defaults
from reporting.services.entry import FigureInput, ProgressInput, figures_save, task_reports_save
from reporting.services.quarter import quarter_save
from reporting.services.review import review_approve, review_reopen, review_return, unit_period_submit
from tests import factories

D = Decimal
Q3_2025_OPEN = datetime.date(2025, 8, 1)  # inside 2025 Q3
Q3_2025_LATE = datetime.date(2025, 10, 20)  # after its due date (10-10), before its lock (10-30)
Q3_2025_LOCKED = datetime.date(2025, 11, 5)


@pytest.fixture
def period(db):
    return factories.PeriodFactory(year=2025, quarter=3)


@pytest.fixture
def unit(db):
    return factories.UnitFactory(name="测试填报单位")


@pytest.fixture
def stock(unit):
    indicator = factories.IndicatorFactory(measure="stock", decimals=0, name="有效专利拥有量")
    factories.AssignmentFactory(indicator=indicator, unit=unit)
    return indicator


@pytest.fixture
def ratio(unit, stock):
    indicator = factories.IndicatorFactory(
        plan=stock.plan, measure="ratio", unit="%", decimals=1, name="结案率"
    )
    factories.AssignmentFactory(indicator=indicator, unit=unit)
    return indicator


@pytest.fixture
def reporter(unit):
    return factories.UserFactory(role="reporter", unit=unit, username="tester")


def fig(indicator, version=None, **values) -> FigureInput:
    return FigureInput(indicator_id=indicator.pk, figure=Figure(**values), version=version)


def test_it_gives_quarters_the_default_calendar():
    assert period_defaults(2024, 1) == {
        "opens_on": datetime.date(2024, 1, 1),
        "due_on": datetime.date(2024, 4, 10),
        "locks_on": datetime.date(2024, 4, 30),
    }
    assert period_defaults(2025, 4)["due_on"] == datetime.date(2026, 1, 10)


def test_a_period_accepts_figures_from_its_first_day_until_it_locks(period, unit):
    assert not period_accepts(period, unit, datetime.date(2025, 6, 30))
    assert period_accepts(period, unit, datetime.date(2025, 7, 1))
    assert period_accepts(period, unit, Q3_2025_LATE)
    assert not period_accepts(period, unit, Q3_2025_LOCKED)


def test_the_office_grants_a_unit_an_exception_to_a_locked_period(period, unit, reviewer, reporter):
    with pytest.raises(PermissionDenied):
        exception_grant(
            period=period, unit=unit, until=datetime.date(2025, 11, 30), reason="补报", by=reporter
        )
    with pytest.raises(ValidationError, match="理由"):
        exception_grant(period=period, unit=unit, until=datetime.date(2025, 11, 30), reason=" ", by=reviewer)
    exception_grant(
        period=period, unit=unit, until=datetime.date(2025, 11, 30), reason="系统故障补报", by=reviewer
    )
    assert period_accepts(period, unit, Q3_2025_LOCKED)
    assert not period_accepts(period, factories.UnitFactory(), Q3_2025_LOCKED)
    assert not period_accepts(period, unit, datetime.date(2025, 12, 1))
    assert PeriodException.history.get().history_user == reviewer


def test_a_reporter_writes_only_its_own_unit(period, stock, unit):
    outsider = factories.ReporterFactory()
    with pytest.raises(PermissionDenied):
        figures_save(
            unit=unit, period=period, inputs=[fig(stock, value=D(5))], by=outsider, today=Q3_2025_OPEN
        )
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"value": D(-1)}, "不能为负数"),
        ({"value": D("1.5")}, "应为整数"),
        ({"value": D("1" + "0" * 17)}, "数值过大"),
    ],
)
def test_it_refuses_bad_figures_and_writes_nothing(period, stock, reporter, unit, values, message):
    with pytest.raises(ValidationError, match=message):
        figures_save(unit=unit, period=period, inputs=[fig(stock, **values)], by=reporter, today=Q3_2025_OPEN)
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("numerator", "denominator", "message"),
    [(D(9), D(8), "不能大于"), (D(5), None, "请同时填写"), (D("1.5"), D(2), "应为整数")],
)
def test_a_ratio_needs_both_parts_and_a_numerator_within_its_denominator(
    period, ratio, reporter, unit, numerator, denominator, message
):
    with pytest.raises(ValidationError, match=message):
        figures_save(
            unit=unit,
            period=period,
            inputs=[fig(ratio, numerator=numerator, denominator=denominator)],
            by=reporter,
            today=Q3_2025_OPEN,
        )


def test_it_refuses_an_indicator_the_unit_is_not_assigned(period, reporter, unit, stock):
    other = factories.IndicatorFactory(plan=stock.plan)
    with pytest.raises(ValidationError) as error:
        figures_save(
            unit=unit,
            period=period,
            inputs=[fig(stock, value=D(1)), fig(other, value=D(1))],
            by=reporter,
            today=Q3_2025_OPEN,
        )
    assert error.value.message_dict == {f"indicator-{other.pk}": ["该指标：本单位未被分配填报该指标。"]}
    assert not Submission.objects.exists()  # the good figure was not written either


def test_it_saves_drafts_and_does_not_rewrite_unchanged_ones(period, stock, reporter, unit):
    [row] = figures_save(
        unit=unit, period=period, inputs=[fig(stock, value=D(5))], by=reporter, today=Q3_2025_OPEN
    )
    assert (row.state, row.value, row.version) == ("draft", D(5), 1)
    figures_save(
        unit=unit, period=period, inputs=[fig(stock, value=D(5), version=1)], by=reporter, today=Q3_2025_OPEN
    )
    assert row.history.count() == 1
    figures_save(
        unit=unit, period=period, inputs=[fig(stock, value=D(6), version=1)], by=reporter, today=Q3_2025_OPEN
    )
    row.refresh_from_db()
    assert (row.value, row.version) == (D(6), 2)
    newest, oldest = row.history.all()[:2]
    assert newest.history_user == reporter and newest.history_change_reason == "修改草稿"
    assert [
        (c.field, c.old, c.new) for c in newest.diff_against(oldest, included_fields=["value"]).changes
    ] == [("value", D(5), D(6))]


def test_the_second_of_two_saves_from_the_same_version_gets_a_conflict(period, stock, reporter, unit):
    figures_save(unit=unit, period=period, inputs=[fig(stock, value=D(5))], by=reporter, today=Q3_2025_OPEN)
    figures_save(
        unit=unit, period=period, inputs=[fig(stock, value=D(6), version=1)], by=reporter, today=Q3_2025_OPEN
    )
    with pytest.raises(Conflict, match="已被他人"):
        figures_save(
            unit=unit,
            period=period,
            inputs=[fig(stock, value=D(7), version=1)],
            by=reporter,
            today=Q3_2025_OPEN,
        )
    assert Submission.objects.get().value == D(6)


def test_it_refuses_new_figures_before_the_period_opens_and_after_it_locks(period, stock, reporter, unit):
    for day, message in ((datetime.date(2025, 6, 1), "尚未开始"), (Q3_2025_LOCKED, "已于2025年10月30日锁定")):
        with pytest.raises(ValidationError, match=message):
            figures_save(unit=unit, period=period, inputs=[fig(stock, value=D(5))], by=reporter, today=day)
    assert not Submission.objects.exists()


def _submit_figures(period, reporter, unit, today, *inputs):
    figures_save(unit=unit, period=period, inputs=list(inputs), by=reporter, today=today)
    return unit_period_submit(unit=unit, period=period, by=reporter, today=today)


def test_it_submits_the_whole_quarter_at_once(period, stock, ratio, reporter, unit):
    with pytest.raises(ValidationError) as error:
        _submit_figures(period, reporter, unit, Q3_2025_OPEN, fig(stock, value=D(5)))
    assert error.value.message_dict == {f"indicator-{ratio.pk}": ["结案率：尚未填写。"]}
    assert set(Submission.objects.values_list("state", flat=True)) == {"draft"}

    result = _submit_figures(
        period, reporter, unit, Q3_2025_OPEN, fig(ratio, numerator=D(9), denominator=D(10))
    )
    assert (result.figures, result.tasks, result.late) == (2, 0, False)
    assert set(Submission.objects.values_list("state", flat=True)) == {"submitted"}
    assert all(row.submitted_by == reporter for row in Submission.objects.all())


def test_a_submission_after_the_due_date_is_marked_late(period, stock, reporter, unit):
    result = _submit_figures(period, reporter, unit, Q3_2025_LATE, fig(stock, value=D(5)))
    assert result.late
    row = Submission.objects.get()
    assert row.is_late and row.history.first().history_change_reason == "逾期报送"


def test_a_locked_period_takes_figures_again_once_the_office_grants_an_exception(
    period, stock, reporter, unit, reviewer
):
    with pytest.raises(ValidationError, match="锁定"):
        _submit_figures(period, reporter, unit, Q3_2025_LOCKED, fig(stock, value=D(5)))
    exception_grant(period=period, unit=unit, until=datetime.date(2025, 11, 10), reason="补报", by=reviewer)
    assert _submit_figures(period, reporter, unit, Q3_2025_LOCKED, fig(stock, value=D(5))).late


def _approved(indicator, unit, year, quarter, **values):
    return factories.SubmissionFactory(
        indicator=indicator,
        unit=unit,
        period=factories.PeriodFactory(year=year, quarter=quarter),
        state="approved",
        submitted_at=datetime.datetime(year, 3 * quarter, 1, tzinfo=datetime.UTC),
        **values,
    )


def test_a_stock_that_falls_needs_a_note_before_it_can_be_submitted(period, stock, reporter, unit):
    _approved(stock, unit, 2025, 2, value=D(100))
    with pytest.raises(ValidationError, match="较上期（100件）下降"):
        _submit_figures(period, reporter, unit, Q3_2025_OPEN, fig(stock, value=D(90)))
    assert Submission.objects.get(period=period).state == "draft"  # the draft is kept, the submit refused
    result = _submit_figures(
        period, reporter, unit, Q3_2025_OPEN, fig(stock, value=D(90), note="年费未缴失效")
    )
    assert result.figures == 1


def test_a_value_far_outside_the_units_history_needs_a_note(period, reporter, unit):
    flow = factories.IndicatorFactory(measure="flow", name="质押融资金额")
    factories.AssignmentFactory(indicator=flow, unit=unit)
    _approved(flow, unit, 2025, 1, value=D(10))
    _approved(flow, unit, 2025, 2, value=D(12))
    with pytest.raises(ValidationError, match="差异较大"):
        _submit_figures(period, reporter, unit, Q3_2025_OPEN, fig(flow, value=D(40)))
    _submit_figures(period, reporter, unit, Q3_2025_OPEN, fig(flow, value=D(36)))  # 3× the largest is fine


@pytest.fixture
def submitted(period, stock, reporter, unit):
    _submit_figures(period, reporter, unit, Q3_2025_OPEN, fig(stock, value=D(5)))
    return Submission.objects.get()


def test_only_the_office_reviews(submitted, reporter, leader):
    for user in (reporter, leader):
        with pytest.raises(PermissionDenied):
            review_approve(row=submitted, by=user)


def _key(key: tuple[int, int, int | None]) -> dict:
    return dict(zip(("indicator_id", "year", "unit_id"), key, strict=True))


def test_approval_locks_and_schedules_a_roll_up(
    submitted, reviewer, reporter, unit, period, stock, monkeypatch
):
    scheduled = []
    monkeypatch.setattr(
        review_services, "rollup_schedule_all", lambda keys: scheduled.extend(map(_key, keys))
    )
    row = review_approve(row=submitted, by=reviewer)
    assert (row.state, row.reviewed_by) == ("approved", reviewer)
    # The key names the unit too: the roll-up then tallies only that unit's timeliness.
    assert scheduled == [{"indicator_id": stock.pk, "year": 2025, "unit_id": unit.pk}]
    with pytest.raises(ValidationError, match="已审核"):
        figures_save(
            unit=unit, period=period, inputs=[fig(stock, value=D(6))], by=reporter, today=Q3_2025_OPEN
        )
    with pytest.raises(ValidationError, match="不能审核通过"):
        review_approve(row=row, by=reviewer)


def test_a_returned_figure_carries_its_reason_and_can_be_resubmitted_even_after_the_lock(
    submitted, reviewer, reporter, unit, period, stock
):
    with pytest.raises(ValidationError, match="退回理由"):
        review_return(row=submitted, by=reviewer, reason="")
    row = review_return(row=submitted, by=reviewer, reason="与统计口径不符，请核实")
    assert (row.state, row.return_reason) == ("returned", "与统计口径不符，请核实")
    _submit_figures(period, reporter, unit, Q3_2025_LOCKED, fig(stock, value=D(4), version=row.version))
    row.refresh_from_db()
    assert (row.state, row.value, row.return_reason) == ("submitted", D(4), "")
    assert row.history.first().history_change_reason == "重新报送"


def test_reopening_needs_a_reason_and_takes_the_figure_out_of_the_roll_up(submitted, reviewer, monkeypatch):
    scheduled = []
    monkeypatch.setattr(
        review_services, "rollup_schedule_all", lambda keys: scheduled.extend(map(_key, keys))
    )
    with pytest.raises(ValidationError, match="不能重新打开"):
        review_reopen(row=submitted, by=reviewer, reason="更正")
    approved = review_approve(row=submitted, by=reviewer)
    with pytest.raises(ValidationError, match="重新打开的理由"):
        review_reopen(row=approved, by=reviewer, reason="")
    row = review_reopen(row=approved, by=reviewer, reason="统计局更正了数据")
    assert row.state == "returned" and len(scheduled) == 2
    reasons = list(row.history.values_list("history_change_reason", flat=True))
    assert reasons[:3] == ["重新打开：统计局更正了数据", "审核通过", "报送"]


def test_a_review_from_a_stale_page_gets_a_conflict(submitted, reviewer):
    with pytest.raises(Conflict):
        review_approve(row=submitted, by=reviewer, version=submitted.version - 1)
    assert Submission.objects.get().state == "submitted"


@pytest.fixture
def customs(plans):
    """泉州海关: a real Quanzhou unit named on one task, (三)1 强化行政保护."""
    from plans.models import Unit

    return Unit.objects.get(name="泉州海关")


def test_units_report_progress_on_every_task_they_are_named_on(customs, period):
    reporter = factories.UserFactory(role="reporter", unit=customs, username="customs")
    task = customs.tasks.get()
    with pytest.raises(ValidationError, match="尚未填写进展"):
        unit_period_submit(unit=customs, period=period, by=reporter, today=Q3_2025_OPEN)
    progress = ProgressInput(task_id=task.pk, status="lagging", progress="开展龙腾行动")
    task_reports_save(unit=customs, period=period, inputs=[progress], by=reporter, today=Q3_2025_OPEN)
    with pytest.raises(ValidationError, match="推进滞后，请填写存在问题"):
        unit_period_submit(unit=customs, period=period, by=reporter, today=Q3_2025_OPEN)
    fixed = ProgressInput(
        task_id=task.pk, status="lagging", progress="开展龙腾行动", problems="查验人手不足", version=1
    )
    task_reports_save(unit=customs, period=period, inputs=[fixed], by=reporter, today=Q3_2025_OPEN)
    assert unit_period_submit(unit=customs, period=period, by=reporter, today=Q3_2025_OPEN).tasks == 1
    with pytest.raises(ValidationError, match="不是该任务的责任单位"):
        other = factories.TaskFactory()
        task_reports_save(
            unit=customs, period=period, inputs=[ProgressInput(task_id=other.pk, status="done")], by=reporter
        )


def test_the_quarter_keeps_each_valid_item_and_submits_only_when_all_is_valid(customs, period):
    reporter = factories.UserFactory(role="reporter", unit=customs, username="customs")
    indicator = Indicator.objects.get(code="protection-centers")
    factories.AssignmentFactory(indicator=indicator, unit=customs)
    task = customs.tasks.get()
    progress = ProgressInput(task_id=task.pk, status="in_progress", progress="推进中")
    saved = quarter_save(
        unit=customs, period=period, figures=[fig(indicator, value=D("-2"))], tasks=[progress],
        by=reporter, submit=True, today=Q3_2025_OPEN,
    )  # fmt: skip
    assert set(saved.errors) == {f"indicator-{indicator.pk}"} and "不能为负数" in str(saved.errors)
    assert saved.saved == [f"task-{task.pk}"] and saved.submitted is None and not saved.complete
    assert not Submission.objects.exists()  # the bad figure: not written at all
    report = TaskReport.objects.get()  # the good task report: kept as a draft, audited as any save
    assert (report.state, report.progress, report.history.get().history_change_reason) == (
        "draft", "推进中", "新建草稿",
    )  # fmt: skip

    progress = ProgressInput(task_id=task.pk, status="in_progress", progress="推进中", version=report.version)
    saved = quarter_save(
        unit=customs, period=period, figures=[fig(indicator, value=D(2))], tasks=[progress],
        by=reporter, submit=True, today=Q3_2025_OPEN,
    )  # fmt: skip
    assert saved.complete and (saved.submitted.figures, saved.submitted.tasks) == (1, 1)


def test_a_conflict_on_one_item_leaves_the_others_saved(customs, period):
    reporter = factories.UserFactory(role="reporter", unit=customs, username="customs")
    indicator = Indicator.objects.get(code="protection-centers")
    factories.AssignmentFactory(indicator=indicator, unit=customs)
    task = customs.tasks.get()
    quarter_save(unit=customs, period=period, figures=[fig(indicator, value=D(1))], tasks=[], by=reporter,
                 today=Q3_2025_OPEN)  # fmt: skip
    stale = fig(indicator, value=D(3), version=0)
    progress = ProgressInput(task_id=task.pk, status="in_progress", progress="推进中")
    saved = quarter_save(
        unit=customs, period=period, figures=[stale], tasks=[progress], by=reporter, today=Q3_2025_OPEN
    )
    assert (
        list(saved.conflicts) == [f"indicator-{indicator.pk}"]
        and "已被他人" in saved.conflicts[f"indicator-{indicator.pk}"]
    )
    assert saved.saved == [f"task-{task.pk}"]
    assert Submission.objects.get().value == D(1) and TaskReport.objects.get().progress == "推进中"


@pytest.mark.django_db(transaction=True)
def test_two_people_saving_one_submission_at_once_one_wins_one_gets_a_conflict(on_postgres):
    if not on_postgres:
        pytest.skip("the race needs two real connections: PostgreSQL")
    period = factories.PeriodFactory(year=2025, quarter=3)
    unit = factories.UnitFactory()
    indicator = factories.IndicatorFactory()
    factories.AssignmentFactory(indicator=indicator, unit=unit)
    people = [factories.UserFactory(role="reporter", unit=unit, username=f"p{n}") for n in range(2)]
    figures_save(
        unit=unit, period=period, inputs=[fig(indicator, value=D(1))], by=people[0], today=Q3_2025_OPEN
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(person, value):
        try:
            barrier.wait()
            figures_save(
                unit=unit,
                period=period,
                inputs=[fig(indicator, value=D(value), version=1)],
                by=person,
                today=Q3_2025_OPEN,
            )
            outcomes.append("saved")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(person, 10 + n)) for n, person in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    row = Submission.objects.get()
    assert row.version == 2 and row.value in (D(10), D(11))
    assert row.history.count() == 2  # the draft and the one save that won


@time_machine.travel(datetime.datetime(2025, 8, 1, 9, tzinfo=datetime.UTC), tick=False)
def test_today_defaults_to_the_local_date(period, stock, reporter, unit):
    [row] = figures_save(unit=unit, period=period, inputs=[fig(stock, value=D(5))], by=reporter)
    assert row.state == "draft"
