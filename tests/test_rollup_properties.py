"""The roll-up against a deliberately plain recomputation, on random small plans.

Each example builds a plan with factories — a region tree of two or three levels under the plan's region (and
a region outside it), indicators of every measure kind combining units by sum or by the lead's figure, some
computed from another, targets of every comparator, baselines, populations, units in several regions — and
random submissions in every review state, units owing figures they never send, and exceptions the office
granted. `recompute` then works out every Progress row the README's rules ask for, straight from the
submission rows in Python, with `indicators.pace` as the arithmetic — its coverage too: of the units owing
the figure, approved, awaiting review, returned, missing past the due date, and the last quarter through
which every owed figure is approved; the engine must have written exactly those rows. Rolling up twice
changes nothing, and an incremental roll-up of the keys a change queues leaves the same rows as a full one.

The examples are derandomized and no example database is kept, so a run is the same on every machine.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.models import Assignment, Indicator, Population, RollupPending
from indicators.rollup_queue import rollup_schedule
from plans.models import Plan, Region
from progress import pace
from progress.models import Progress, Timeliness
from progress.rollup import rollup_full, rollup_pending
from reporting.models import Period, PeriodException, Submission
from tests import factories

PROPERTY = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
MEASURES = ("stock", "flow", "cumulative", "ratio", "per_capita", "milestone")
COMPARATORS = ("gte", "gt", "between", "lte", "growth", "done")
STATES = ("approved", "approved", "approved", "approved", "submitted", "returned", "draft")
COVERAGE = ["owed", "approved", "awaiting_review", "returned", "missing"]
FIELDS = [
    *(field.name for field in dataclasses.fields(pace.Judgement)),
    *COVERAGE,
    "complete_year",
    "complete_quarter",
]
START = 2024
# How large a target and a reported figure run by measure (a population is up to 300 万人), so that actuals
# land around their targets and every status comes up.
TARGET = {"stock": 300, "flow": 200, "cumulative": 600, "ratio": 100, "per_capita": 4, "milestone": 1}
FIGURE = {"stock": 150, "flow": 60, "cumulative": 80, "per_capita": 300, "milestone": 1}


# --- what an example is made of -----------------------------------------------------------------------------


def figures(*, top: int, places: int = 4) -> st.SearchStrategy[Decimal]:
    """Non-negative figures with up to `places` decimals, leaning towards round numbers (they make ties and
    exact boundaries) and zero."""
    scale = 10**places
    return st.one_of(
        st.integers(0, top).map(Decimal),
        st.sampled_from(
            [Decimal("0.5"), Decimal("0.25"), Decimal("1.5"), Decimal("0.0001"), Decimal("0.0002")]
        ),
        st.integers(0, top * scale).map(lambda n: Decimal(n).scaleb(-places)),
    )


@dataclass
class IndicatorSpec:
    measure: str
    combine: str
    computed_from: int | None  # position of the source among the example's indicators
    targets: dict[int, tuple[str, Decimal | None, Decimal | None]]
    baselines: dict[int, Decimal]


@dataclass
class ReportSpec:
    indicator: int
    unit: int
    year: int
    quarter: int
    state: str
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    done: bool | None = None


@dataclass
class WorldSpec:
    end_year: int
    thresholds: tuple[Decimal, Decimal]
    children: list[int]  # how many grandchildren each child region of the plan's region has
    indicators: list[IndicatorSpec]
    units: list[int]  # region of each unit: 0 the plan's, 1.. the tree below it in order, -1 outside the plan
    leads: dict[int, int]  # indicator position → unit position of its lead assignment
    populations: dict[tuple[int, int], Decimal]
    reports: list[ReportSpec] = field(default_factory=list)
    idle: set[tuple[int, int]] = field(default_factory=set)  # (indicator, unit) owed but never sent
    # (unit, year, quarter, days from today the exception runs until)
    exceptions: set[tuple[int, int, int, int]] = field(default_factory=set)

    @property
    def region_count(self) -> int:
        return 1 + len(self.children) + sum(self.children)


@st.composite
def targets(draw, measure: str, years: range) -> dict[int, tuple[str, Decimal | None, Decimal | None]]:
    chosen = {}
    for year in [START - 1, *years]:
        if not draw(st.booleans()):
            continue
        comparator = draw(st.sampled_from(("done",) if measure == "milestone" else COMPARATORS))
        low = draw(figures(top=TARGET[measure]))
        if comparator in ("gte", "gt"):
            chosen[year] = (comparator, low, None)
        elif comparator == "between":
            chosen[year] = (comparator, low, low + draw(figures(top=50)))
        elif comparator == "lte":
            chosen[year] = (comparator, None, low)
        else:
            chosen[year] = (comparator, None, None)
    return chosen


@st.composite
def worlds(draw) -> WorldSpec:
    end_year = draw(st.sampled_from((START + 1, START + 2)))
    years = range(START, end_year + 1)
    at_risk = Decimal(draw(st.integers(100, 2500))).scaleb(-2)
    behind = at_risk + Decimal(draw(st.integers(1, 3000))).scaleb(-2)
    children = draw(st.lists(st.integers(0, 2), min_size=1, max_size=2))
    region_count = 1 + len(children) + sum(children)

    indicators: list[IndicatorSpec] = []
    for position in range(draw(st.integers(1, 4))):
        measure = draw(st.sampled_from(MEASURES))
        sources = [n for n, each in enumerate(indicators) if each.computed_from is None]
        computed_from = draw(st.sampled_from([None, *sources])) if sources and position else None
        baselines = {
            year: draw(figures(top=300))
            for year in draw(st.sets(st.sampled_from((2022, 2023, START)), max_size=2))
        }
        indicators.append(
            IndicatorSpec(
                measure=measure,
                combine=draw(st.sampled_from(("sum", "sum", "lead"))),
                computed_from=computed_from,
                targets=draw(targets(measure, years)),
                baselines=baselines,
            )
        )
    units = draw(st.lists(st.integers(-1, region_count - 1), min_size=1, max_size=4))
    leads = {
        n: draw(st.integers(0, len(units) - 1))
        for n, each in enumerate(indicators)
        if each.combine == "lead" and draw(st.booleans())
    }
    populations = {
        (region, year): draw(st.integers(1, 300).map(Decimal))
        for region in range(region_count)
        for year in years
        if draw(st.integers(0, 5))
    }
    world = WorldSpec(end_year, (at_risk, behind), children, indicators, units, leads, populations)

    sources = [n for n, each in enumerate(indicators) if each.computed_from is None]
    quarters = [(year, quarter) for year in [START - 1, *years] for quarter in (1, 2, 3, 4)]
    for source in sources:
        measure = indicators[source].measure
        for unit in draw(st.sets(st.integers(0, len(units) - 1), min_size=1, max_size=len(units))):
            for year, quarter in sorted(draw(st.sets(st.sampled_from(quarters), min_size=1, max_size=8))):
                report = ReportSpec(source, unit, year, quarter, state=draw(st.sampled_from(STATES)))
                if measure == "ratio":
                    report.denominator = draw(st.none() | figures(top=200))
                    report.numerator = (
                        None if report.denominator is None else draw(figures(top=200)).min(report.denominator)
                    )
                elif measure == "milestone":
                    report.done = draw(st.none() | st.booleans())
                else:
                    report.value = draw(st.none() | figures(top=FIGURE[measure]))
                world.reports.append(report)
    world.idle = draw(
        st.sets(st.tuples(st.sampled_from(sources), st.integers(0, len(units) - 1)), max_size=2)
    )
    world.exceptions = draw(
        st.sets(
            st.tuples(
                st.integers(0, len(units) - 1), st.sampled_from(years), st.sampled_from((1, 2, 3, 4)),
                st.sampled_from((-1, 0, 30)),
            ),
            max_size=3,
        )
    )  # fmt: skip
    return world


# --- building it --------------------------------------------------------------------------------------------


@dataclass
class World:
    plan: Plan
    indicators: list[Indicator]
    submissions: list[Submission]


@pytest.fixture
def periods(db) -> dict[tuple[int, int], Period]:
    """Every quarter from the year before the plans start to their latest end, made once per test: examples
    only read them."""
    return {
        (year, quarter): factories.PeriodFactory(year=year, quarter=quarter)
        for year in range(START - 1, START + 3)
        for quarter in (1, 2, 3, 4)
    }


def build(spec: WorldSpec, periods: dict[tuple[int, int], Period]) -> World:
    root = factories.RegionFactory(level="city")
    regions = [root]
    for grandchildren in spec.children:
        child = factories.RegionFactory(parent=root, level="county")
        regions.append(child)
        regions.extend(factories.RegionFactory(parent=child, level="zone") for _ in range(grandchildren))
    outside = factories.RegionFactory(level="city")
    plan = factories.PlanFactory(
        region=root, end_year=spec.end_year, at_risk_from=spec.thresholds[0], behind_from=spec.thresholds[1]
    )
    Population.objects.bulk_create(
        factories.PopulationFactory.build(region=regions[region], year=year, value=value)
        for (region, year), value in spec.populations.items()
    )
    units = [factories.UnitFactory(region=outside if n < 0 else regions[n]) for n in spec.units]

    indicators: list[Indicator] = []
    for each in spec.indicators:
        indicator = factories.IndicatorFactory(
            plan=plan,
            measure=each.measure,
            combine=each.combine,
            computed_from=None if each.computed_from is None else indicators[each.computed_from],
        )
        for year, (comparator, low, high) in each.targets.items():
            factories.TargetFactory(indicator=indicator, year=year, comparator=comparator, min=low, max=high)
        for year, value in each.baselines.items():
            factories.BaselineFactory(indicator=indicator, year=year, value=value)
        indicators.append(indicator)
    # Units owe what they report (so they have a timeliness row), the lead's assignment marked as such.
    reporters = (
        {(report.indicator, report.unit) for report in spec.reports} | set(spec.leads.items()) | spec.idle
    )
    Assignment.objects.bulk_create(
        Assignment(indicator=indicators[n], unit=units[unit], is_lead=spec.leads.get(n) == unit)
        for n, unit in sorted(reporters)
    )

    sent = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    submissions = Submission.objects.bulk_create(
        Submission(
            indicator=indicators[report.indicator],
            unit=units[report.unit],
            period=periods[(report.year, report.quarter)],
            state=report.state,
            submitted_at=None if report.state == "draft" else sent,
            value=report.value,
            numerator=report.numerator,
            denominator=report.denominator,
            done=report.done,
        )
        for report in spec.reports
    )
    today = timezone.localdate()
    office = factories.UserFactory(role="reviewer")
    for unit, year, quarter, days in spec.exceptions:
        PeriodException.objects.get_or_create(
            period=periods[(year, quarter)],
            unit=units[unit],
            defaults={"until": today + datetime.timedelta(days=days), "reason": "例外", "granted_by": office},
        )
    return World(plan, indicators, submissions)


# --- the plain recomputation --------------------------------------------------------------------------------


def _chains(plan: Plan) -> dict[int, list[int]]:
    """Every region of the plan → itself and the regions above it up to the plan's region."""
    parent = dict(Region.objects.values_list("pk", "parent_id"))
    chains = {}
    for region in parent:
        chain, current = [region], region
        while current != plan.region_id and parent[current] is not None:
            current = parent[current]
            chain.append(current)
        if current == plan.region_id:
            chains[region] = chain
    return chains


