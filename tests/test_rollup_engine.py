"""The roll-up as a whole: idempotent, all-or-nothing, a fixed number of queries whatever the data,
incremental runs that touch only their keys, a run log, and the per-unit timeliness record."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devdata.demo import demo_load
from indicators.models import Assignment, RollupPending
from indicators.rollup_queue import rollup_schedule
from plans.models import Region
from progress import judged_sql
from progress import rollup as progress_rollup
from progress.models import Progress, RollupRun, Timeliness
from progress.rollup import rollup_full, rollup_keys, rollup_pending
from reporting.models import Period, Submission
from tests import factories

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def snapshot(model=Progress):
    """Every row's figures, without the row id and the time it was computed."""
    skip = {"id", "computed_at"}
    fields = [field.attname for field in model._meta.concrete_fields if field.attname not in skip]
    return sorted(model.objects.values_list(*fields))


@pytest.fixture
def demo(plans):
    demo_load()


def test_it_writes_identical_rows_when_run_twice(demo):
    first = rollup_full()
    progress, timeliness = snapshot(), snapshot(Timeliness)
    second = rollup_full()
    assert (snapshot(), snapshot(Timeliness)) == (progress, timeliness)
    # Quanzhou: 10 indicators × 3 regions × 12 quarters; Zhenjiang: 23 × 1 × 12.
    assert first.rows == second.rows == Progress.objects.count() == 360 + 276


def test_a_run_killed_midway_leaves_the_previous_rows_and_a_rerun_repairs_it(demo, monkeypatch):
    rollup_full()
    before = snapshot()
    changed = Submission.objects.filter(state="approved", indicator__measure="flow").first()
    Submission.objects.filter(pk=changed.pk).update(value=changed.value + 7)

    def killed(*args, **kwargs):
        raise RuntimeError("killed after the progress rows were written")

    monkeypatch.setattr(progress_rollup, "_timeliness", killed)
    with pytest.raises(RuntimeError):
        rollup_full()
    run = RollupRun.objects.order_by("-pk").first()
    assert run.error.startswith("RuntimeError: killed") and run.finished_at is not None
    assert snapshot() == before  # nothing of the killed run is left

    monkeypatch.undo()
    rollup_full()
    repaired = snapshot()
    assert repaired != before
    rollup_full()
    assert snapshot() == repaired
    key = Progress.objects.get(
        indicator=changed.indicator,
        region=changed.indicator.plan.region,
        year=changed.period.year,
        quarter=changed.period.quarter,
    )
    assert key.actual is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite judges and upserts in Python")
def test_a_plan_without_progress_rows_is_inserted_as_the_upsert_would_write_it(demo, quanzhou, monkeypatch):
    """A full run where the plan has no progress rows writes them with a plain INSERT (nothing to compare
    or conflict with); the rows are those the comparing upsert writes, so the next run changes none."""
    modes = []
    chosen = progress_rollup._write
    monkeypatch.setattr(progress_rollup, "_write", lambda *args: modes.append(chosen(*args)) or modes[-1])
    rollup_full()
    inserted = snapshot()
    stamps = set(Progress.objects.values_list("computed_at", flat=True))
    rollup_full()
    assert snapshot() == inserted
    assert set(Progress.objects.values_list("computed_at", flat=True)) == stamps  # nothing rewritten
    assert modes == [judged_sql.Write.NEW] * 2 + [judged_sql.Write.CHANGED] * 2  # two plans, twice

    # One plan's rows removed, the other's kept: that plan is inserted again, the same rows.
    Progress.objects.filter(plan=quanzhou).delete()
    modes.clear()
    rollup_full(plan=quanzhou)
    assert modes == [judged_sql.Write.NEW]
    assert snapshot() == inserted

    # The comparing upsert into the emptied table writes exactly the same rows.
    Progress.objects.all().delete()
    monkeypatch.setattr(progress_rollup, "_write", lambda *args: judged_sql.Write.CHANGED)
    rollup_full()
    assert snapshot() == inserted


def test_a_first_run_killed_midway_leaves_no_rows_and_a_rerun_inserts_them_all(demo, monkeypatch):
    rollup_full()
    expected = snapshot()
    Progress.objects.all().delete()

    def killed(*args, **kwargs):
        raise RuntimeError("killed after the progress rows were inserted")

    monkeypatch.setattr(progress_rollup, "_timeliness", killed)
    with pytest.raises(RuntimeError):
        rollup_full()
    assert not Progress.objects.exists()  # the inserted rows went with the killed run's transaction
    monkeypatch.undo()
    rollup_full()
    assert snapshot() == expected


