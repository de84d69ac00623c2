"""What each rolled-up figure stands on: of the units owing it, how many are approved, awaiting review,
returned and missing past the due date (an exception the office granted excuses a unit until it ends); the
last quarter through which every owed figure is approved; and a forecast and a pace still needed that stand
on complete quarters only (PRODUCT.md, "Figures must say what they stand on")."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.db.models import F

from devdata.demo import MISSING_UNIT, demo_load
from ipcity.quarters import Quarter
from progress.models import Progress
from progress.rollup import rollup_full
from reporting.models import PeriodException
from reporting.services.calendar import exception_grant, period_update
from reporting.services.review import review_approve, review_reopen, review_return, submission_submit
from tests import factories

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
AFTER_Q3_DUE = datetime.datetime(2026, 11, 1, 10, tzinfo=SHANGHAI)  # 2026 Q3 was due on 10-10
BEFORE_Q3_DUE = datetime.datetime(2026, 10, 5, 10, tzinfo=SHANGHAI)


@pytest.fixture
def world(db):
    """A plan of 2026 for a city with one county; a flow aiming at 100 a year (and one computed from it),
    owed by five units: two in the county, two in the city and one outside the plan's regions (it reports
    for the plan). Every unit's 2026 Q1 and Q2 are approved, 10 each."""
    city = factories.RegionFactory(code="cov-city")
    county = factories.RegionFactory(code="cov-county", parent=city, level="county")
    plan = factories.PlanFactory(region=city, start_year=2026, end_year=2026)
    flow = factories.IndicatorFactory(plan=plan, measure="flow")
    running = factories.IndicatorFactory(plan=plan, measure="cumulative", computed_from=flow)
    factories.TargetFactory(indicator=flow, year=2026, min=D(100))
    units = {
        name: factories.UnitFactory(region=region, name=name)
        for name, region in (
            ("county-a", county),
            ("county-b", county),
            ("city-c", city),
            ("city-d", city),
            ("outside-e", factories.RegionFactory(code="cov-elsewhere")),
        )
    }
    for unit in units.values():
        factories.AssignmentFactory(indicator=flow, unit=unit)
        for quarter in (1, 2):
            factories.ApprovedSubmissionFactory(
                indicator=flow, unit=unit, period__year=2026, period__quarter=quarter, value=D(10)
            )
    return {"plan": plan, "city": city, "county": county, "flow": flow, "running": running, "units": units}


def send(world, name, state, *, quarter=3, value=D(10)):
    period = factories.PeriodFactory(year=2026, quarter=quarter)
    return factories.SubmissionFactory(
        indicator=world["flow"], unit=world["units"][name], period=period,
        state=state, value=value,
        submitted_at=None if state == "draft" else datetime.datetime(2026, 10, 8, tzinfo=SHANGHAI),
    )  # fmt: skip


def row(indicator, region, year=2026, quarter=3) -> Progress:
    return Progress.objects.get(indicator=indicator, region=region, year=year, quarter=quarter)


def rolled_up(world, now=AFTER_Q3_DUE):
    with time_machine.travel(now, tick=False):
        rollup_full(plan=world["plan"])


def test_it_counts_every_owing_unit_by_the_state_of_its_figure(world):
    send(world, "county-a", "approved")
    send(world, "county-b", "submitted")
    send(world, "city-c", "returned")
    send(world, "city-d", "draft")  # a draft is not sent: missing once the quarter is due
    rolled_up(world)  # outside-e sent nothing: missing
    city = row(world["flow"], world["city"])
    assert city.coverage == {"owed": 5, "approved": 1, "awaiting_review": 1, "returned": 1, "missing": 2}
    assert city.is_partial and city.complete_through == Quarter(2026, 2)
    county = row(world["flow"], world["county"])
    assert county.coverage == {"owed": 2, "approved": 1, "awaiting_review": 1, "returned": 0, "missing": 0}
    # A figure computed from another stands on its source's figures.
    assert row(world["running"], world["city"]).coverage == city.coverage


def test_before_the_due_date_nothing_is_missing_yet(world):
    send(world, "county-a", "approved")
    rolled_up(world, BEFORE_Q3_DUE)
    city = row(world["flow"], world["city"])
    assert city.coverage == {"owed": 5, "approved": 1, "awaiting_review": 0, "returned": 0, "missing": 0}
    assert city.is_partial