def _figure(row: dict) -> Decimal | None:
    if row["value"] is not None:
        return row["value"]
    return None if row["done"] is None else Decimal(int(row["done"]))


def _add(values) -> Decimal | None:
    present = [value for value in values if value is not None]
    return sum(present, Decimal(0)) if present else None


def recompute(plan: Plan) -> dict[tuple, dict]:
    """Every Progress row the plan should have, keyed (indicator, region, year, quarter), from the submission
    rows themselves: one quarter, one region, one indicator at a time."""
    chains = _chains(plan)
    years = range(plan.start_year, plan.end_year + 1)
    leads = set(Assignment.objects.filter(is_lead=True).values_list("indicator_id", "unit_id"))
    rows = list(
        Submission.objects.filter(state="approved", indicator__plan=plan).values(
            "indicator_id", "indicator__combine", "unit_id", "unit__region_id", "period__year",
            "period__quarter", "value", "numerator", "denominator", "done",
        )
    )  # fmt: skip
    population = {(p.region_id, p.year): p.value for p in Population.objects.all()}
    covered = coverage(plan, chains)
    expected = {}
    for indicator in Indicator.objects.filter(plan=plan).prefetch_related("targets", "baselines"):
        source = indicator.computed_from_id or indicator.pk
        for region in chains:
            counted = [
                row
                for row in rows
                if row["indicator_id"] == source
                and row["period__year"] in years
                and (row["indicator__combine"] == "sum" or (source, row["unit_id"]) in leads)
                and region in chains.get(row["unit__region_id"], [plan.region_id])
            ]
            actuals = {
                (year, quarter): _actual(indicator.measure, counted, region, year, quarter, population, years)
                for year in years
                for quarter in (1, 2, 3, 4)
            }
            judged = region == plan.region_id or indicator.measure in ("ratio", "per_capita")
            series = pace.Series(
                measure=indicator.measure,
                start_year=plan.start_year,
                end_year=plan.end_year,
                goals={t.year: pace.Goal(t.comparator, t.min, t.max) for t in indicator.targets.all()}
                if judged
                else {},
                baselines={b.year: b.value for b in indicator.baselines.all()}
                if region == plan.region_id
                else {},
                at_risk_from=plan.at_risk_from,
                behind_from=plan.behind_from,
            )
            cover = {at: covered.get((source, region, *at), dict.fromkeys(COVERAGE, 0)) for at in actuals}
            complete = {at: _complete_through(cover, at) for at in actuals}
            for at, judgement in pace.judge(series, actuals, complete).items():
                through = complete[at]
                expected[(indicator.pk, region, *at)] = {
                    **vars(judgement),
                    **cover[at],
                    "complete_year": through and through[0],
                    "complete_quarter": through and through[1],
                }
    return expected


