"""indicators.pace on its own: status boundaries, comparators, completion — worked out by hand."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest
from django.db import connection

from progress import judged_sql, pace
from progress.rollup import rollup_full
from tests import factories

# A flow aiming at 100 in 2024: the pace is 25, 50, 75, 100 and the year's planned increment is 100, so at Q2
# every unit below 50 is one percentage point behind.
HUNDRED_A_YEAR = pace.Series(
    measure="flow", start_year=2024, end_year=2026, goals={2024: pace.Goal("gte", min=D(100))}
)


@pytest.mark.parametrize(
    ("actual", "status"),
    [
        ("50", "on_track"),  # on the pace
        ("41", "on_track"),  # 9 points behind
        ("40.0001", "on_track"),  # 9.9999 points
        ("40", "at_risk"),  # exactly 10 points: at risk from 10
        ("20", "at_risk"),  # exactly 30 points: still at risk, 30 included
        ("19.9999", "behind"),  # 30.0001 points: over 30
        ("0", "behind"),
        ("100", "achieved"),  # the year's target met in Q2
    ],
)
def test_it_places_the_status_boundaries_at_exactly_10_and_30_points(actual, status):
    judged = pace.judge(HUNDRED_A_YEAR, {(2024, 1): D(0), (2024, 2): D(actual)})
    assert judged[(2024, 2)].expected == D(50)
    assert judged[(2024, 2)].status == status


def test_it_takes_thresholds_from_the_plan():
    strict = pace.Series(**{**vars(HUNDRED_A_YEAR), "at_risk_from": D(5), "behind_from": D(8)})
    statuses = [
        pace.judge(strict, {(2024, 2): D(value)})[(2024, 2)].status for value in ("46", "45", "42", "41")
    ]
    assert statuses == ["on_track", "at_risk", "at_risk", "behind"]


@pytest.mark.parametrize(
    ("goal", "actual", "previous", "met", "completion"),
    [
        (pace.Goal("gte", min=D(88)), "88", None, True, "100"),
        (pace.Goal("gte", min=D(88)), "87.99", None, False, "99.9886"),
        (pace.Goal("gt", min=D(6)), "6", None, False, "100"),  # 突破6: 6 itself is not enough
        (pace.Goal("gt", min=D(6)), "6.01", None, True, "100.1667"),
        (pace.Goal("between", min=D(1), max=D(2)), "1", None, True, "100"),
        (pace.Goal("between", min=D(1), max=D(2)), "3", None, True, "300"),  # no ceiling
        (pace.Goal("between", min=D(1), max=D(2)), "0", None, False, "0"),
        (pace.Goal("lte", max=D(5)), "5", None, True, "100"),
        (pace.Goal("lte", max=D(5)), "4", None, True, "100"),
        (pace.Goal("lte", max=D(5)), "8", None, False, "62.5"),
        (pace.Goal("growth"), "8.5", "8", True, "106.25"),
        (pace.Goal("growth"), "8", "8", False, "100"),  # level is not growth
        (pace.Goal("growth"), "9", None, False, None),  # nothing to grow from
        (pace.Goal("done"), "1", None, True, "100"),
        (pace.Goal("done"), "0", None, False, "0"),
    ],
)
def test_it_knows_when_each_comparator_is_met_and_how_complete_it_is(goal, actual, previous, met, completion):
    previous = None if previous is None else D(previous)
    assert pace.met(goal, D(actual), previous) is met
    expected = None if completion is None else D(completion)
    assert pace.rounded(pace.completion(goal, D(actual), previous)) == expected


def test_a_flat_pace_is_missed_by_any_shortfall():
    # Already at 30 at the end of 2023 and asked for ≥30: the line is flat; 29 is behind, 30 achieved.
    series = pace.Series(
        measure="stock", start_year=2024, end_year=2024, goals={2024: pace.Goal("gte", min=D(30))},
        baselines={2023: D(30)},
    )  # fmt: skip
    assert pace.judge(series, {(2024, 2): D(29)})[(2024, 2)].status == "behind"
    assert pace.judge(series, {(2024, 2): D(30)})[(2024, 2)].status == "achieved"


def test_a_growth_bar_can_come_from_a_baseline_of_the_year_before():
    series = pace.Series(
        measure="flow",
        start_year=2024,
        end_year=2024,
        goals={2024: pace.Goal("growth")},
        baselines={2023: D(8)},
    )
    judged = pace.judge(series, {(2024, 2): D(4), (2024, 4): D(9)})
    # Pace 0 → 8: 4 at Q2 (on the line); 9 > 8 at Q4 achieved; 9/8 = 112.5%.
    assert (judged[(2024, 2)].expected, judged[(2024, 2)].status) == (D(4), "on_track")
    assert (judged[(2024, 4)].status, judged[(2024, 4)].completion) == ("achieved", D("112.5"))


def test_it_places_the_boundaries_the_same_way_through_the_whole_roll_up(db, progress_rows):
    plan = factories.PlanFactory(region=factories.RegionFactory())
    units = [factories.UnitFactory(region=plan.region) for _ in range(4)]
    flows = []
    for unit, value in zip(units, ["41", "40", "20", "19"], strict=True):
        flow = factories.IndicatorFactory(plan=plan, measure="flow")
        factories.TargetFactory(indicator=flow, year=2024, min=D(100))
        factories.ApprovedSubmissionFactory(
            indicator=flow, unit=unit, period__year=2024, period__quarter=2, value=D(value)
        )
        flows.append(flow)
    assert (plan.at_risk_from, plan.behind_from) == (10, 30)
    rollup_full(plan=plan)
    # 9, 10, 30 and 31 points behind the Q2 pace of 50.
    assert [progress_rows(flow)[(2024, 2)].status for flow in flows] == [
        "on_track",
        "at_risk",
        "at_risk",
        "behind",
    ]


@pytest.mark.parametrize(
    ("numerator", "denominator"),
    [
        (1, 20000),  # 0.00005: a tie, up
        (-1, 20000),  # −0.00005: away from zero, like Python's ROUND_HALF_UP
        (3, 20000),  # 0.00015
        (1, 3),  # 0.3333…
        (2, 3),  # 0.6666…
        (-2, 3),
        (5, 8),  # 0.625, exact
        (1, 30000),  # below half of the last place: 0
        (10**20 + 5, 10**5),  # beyond any float: 1000000000000000.00005
        (88_2352_9411, 10**8),  # 88.23529411
        (30, -34),  # a negative divisor, as a target below zero would give
    ],
)
def test_it_rounds_in_sql_exactly_as_in_python(db, on_postgres, numerator, denominator):
    """The SQL roll-up rounds every figure once with integer division; pace rounds the exact fraction. They
    must agree digit for digit, ties included (PostgreSQL only: SQLite's figures are rounded by pace)."""
    if not on_postgres:
        pytest.skip("the judging statement runs on PostgreSQL")
    sql = f"SELECT {judged_sql.rounded('CAST(%s AS NUMERIC)', 'CAST(%s AS NUMERIC)', d_positive=False)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [numerator, denominator, numerator, denominator, denominator])
        (in_sql,) = cursor.fetchone()
    assert in_sql == pace.rounded(Fraction(numerator, denominator))


# --- on what a figure stands: complete quarters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("first_gap", "at", "through"),
    [
        (None, (2025, 3), (2025, 3)),  # nothing missing so far: the quarter itself
        (11, (2026, 3), (2026, 2)),  # 2026 Q3 is the plan's 11th quarter and has a gap
        (11, (2026, 2), (2026, 2)),  # a later gap does not reach back
        (5, (2026, 4), (2024, 4)),  # a gap in 2025 Q1 holds every later quarter at 2024 Q4
        (1, (2024, 3), None),  # the plan's first quarter has a gap: complete through nothing
    ],
)
def test_it_knows_through_which_quarter_every_owed_figure_is_approved(first_gap, at, through):
    assert pace.complete_through(HUNDRED_A_YEAR, first_gap, *at) == through