def test_an_exception_the_office_granted_excuses_a_unit_until_it_ends(world, reviewer):
    period = factories.PeriodFactory(year=2026, quarter=3)
    for name, until in (("county-a", datetime.date(2026, 11, 30)), ("county-b", datetime.date(2026, 10, 31))):
        PeriodException.objects.create(
            period=period, unit=world["units"][name], until=until, reason="系统故障", granted_by=reviewer
        )
    rolled_up(world)  # 11-01: county-a's exception still runs, county-b's has ended
    assert row(world["flow"], world["county"]).missing == 1
    assert row(world["flow"], world["city"]).missing == 4
    send(world, "county-a", "submitted")  # an excused unit that reports is awaiting review, not excused twice
    rolled_up(world)
    assert row(world["flow"], world["county"]).coverage["missing"] == 1
    assert row(world["flow"], world["county"]).awaiting_review == 1


def test_a_complete_quarter_stands_on_itself(world):
    for name in world["units"]:
        send(world, name, "approved")
    rolled_up(world)
    city = row(world["flow"], world["city"])
    assert city.coverage == {"owed": 5, "approved": 5, "awaiting_review": 0, "returned": 0, "missing": 0}
    assert not city.is_partial and city.complete_through == Quarter(2026, 3)
    # 150 by Q3 of a year aiming at 100: 200 a year; the target is reached, nothing still needed.
    assert (city.actual, city.forecast, city.forecast_basis) == (D(150), D(200), 3)
    assert city.needed_per_quarter == D(0)
    # The quarter after it is not due: partial, and it stands on the three complete ones.
    q4 = row(world["flow"], world["city"], quarter=4)
    assert q4.is_partial and q4.complete_through == Quarter(2026, 3) and q4.missing == 0


def test_a_partial_quarter_forecasts_from_the_complete_quarters_only(world):
    """The issue's bank: a quarter not reported by every unit is not annualised as if it were complete."""
    for name in ("county-a", "county-b", "city-c", "city-d"):
        send(world, name, "approved", value=D(2))
    rolled_up(world)  # outside-e never reports 2026 Q3
    city = row(world["flow"], world["city"])
    assert city.actual == D(108) and city.status == "achieved"  # the quarter's own figure, provisional
    assert city.is_partial and city.complete_through == Quarter(2026, 2)
    # Two complete quarters of 100 (10 from each of the five units, twice): 200 a year, not 108 × 4/3 = 144;
    # and what is still needed spreads over the two quarters after Q2, not over one.
    assert (city.forecast, city.forecast_basis) == (D(200), 2)
    q2 = row(world["flow"], world["city"], quarter=2)
    assert (q2.forecast, q2.forecast_basis, q2.complete_through) == (D(200), 2, Quarter(2026, 2))


def test_the_pace_still_needed_counts_the_quarters_after_the_complete_ones(db):
    city = factories.RegionFactory(code="need-city")
    plan = factories.PlanFactory(region=city, start_year=2026, end_year=2026)
    flow = factories.IndicatorFactory(plan=plan, measure="flow")
    factories.TargetFactory(indicator=flow, year=2026, min=D(100))
    done, late = (factories.UnitFactory(region=city) for _ in range(2))
    for unit in (done, late):
        factories.AssignmentFactory(indicator=flow, unit=unit)
    for quarter in (1, 2, 3):
        factories.ApprovedSubmissionFactory(
            indicator=flow, unit=done, period__year=2026, period__quarter=quarter, value=D(10)
        )
        if quarter < 3:
            factories.ApprovedSubmissionFactory(
                indicator=flow, unit=late, period__year=2026, period__quarter=quarter, value=D(5)
            )
    with time_machine.travel(AFTER_Q3_DUE, tick=False):
        rollup_full(plan=plan)
    q3 = Progress.objects.get(indicator=flow, region=city, year=2026, quarter=3)
    # Through Q2: 30 of 100; 70 still needed over Q3 and Q4 (35 each), not 60 over Q4 alone.
    assert (q3.needed_per_quarter, q3.forecast, q3.forecast_basis) == (D(35), D(60), 2)
    assert q3.coverage == {"owed": 2, "approved": 1, "awaiting_review": 0, "returned": 0, "missing": 1}


def test_a_plan_whose_first_quarter_is_incomplete_is_complete_through_nothing(world):
    world["plan"].start_year = 2025
    world["plan"].save()
    first = factories.ApprovedSubmissionFactory(
        indicator=world["flow"], unit=world["units"]["county-a"], period__year=2025, period__quarter=1
    )
    rolled_up(world)
    start = row(world["flow"], world["city"], year=2025, quarter=1)
    assert start.complete_through is None and start.is_partial and start.forecast_basis is None
    assert start.actual == first.value and start.forecast is None
    assert row(world["flow"], world["city"]).complete_through is None