def coverage(plan: Plan, chains: dict[int, list[int]]) -> dict[tuple, dict[str, int]]:
    """Of the units owing each source's figure, keyed (source, region, year, quarter): how many, and how many
    approved, awaiting review, returned, and missing — sent nothing though the quarter was due before today
    and no exception the office granted runs until today or later. Unit by unit, quarter by quarter."""
    today = timezone.localdate()
    owed = Assignment.objects.filter(indicator__plan=plan, indicator__computed_from__isnull=True).exclude(
        unit__kind="group"
    )
    states = {
        (row.indicator_id, row.unit_id, row.period.year, row.period.quarter): row.state
        for row in Submission.objects.filter(indicator__plan=plan).select_related("period")
    }
    due = {(period.year, period.quarter): period.due_on for period in Period.objects.all()}
    excused = {
        (row.unit_id, row.period.year, row.period.quarter)
        for row in PeriodException.objects.select_related("period")
        if row.until >= today
    }
    words = {"approved": "approved", "submitted": "awaiting_review", "returned": "returned"}
    result: dict[tuple, dict[str, int]] = {}
    for assignment in owed.select_related("unit"):
        for region in chains.get(assignment.unit.region_id, [plan.region_id]):
            for year in range(plan.start_year, plan.end_year + 1):
                for quarter in (1, 2, 3, 4):
                    key = (assignment.indicator_id, region, year, quarter)
                    tally = result.setdefault(key, dict.fromkeys(COVERAGE, 0))
                    tally["owed"] += 1
                    state = states.get((assignment.indicator_id, assignment.unit_id, year, quarter))
                    if state in words:
                        tally[words[state]] += 1
                    elif (
                        (year, quarter) in due
                        and today > due[(year, quarter)]
                        and (assignment.unit_id, year, quarter) not in excused
                    ):
                        tally["missing"] += 1
    return result