def _sized(quarters: int) -> factories.PlanFactory:
    """A city with two counties, every measure kind, ten units in each region reporting every indicator in the
    first `quarters` quarters of 2024–2026: the submissions grow with `quarters`, the rows written do not."""
    city = factories.RegionFactory(code=f"city-{quarters}")
    counties = [
        factories.RegionFactory(code=f"county-{quarters}-{n}", parent=city, level="county") for n in (1, 2)
    ]
    plan = factories.PlanFactory(region=city)
    for region in (city, *counties):
        for year in (2024, 2025, 2026):
            factories.PopulationFactory(region=region, year=year, value=D(100))
    indicators = [
        factories.IndicatorFactory(plan=plan, measure=measure)
        for measure in ("stock", "flow", "cumulative", "ratio", "per_capita", "milestone")
    ]
    for indicator in indicators:
        factories.TargetFactory(indicator=indicator, year=2026, min=D(1000))
    periods = [
        factories.PeriodFactory(year=year, quarter=q) for year in (2024, 2025, 2026) for q in (1, 2, 3, 4)
    ]
    rows = []
    for region in (city, *counties):
        for unit in [factories.UnitFactory(region=region) for _ in range(10)]:
            Assignment.objects.bulk_create(Assignment(indicator=each, unit=unit) for each in indicators)
            for indicator in indicators:
                for n, period in enumerate(periods[:quarters], start=1):
                    figure = {"value": D(n)}
                    if indicator.measure == "ratio":
                        figure = {"numerator": D(n), "denominator": D(n + 1)}
                    elif indicator.measure == "milestone":
                        figure = {"done": n > 6}
                    rows.append(
                        Submission(
                            indicator=indicator, unit=unit, period=period, state="approved",
                            submitted_at=datetime.datetime(2024, 1, 1, tzinfo=SHANGHAI), **figure,
                        )
                    )  # fmt: skip
    Submission.objects.bulk_create(rows)
    return plan


def _queries_of_a_full_rollup(plan) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        run = rollup_full(plan=plan)
    return len(queries.captured_queries), run.rows


# One run: its log row, the lock (in a savepoint), the queued keys, indicators with targets and baselines,
# on PostgreSQL the depth of the plan's regions (the statement sums the regions' figures by its levels),
# the progress statement (gathered, judged and upserted at once on PostgreSQL), removing rows that no longer
# belong, periods, what units owe, what they sent, the timeliness upsert (after its planner setting on
# PostgreSQL) and cleanup, closing the log.
# SQLite reads the gathered figures, judges them in Python and upserts in batches of at most 999 parameters:
# 5 more statements for the 216 progress rows here (with their coverage columns), 3 more for the 360
# timeliness rows.
FULL_ROLLUP_QUERIES = {"postgresql": 16, "sqlite": 18}


def test_the_query_count_of_a_full_roll_up_does_not_grow_with_submissions(db, django_assert_max_num_queries):
    pinned = FULL_ROLLUP_QUERIES[connection.vendor]
    small, large = _sized(quarters=1), _sized(quarters=12)
    assert Submission.objects.filter(indicator__plan=small).count() == 30 * 6
    assert Submission.objects.filter(indicator__plan=large).count() == 30 * 6 * 12
    with django_assert_max_num_queries(pinned):
        small_queries, small_rows = _queries_of_a_full_rollup(small)
    with django_assert_max_num_queries(pinned):
        large_queries, large_rows = _queries_of_a_full_rollup(large)
    assert (large_queries, large_rows) == (small_queries, small_rows)
    assert large_queries == pinned
    assert large_rows == 6 * 3 * 12
    assert Timeliness.objects.filter(plan=large, period__year=2024).count() == 30 * 4


def test_an_incremental_run_writes_only_its_indicator_from_its_year(demo):
    rollup_full()
    before = {row.pk: row.computed_at for row in Progress.objects.all()}
    trademarks = Region.objects.get(code="quanzhou").plans.get().indicators.get(code="trademarks")
    run = rollup_keys(keys=[(trademarks.pk, 2025)])
    assert run.kind == "incremental" and run.scope == {"keys": [[trademarks.pk, 2025]]}
    # 3 regions × 2025 and 2026 × 4 quarters.
    assert run.rows == 24
    touched = {row.pk for row in Progress.objects.all() if row.computed_at != before[row.pk]}
    assert touched == set(
        Progress.objects.filter(indicator=trademarks, year__gte=2025).values_list("pk", flat=True)
    )