def test_a_region_that_owes_nothing_is_never_partial(db, zhenjiang):
    """The loaded plans assign nobody: every figure is complete, and forecasts stand on every quarter."""
    trademarks = zhenjiang.indicators.get(code="new-trademarks")
    factories.ApprovedSubmissionFactory(
        indicator=trademarks, unit=factories.UnitFactory(region=zhenjiang.region), period__year=2024,
        period__quarter=1, value=D(30),
    )  # fmt: skip
    rollup_full(plan=zhenjiang)
    first = row(trademarks, zhenjiang.region, 2024, 1)
    assert first.coverage == {"owed": 0, "approved": 0, "awaiting_review": 0, "returned": 0, "missing": 0}
    assert not first.is_partial and first.complete_through == Quarter(2024, 1) and first.forecast_basis == 1


def test_submitting_returning_approving_and_reopening_refresh_the_coverage_at_once(
    world, reviewer, django_capture_on_commit_callbacks
):
    unit = world["units"]["county-a"]
    reporter = factories.UserFactory(role="reporter", unit=unit, username="cov-reporter")
    draft = send(world, "county-a", "draft")
    rolled_up(world)

    def county():
        return row(world["flow"], world["county"]).coverage

    assert county()["missing"] == 2  # county-b sends nothing throughout
    today = datetime.date(2026, 10, 9)
    steps = [
        (lambda: submission_submit(submission=draft, by=reporter, today=today), "awaiting_review"),
        (lambda: review_return(row=draft, by=reviewer, reason="请核实"), "returned"),
        (lambda: submission_submit(submission=draft, by=reporter, today=today), "awaiting_review"),
        (lambda: review_approve(row=draft, by=reviewer), "approved"),
        (lambda: review_reopen(row=draft, by=reviewer, reason="数据有误"), "returned"),
    ]
    for step, state in steps:
        with time_machine.travel(AFTER_Q3_DUE, tick=False), django_capture_on_commit_callbacks(execute=True):
            step()
        draft.refresh_from_db()
        assert county()[state] == 1, state
        assert county()["missing"] == 1


def test_an_exception_granted_or_a_due_date_moved_refreshes_the_coverage_at_once(
    world, reviewer, django_capture_on_commit_callbacks
):
    period = factories.PeriodFactory(year=2026, quarter=3)
    rolled_up(world)
    assert row(world["flow"], world["county"]).missing == 2
    until = datetime.date(2026, 11, 20)
    with time_machine.travel(AFTER_Q3_DUE, tick=False), django_capture_on_commit_callbacks(execute=True):
        exception_grant(
            period=period, unit=world["units"]["county-a"], until=until, reason="系统故障", by=reviewer
        )
    assert row(world["flow"], world["county"]).missing == 1
    with time_machine.travel(AFTER_Q3_DUE, tick=False), django_capture_on_commit_callbacks(execute=True):
        period_update(
            period=period,
            due_on=datetime.date(2026, 11, 5),
            locks_on=datetime.date(2026, 11, 25),
            by=reviewer,
            reason="延期报送",
        )
    assert row(world["flow"], world["city"]).missing == 0  # not due until 11-05 now


def test_the_demo_shows_the_bank_s_missing_quarter_and_the_queue_as_partial(plans):
    with time_machine.travel(AFTER_Q3_DUE, tick=False):
        demo_load()
        rollup_full()
    latest = Progress.objects.filter(year=2026, quarter=3)
    partial = [each for each in latest if each.is_partial]
    assert partial and {each.complete_through for each in partial} == {Quarter(2026, 2)}, [
        (each, each.coverage, each.complete_through)
        for each in partial
        if each.complete_through != Quarter(2026, 2)
    ][:5]
    bank = latest.filter(
        indicator__assignments__unit__name=MISSING_UNIT, region=plans["quanzhou-2024-2026"].region
    )
    assert bank and all(each.missing >= 1 and each.is_partial for each in bank)
    assert latest.filter(awaiting_review__gt=0).exists() and latest.filter(returned__gt=0).exists()
    assert Progress.objects.filter(year=2026, quarter=2, owed__gt=0, approved=F("owed")).exists()