def _complete_through(cover: dict[tuple, dict[str, int]], at: tuple[int, int]) -> tuple[int, int] | None:
    """The last quarter up to `at` such that every quarter from the plan's start through it is approved."""
    last = None
    for quarter in sorted(cover):
        if quarter > at or cover[quarter]["approved"] < cover[quarter]["owed"]:
            break
        last = quarter
    return last


def _actual(measure, counted, region, year, quarter, population, years) -> Decimal | Fraction | None:
    """One quarter's actual, as the README's "How figures are read" says it."""
    this_year = [row for row in counted if row["period__year"] == year and row["period__quarter"] <= quarter]
    if not this_year:
        return None
    if measure == "flow":
        return _add(row["value"] for row in this_year)
    if measure == "cumulative":
        return _add(
            row["value"]
            for row in counted
            if (row["period__year"], row["period__quarter"]) <= (year, quarter)
        )
    if measure == "ratio":
        denominator = _add(row["denominator"] for row in this_year)
        if not denominator:
            return None
        return Fraction(_add(row["numerator"] for row in this_year) or 0) / Fraction(denominator) * 100
    latest: dict[int, Decimal] = {}
    for row in sorted(this_year, key=lambda row: row["period__quarter"]):
        if _figure(row) is not None:
            latest[row["unit_id"]] = _figure(row)
    level = _add(latest.values())
    if measure == "milestone":
        return Decimal(1) if level is not None and level >= 1 else Decimal(0)
    if measure == "per_capita":
        people = population.get((region, year))
        return None if level is None or people is None else Fraction(level) / Fraction(people)
    return level