@pytest.mark.parametrize(
    ("at", "complete", "basis"),
    [
        ((2026, 3), (2026, 3), 3),
        ((2026, 3), (2026, 2), 2),
        ((2026, 4), (2026, 1), 1),
        ((2026, 1), (2025, 4), None),  # no quarter of 2026 is complete yet
        ((2026, 2), None, None),
    ],
)
def test_the_forecast_stands_on_the_complete_quarters_of_the_year(at, complete, basis):
    assert pace.basis(*at, complete) == basis


def test_a_partial_quarter_is_never_annualised_as_if_it_were_complete():
    """The issue's bank: 2.5 and 2.59 in Q1 and Q2, nothing in Q3. By Q3 the running total is 5.09 whether or
    not Q3 came; annualising it as three quarters gave 6.79. Two complete quarters give 10.18, and the 8 the
    year aims at needs (8 − 5.09) / 2 more in each of the two quarters left."""
    series = pace.Series(
        measure="flow", start_year=2026, end_year=2026, goals={2026: pace.Goal("gte", min=D(8))}
    )
    actuals = {(2026, 1): D("2.5"), (2026, 2): D("5.09"), (2026, 3): D("5.09")}
    complete = {(2026, q): (2026, min(q, 2)) for q in (1, 2, 3, 4)}
    judged = pace.judge(series, actuals, complete)[(2026, 3)]
    assert (judged.actual, judged.forecast, judged.forecast_basis) == (D("5.09"), D("10.18"), 2)
    assert judged.needed_per_quarter == D("1.455")
    as_if_complete = pace.judge(series, actuals)[(2026, 3)]
    assert (as_if_complete.forecast, as_if_complete.needed_per_quarter, as_if_complete.forecast_basis) == (
        D("6.7867"),
        D("2.91"),
        3,
    )
    # The status is the quarter's own either way: provisional while the quarter is partial.
    assert judged.status == as_if_complete.status
