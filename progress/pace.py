"""The arithmetic of progress, free of the database: what a year aims at, the expected pace (序时进度),
status, completion, forecast and the pace still needed. The roll-up hands it one series (indicator × region)
at a time: the actual of every quarter of the plan, the targets and baselines that apply.

PRODUCT.md states the rules; where it is silent the rule chosen is written at the function that applies it.
What a series' measure kind makes of each step (a level or a flow, a rate, no number) is asked of the measure
registry, `indicators.measures`.
The arithmetic is exact: figures become fractions, a rate such as 30/34 stays 15/17 however it is used next,
and each result is rounded once, half-up to 4 decimal places (the precision of the Progress table). Status
boundaries are therefore exact too: 10 points behind is at risk, never 9.99999… on track. The SQL roll-up on
PostgreSQL computes the same fractions, so both databases store the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from indicators.measures import MEASURES, Measure

GTE, GT, BETWEEN, LTE, GROWTH, DONE = "gte", "gt", "between", "lte", "growth", "done"
ACHIEVED, ON_TRACK, AT_RISK, BEHIND, NO_DATA = "achieved", "on_track", "at_risk", "behind", "no_data"

QUARTERS = (1, 2, 3, 4)
HUNDRED = Fraction(100)
ZERO = Fraction(0)
PLACES = 4

Quarter = tuple[int, int]
Number = Decimal | Fraction  # figures come in as the database's decimals; results of division are fractions


@dataclass(frozen=True)
class Goal:
    """A year's target as the Target row states it."""

    comparator: str
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True)
class Series:
    """What one progress series is judged against. `goals` is empty for a region whose figures are shown but
    not judged (a county's share of a city-wide count); `baselines` maps a year to the value at its end."""

    measure: str  # a key of the measure registry, whose rules decide what each step below does
    start_year: int
    end_year: int
    goals: Mapping[int, Goal] = field(default_factory=dict)
    baselines: Mapping[int, Decimal] = field(default_factory=dict)
    at_risk_from: Decimal = Decimal(10)
    behind_from: Decimal = Decimal(30)

    @property
    def kind(self) -> Measure:
        return MEASURES[self.measure]

    @property
    def years(self) -> range:
        return range(self.start_year, self.end_year + 1)

    def index(self, year: int, quarter: int) -> int:
        """Quarters since the end of the year before the plan: 2024 Q1 of a 2024 plan is 1, its end 12."""
        return 4 * (year - self.start_year) + quarter

    def quarter_at(self, index: int) -> Quarter:
        """The quarter at an index (`index`'s inverse)."""
        return self.start_year + (index - 1) // 4, (index - 1) % 4 + 1


@dataclass(frozen=True)
class Judgement:
    """One Progress row's figures (field names as on the model)."""

    actual: Decimal | None
    target_min: Decimal | None
    target_max: Decimal | None
    completion: Decimal | None
    expected: Decimal | None
    status: str
    forecast: Decimal | None
    needed_per_quarter: Decimal | None
    forecast_basis: int | None  # the complete quarters of the year forecast and still needed stand on


@dataclass(frozen=True)
class Path:
    """The straight line the expected pace follows in a year: from `start` (the value at the end of the year
    before) to `value`, reached `quarters` quarters after that start — at Q4 of this year when it has a
    target of its own, else at Q4 of the next year that has one."""

    goal: Goal
    start: Fraction
    value: Fraction
    quarters: int  # from the end of the previous year to the quarter the value is reached

    def at(self, quarter: int) -> Fraction:
        return self.start + (self.value - self.start) * quarter / self.quarters


def exact(value: Number | None) -> Fraction | None:
    return None if value is None else Fraction(value)


def rounded(value: Number | None) -> Decimal | None:
    """The figure as stored: half-up (away from zero) at 4 decimal places, from the exact value."""
    if value is None:
        return None
    units = abs(Fraction(value)) * 10**PLACES + Fraction(1, 2)
    whole = units.numerator // units.denominator
    return Decimal(-whole if value < 0 else whole).scaleb(-PLACES)