def written(plan: Plan) -> dict[tuple, dict]:
    return {
        (row["indicator_id"], row["region_id"], row["year"], row["quarter"]): {
            name: row[name] for name in FIELDS
        }
        for row in Progress.objects.filter(plan=plan).values(
            "indicator_id", "region_id", "year", "quarter", *FIELDS
        )
    }


def reporting(plan: Plan) -> set[tuple]:
    """The plan's Timeliness rows, without the time they were computed."""
    fields = [
        "unit_id",
        "period_id",
        "expected",
        "submitted",
        "on_time",
        "late",
        "returned",
        "approved",
        "status",
    ]
    return set(Timeliness.objects.filter(plan=plan).values_list(*fields))


def assert_same(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    wrong = {key: (actual[key], expected[key]) for key in expected if actual[key] != expected[key]}
    assert not wrong, f"{len(wrong)} rows differ, e.g. {next(iter(wrong.items()))}"


def example():
    """Each example in a savepoint of its own, rolled back afterwards, so examples never see each other."""
    return transaction.atomic()


# --- the properties -----------------------------------------------------------------------------------------


@PROPERTY
@given(spec=worlds())
def test_it_writes_the_rows_a_plain_recomputation_gives(periods, spec):
    with example():
        world = build(spec, periods)
        run = rollup_full(plan=world.plan)
        expected = recompute(world.plan)
        assert_same(written(world.plan), expected)
        assert run.rows == len(expected)
        transaction.set_rollback(True)


@PROPERTY
@given(spec=worlds())
def test_rolling_up_twice_changes_nothing(periods, spec):
    with example():
        world = build(spec, periods)
        rollup_full(plan=world.plan)
        first = written(world.plan)
        ids = set(Progress.objects.filter(plan=world.plan).values_list("pk", flat=True))
        rollup_full(plan=world.plan)
        assert written(world.plan) == first
        assert set(Progress.objects.filter(plan=world.plan).values_list("pk", flat=True)) == ids
        transaction.set_rollback(True)


@PROPERTY
@given(spec=worlds(), data=st.data())
def test_an_incremental_roll_up_of_the_changed_keys_equals_a_full_one(periods, spec, data):
    with example():
        world = build(spec, periods)
        rollup_full(plan=world.plan)
        some = st.lists(st.sampled_from(world.submissions), max_size=3, unique_by=lambda s: s.pk)
        changed = data.draw(some) if world.submissions else []
        for submission in changed:
            approve = data.draw(st.booleans()) or submission.state != "approved"
            Submission.objects.filter(pk=submission.pk).update(
                state="approved" if approve else "submitted",
                submitted_at=submission.submitted_at or datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
                value=data.draw(st.none() | figures(top=100)) if submission.value is not None else None,
            )
            # What the reporting services do when an approved figure comes, changes or goes: the key names
            # the unit, whose timeliness alone the run tallies again.
            rollup_schedule(
                indicator_id=submission.indicator_id, year=submission.period.year, unit_id=submission.unit_id
            )
        assert RollupPending.objects.count() == len(changed)
        rollup_pending()
        incremental = written(world.plan), reporting(world.plan)
        assert not RollupPending.objects.exists()
        rollup_full(plan=world.plan)
        assert incremental == (written(world.plan), reporting(world.plan))
        assert incremental[0] == recompute(world.plan)
        transaction.set_rollback(True)


def test_the_recomputation_agrees_with_a_roll_up_worked_out_by_hand(zhenjiang, progress_rows):
    """The oracle itself, on the figures test_rollup_measures works out by hand: 30, 40, 50, 40 new trademarks
    in 2024 are running sums of 30, 70, 120, 160 against 150."""
    trademarks = zhenjiang.indicators.get(code="new-trademarks")
    unit = factories.UnitFactory(region=zhenjiang.region)
    for quarter, value in {1: 30, 2: 40, 3: 50, 4: 40}.items():
        factories.ApprovedSubmissionFactory(
            indicator=trademarks, unit=unit, period__year=2024, period__quarter=quarter, value=Decimal(value)
        )
    expected = recompute(zhenjiang)
    row = expected[(trademarks.pk, zhenjiang.region_id, 2024, 4)]
    assert (row["actual"], row["completion"], row["status"]) == (
        Decimal(160),
        Decimal("106.6667"),
        "achieved",
    )
    assert expected[(trademarks.pk, zhenjiang.region_id, 2024, 2)]["expected"] == Decimal(75)
    rollup_full(plan=zhenjiang)
    assert_same(written(zhenjiang), expected)