def test_an_incremental_run_of_a_source_recomputes_the_indicators_computed_from_it(zhenjiang):
    actions = zhenjiang.indicators.get(code="enforcement-actions")
    unit = factories.UnitFactory(region=zhenjiang.region)
    factories.ApprovedSubmissionFactory(
        indicator=actions, unit=unit, period__year=2024, period__quarter=1, value=D(2)
    )
    run = rollup_keys(keys=[(actions.pk, 2024)])
    assert run.rows == 2 * 12
    total = Progress.objects.get(indicator__code="enforcement-actions-total", year=2024, quarter=4)
    assert total.actual == D(2)
    # A key naming the computed indicator stands for its source: both are recomputed.
    assert rollup_keys(keys=[(total.indicator_id, 2026)]).rows == 2 * 4


def test_pending_keys_are_drained_exactly_once(zhenjiang):
    actions = zhenjiang.indicators.get(code="enforcement-actions")
    RollupPending.objects.create(indicator=actions, year=2025)
    RollupPending.objects.create(indicator=actions, year=2024)
    run = rollup_pending()
    assert run.scope == {"keys": [[actions.pk, 2024], [actions.pk, 2025]]} and run.rows == 2 * 12
    assert not RollupPending.objects.exists()
    assert rollup_pending() is None  # nothing queued: no run, no log row
    assert RollupRun.objects.count() == 1


def test_a_full_run_drains_the_plan_s_keys_and_removes_rows_that_no_longer_belong(zhenjiang, quanzhou):
    RollupPending.objects.create(indicator=zhenjiang.indicators.first(), year=2024)
    RollupPending.objects.create(indicator=quanzhou.indicators.first(), year=2024)
    stray = factories.RegionFactory(code="stray")
    rollup_full(plan=zhenjiang)
    Progress.objects.filter(plan=zhenjiang).update(region=stray)
    rollup_full(plan=zhenjiang)
    assert not Progress.objects.filter(region=stray).exists()
    assert list(RollupPending.objects.values_list("indicator__plan", flat=True)) == [quanzhou.pk]


def test_the_run_log_says_what_ran(zhenjiang):
    run = rollup_full(plan=zhenjiang)
    assert (run.kind, run.plan, run.error) == ("full", zhenjiang, "")
    assert run.scope == {"plans": ["zhenjiang-edz-2024-2026"]}
    assert run.started_at <= run.finished_at and run.rows == 23 * 12


# --- timeliness ------------------------------------------------------------------------------------------


@pytest.fixture
def owing(db):
    """A unit owing 2024 Q1 three items: two reported indicators and one task (a computed indicator it is
    assigned to and a unit group named on the task owe nothing)."""
    plan = factories.PlanFactory(region=factories.RegionFactory())
    unit = factories.UnitFactory(region=plan.region)
    first, second = (factories.IndicatorFactory(plan=plan, measure="flow") for _ in range(2))
    view = factories.IndicatorFactory(plan=plan, measure="cumulative", computed_from=first)
    for indicator in (first, second, view):
        factories.AssignmentFactory(indicator=indicator, unit=unit)
    task = factories.TaskFactory(section=factories.SectionFactory(plan=plan))
    factories.TaskUnitFactory(task=task, unit=unit)
    group = factories.UnitFactory(region=plan.region, kind="group")
    factories.TaskUnitFactory(task=task, unit=group, position=1)
    period = factories.PeriodFactory(year=2024, quarter=1)  # due 2024-04-10
    return {"plan": plan, "unit": unit, "indicators": (first, second), "task": task, "period": period}


def _send(owing, *states, late=False):
    sent = datetime.datetime(2024, 4, 12 if late else 8, 9, tzinfo=SHANGHAI)
    for indicator, state in zip(owing["indicators"], states, strict=False):
        factories.SubmissionFactory(
            indicator=indicator, unit=owing["unit"], period=owing["period"], state=state,
            submitted_at=None if state == "draft" else sent, is_late=late,
        )  # fmt: skip
    if len(states) > 2:
        factories.TaskReportFactory(
            task=owing["task"], unit=owing["unit"], period=owing["period"], state=states[2],
            submitted_at=None if states[2] == "draft" else sent, is_late=late,
        )  # fmt: skip