def aim(goal: Goal, previous: Number | None) -> Fraction | None:
    """The figure a target asks for: the lower bound of gte/gt and of a range (the upper bound of 1—2家 is
    the plan's expectation, not a ceiling: 3 meetings still achieve it), the ceiling of lte, last year's
    actual for growth; none for a qualitative target."""
    if goal.comparator in (GTE, GT, BETWEEN):
        return exact(goal.min)
    if goal.comparator == LTE:
        return exact(goal.max)
    if goal.comparator == GROWTH:
        return exact(previous)
    return None


def met(goal: Goal, actual: Number, previous: Number | None) -> bool:
    """Whether the year's target is achieved. growth needs last year's actual (or a baseline for that year)
    and strictly more; done needs an approved report that says done (actual 1)."""
    actual, bar = Fraction(actual), aim(goal, previous)
    if goal.comparator == GTE or goal.comparator == BETWEEN:
        return actual >= bar
    if goal.comparator == GT:
        return actual > bar
    if goal.comparator == LTE:
        return actual <= bar
    if goal.comparator == GROWTH:
        return bar is not None and actual > bar
    return actual >= 1


def completion(goal: Goal | None, actual: Number | None, previous: Number | None) -> Fraction | None:
    """Actual as a percentage of the year's target: of the lower bound for gte/gt/between (100 = the bound is
    reached), of last year's actual for growth (above 100 = growth); for lte 100 while within the ceiling and
    ceiling/actual×100 above it; 100 or 0 for done. None without a target for the year."""
    if goal is None or actual is None:
        return None
    actual = Fraction(actual)
    if goal.comparator == LTE:
        ceiling = exact(goal.max)
        return HUNDRED if actual <= ceiling else ceiling / actual * HUNDRED
    if goal.comparator == DONE:
        return HUNDRED if actual >= 1 else ZERO
    reference = aim(goal, previous)
    if not reference:
        return None
    return actual / reference * HUNDRED


def _previous(series: Series, actuals: Mapping[Quarter, Fraction | None], year: int) -> Fraction | None:
    """Last year's actual (its Q4), else a baseline stated for last year: the bar growth must clear."""
    last = actuals.get((year - 1, 4))
    return last if last is not None else exact(series.baselines.get(year - 1))


def opening(series: Series, year: int) -> tuple[bool, Fraction | None]:
    """Where the expected pace of `year` starts, as far as that does not depend on the figures: (False, the
    start) when it is fixed — 0 for flows (they restart every year) and for a cumulative indicator in the
    plan's first year (it counts from the plan's start), none for milestones — else (True, what stands in for
    last year's actual when there is none): last year's milestone, else the latest earlier baseline (a
    cumulative indicator's baselines count from before the plan, so not for it)."""
    kind = series.kind
    if kind.restarts_each_year or (kind.counts_from_plan_start and year == series.start_year):
        return False, ZERO
    if kind.is_qualitative:
        return False, None
    goal = series.goals.get(year - 1)
    milestone = aim(goal, None) if goal else None
    if milestone is not None or kind.counts_from_plan_start:
        return True, milestone
    earlier = [baseline_year for baseline_year in series.baselines if baseline_year < year]
    return True, exact(series.baselines[max(earlier)]) if earlier else None


def _start(series: Series, actuals: Mapping[Quarter, Fraction | None], year: int) -> Fraction | None:
    """The value at the end of the previous year, where the expected pace starts: last year's actual where the
    start is not fixed (`opening`), else what stands in for it."""
    follows_actual, start = opening(series, year)
    last = actuals.get((year - 1, 4)) if follows_actual else None
    return last if last is not None else start


@dataclass(frozen=True)
class Due:
    """A target with a figure that a level heads for: the goal, its figure, and the year it is due (at Q4)."""

    goal: Goal
    value: Fraction
    year: int


def _stated(series: Series, year: int) -> Due | None:
    goal = series.goals.get(year)
    value = aim(goal, None) if goal and goal.comparator != GROWTH else None
    return None if value is None else Due(goal, value, year)