def _timeliness(owing, today) -> Timeliness:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(progress_rollup.timezone, "now", lambda: today)
        rollup_full(plan=owing["plan"])
    return Timeliness.objects.get(plan=owing["plan"], period=owing["period"])


BEFORE_DUE = datetime.datetime(2024, 4, 5, 12, tzinfo=SHANGHAI)
AFTER_DUE = datetime.datetime(2024, 4, 20, 12, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("states", "late", "today", "status", "counts"),
    [
        ((), False, BEFORE_DUE, "not_due", (0, 0, 0, 0, 0)),
        (("submitted", "draft"), False, BEFORE_DUE, "not_due", (1, 1, 0, 0, 0)),
        (("submitted", "draft"), False, AFTER_DUE, "missing", (1, 1, 0, 0, 0)),
        (("approved", "submitted", "submitted"), False, AFTER_DUE, "on_time", (3, 3, 0, 0, 1)),
        (("approved", "submitted", "approved"), True, AFTER_DUE, "late", (3, 0, 3, 0, 2)),
        (("returned", "approved", "approved"), False, AFTER_DUE, "returned", (3, 3, 0, 1, 2)),
    ],
)
def test_it_records_each_unit_s_reporting(owing, states, late, today, status, counts):
    _send(owing, *states, late=late)
    row = _timeliness(owing, today)
    assert row.unit == owing["unit"] and row.expected == 3
    assert (row.submitted, row.on_time, row.late, row.returned, row.approved) == counts
    assert row.status == status
    # Only the unit that reports has a row; groups never report.
    assert Timeliness.objects.filter(plan=owing["plan"]).count() == 1


def test_a_quarter_not_yet_open_has_no_timeliness_row(owing):
    factories.PeriodFactory(year=2024, quarter=2)
    _timeliness(owing, BEFORE_DUE)  # 2024-04-05: Q2 opened on 04-01
    assert Timeliness.objects.filter(period__quarter=2).count() == 1
    Timeliness.objects.all().delete()
    _timeliness(owing, datetime.datetime(2024, 3, 20, tzinfo=SHANGHAI))
    assert list(Timeliness.objects.values_list("period__quarter", flat=True)) == [1]
    assert Period.objects.count() == 2


def test_an_incremental_run_tallies_the_timeliness_of_every_year_its_keys_name(db):
    """Two changes of one indicator, in 2024 and 2025 (and one from before the plan): the progress is
    recomputed from 2024 on, and the timeliness of 2024 and of 2025 is tallied again."""
    plan = factories.PlanFactory(region=factories.RegionFactory())
    unit = factories.UnitFactory(region=plan.region)
    stock = factories.IndicatorFactory(plan=plan, measure="stock")
    factories.AssignmentFactory(indicator=stock, unit=unit)
    figures = [
        factories.ApprovedSubmissionFactory(indicator=stock, unit=unit, period__year=year, period__quarter=1)
        for year in (2023, 2024, 2025)
    ]
    rollup_full(plan=plan)
    reporting = Timeliness.objects.filter(plan=plan)  # quarters 2024 Q1 and 2025 Q1 exist (and 2023 Q1)
    assert set(reporting.values_list("period__year", "approved")) == {(2024, 1), (2025, 1)}
    Submission.objects.filter(pk__in=[each.pk for each in figures]).update(state="submitted")
    for each in figures:
        rollup_schedule(indicator_id=stock.pk, year=each.period.year, unit_id=unit.pk)
    run = rollup_pending()
    assert run.rows == 12  # one region, 2024 Q1 to 2026 Q4
    assert set(reporting.values_list("period__year", "approved")) == {(2024, 0), (2025, 0)}


def test_a_key_naming_a_unit_tallies_that_unit_s_timeliness_only(owing):
    other = factories.UnitFactory(region=owing["plan"].region)
    factories.AssignmentFactory(indicator=owing["indicators"][0], unit=other)
    rollup_full(plan=owing["plan"])
    before = dict(Timeliness.objects.filter(plan=owing["plan"]).values_list("unit_id", "computed_at"))
    _send(owing, "approved")
    rollup_schedule(indicator_id=owing["indicators"][0].pk, year=2024, unit_id=owing["unit"].pk)
    rollup_pending()
    after = dict(Timeliness.objects.filter(plan=owing["plan"]).values_list("unit_id", "computed_at"))
    assert after[other.pk] == before[other.pk] and after[owing["unit"].pk] != before[owing["unit"].pk]
    assert Timeliness.objects.get(plan=owing["plan"], unit=owing["unit"]).approved == 1