def ahead(series: Series, year: int) -> Due | None:
    """The first later year of the plan whose target states a figure: where a level heads in a year that has
    no target of its own."""
    return next(
        filter(None, (_stated(series, later) for later in range(year + 1, series.end_year + 1))), None
    )


def final(series: Series) -> Due | None:
    """The plan's last target that states a figure: what a level still needs per quarter is measured to it."""
    return next(filter(None, (_stated(series, year) for year in reversed(series.years))), None)


def _path(series: Series, year: int, start: Fraction | None, previous: Fraction | None) -> Path | None:
    """The year's line: towards the year's own target; for a level without a target this year, towards the
    next year that has one (reached at its Q4), so 2024 of a plan stating only 2026 still has a pace."""
    if start is None:
        return None
    goal = series.goals.get(year)
    value = aim(goal, previous) if goal else None
    if value is not None:
        return Path(goal, start, value, 4)
    if goal is not None or not series.kind.is_level:
        return None
    due = ahead(series, year)
    return Path(due.goal, start, due.value, 4 * (due.year - year + 1)) if due else None


def status(
    series: Series,
    goal: Goal | None,
    path: Path | None,
    actual: Fraction | None,
    previous: Fraction | None,
    quarter: int,
) -> str:
    """achieved when the year's target is met; otherwise how far behind the expected pace the actual is, in
    percentage points of the year's planned increment: under `at_risk_from` on track, from it up to and
    including `behind_from` at risk, above behind. Ahead of the pace is on track.

    Without a line to compare with (a milestone, no start value, no target ahead) nothing is flagged before
    Q4, and at Q4 a target the year did not meet is behind. A flat line (start already at the target) is
    missed by any shortfall: behind."""
    if actual is None:
        return NO_DATA
    if goal is not None and met(goal, actual, previous):
        return ACHIEVED
    if path is None:
        judgeable = goal is not None and (goal.comparator != GROWTH or previous is not None)
        return BEHIND if quarter == 4 and judgeable else ON_TRACK
    expected = path.at(quarter)
    shortfall = actual - expected if path.goal.comparator == LTE else expected - actual
    if shortfall <= 0:
        return ON_TRACK
    increment = abs(path.at(4) - path.start)
    if not increment:
        return BEHIND
    points = shortfall * HUNDRED / increment
    if points < exact(series.at_risk_from):
        return ON_TRACK
    if points <= exact(series.behind_from):
        return AT_RISK
    return BEHIND


def anchors(series: Series) -> dict[int, Fraction]:
    """Where a level's trend may start besides its actuals, by quarter index: each baseline at the end of its
    year; for a cumulative indicator (its baselines count from before the plan) 0 when the plan starts."""
    if series.kind.counts_from_plan_start:
        return {0: ZERO}
    return {series.index(year, 4): Fraction(value) for year, value in series.baselines.items()}


def forecast(
    series: Series, actuals: Mapping[Quarter, Fraction | None], year: int, quarter: int
) -> Fraction | None:
    """The value expected at the plan's end from the recent trend.

    Levels: the actual plus the average change per quarter over the last four quarters (from the actual four
    quarters back, or the earliest one within them; a cumulative indicator is 0 when the plan starts; with
    nothing in that window, from the latest earlier point, a baseline included) times the quarters left, never
    below 0 (figures are counts and amounts).
    Flows: the year to date at its present rate over a whole year (flows are targeted per year). Rates: the
    rate to date. Milestones: none."""
    actual = actuals.get((year, quarter))
    kind = series.kind
    if actual is None or kind.is_qualitative:
        return None
    if kind.restarts_each_year:
        return actual * 4 / quarter
    if kind.is_rate:
        return actual
    now = series.index(year, quarter)
    points = anchors(series)
    points.update({series.index(*key): value for key, value in actuals.items() if value is not None})
    window = [index for index in points if now - 4 <= index < now]
    before = [index for index in points if index < now - 4]
    if window:
        reference = min(window)
    elif before:
        reference = max(before)
    else:
        return None
    slope = (actual - points[reference]) / (now - reference)
    return max(actual + slope * (series.index(series.end_year, 4) - now), ZERO)


def needed_per_quarter(
    series: Series, actual: Fraction | None, year: int, quarter: int, previous: Fraction | None
) -> Fraction | None:
    """What each remaining quarter must still add to reach the target: for a level the last target the plan
    states (by the end of its year), for a flow the year's own target (flows restart each year). 0 once the
    target is reached; negative for a ceiling (lte) that is exceeded (the reduction needed). None for rates,
    milestones, without a target ahead or with no quarter left."""
    kind = series.kind
    if actual is None or kind.is_rate or kind.is_qualitative:
        return None
    if kind.restarts_each_year:
        goal = series.goals.get(year)
        value, remaining = (aim(goal, previous) if goal else None), 4 - quarter
    else:
        due = final(series)
        if due is None:
            return None
        goal, value, remaining = due.goal, due.value, series.index(due.year, 4) - series.index(year, quarter)
    if value is None or remaining <= 0:
        return None
    gap = value - actual
    gap = min(gap, ZERO) if goal.comparator == LTE else max(gap, ZERO)
    return gap / remaining


def complete_through(series: Series, first_gap: int | None, year: int, quarter: int) -> Quarter | None:
    """The last quarter, up to this one, through which every owed figure of every quarter since the plan's
    start is approved: this quarter when no quarter so far has a gap, else the quarter before the first gap;
    None when the plan's first quarter already has one. `first_gap`: the index (`Series.index`) of the
    plan's first quarter in which some unit owing the figure has no approved one, None when there is none."""
    now = series.index(year, quarter)
    last = now if first_gap is None or first_gap > now else first_gap - 1
    return series.quarter_at(last) if last >= 1 else None


def basis(year: int, quarter: int, complete: Quarter | None) -> int | None:
    """How many quarters of `year` the forecast and the pace still needed stand on: every quarter up to this
    one when they are complete, else those through the last complete quarter of the year; None when no
    quarter of the year is complete yet. A partial quarter is never read as if it were complete: two
    approved quarters of three are annualised as two (×4/2), and two quarters remain after them, not one."""
    if complete is None or complete[0] < year:
        return None
    return quarter if complete >= (year, quarter) else complete[1]


def judge(
    series: Series,
    actuals: Mapping[Quarter, Number | None],
    complete: Mapping[Quarter, Quarter | None] | None = None,
) -> dict[Quarter, Judgement]:
    """Every quarter of the plan for one series. `actuals` holds the actual of each quarter (None or absent
    where nothing approved counts), exact: a rate as the fraction Σnumerator/Σdenominator×100. `complete`
    holds each quarter's `complete_through` (None: every quarter is complete).

    The actual, completion, expected pace and status are the quarter's own (a partial quarter's status is
    provisional, 暂定, and shown so); the forecast and the pace still needed stand on complete quarters only
    (`basis`), and `forecast_basis` says on how many, when either exists."""
    actuals = {key: exact(value) for key, value in actuals.items()}
    result: dict[Quarter, Judgement] = {}
    for year in series.years:
        goal = series.goals.get(year)
        previous = _previous(series, actuals, year)
        path = _path(series, year, _start(series, actuals, year), previous)
        for quarter in QUARTERS:
            actual = actuals.get((year, quarter))
            through = (year, quarter) if complete is None else complete[(year, quarter)]
            stands_on = basis(year, quarter, through)
            projected = stood = None
            if stands_on is not None:
                projected = forecast(series, actuals, year, stands_on)
                stood = needed_per_quarter(series, actuals.get((year, stands_on)), year, stands_on, previous)
            result[(year, quarter)] = Judgement(
                actual=rounded(actual),
                target_min=goal.min if goal else None,
                target_max=goal.max if goal else None,
                completion=rounded(completion(goal, actual, previous)),
                expected=rounded(path.at(quarter)) if path else None,
                status=status(series, goal, path, actual, previous, quarter),
                forecast=rounded(projected),
                needed_per_quarter=rounded(stood),
                forecast_basis=None if projected is None and stood is None else stands_on,
            )
    return result
