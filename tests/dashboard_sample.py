"""A plausible dashboard world for tests and screenshots: the lead's demo data (units, assignments,
populations, 2024 Q1–2026 Q3 submissions and task reports) plus `Progress` and `Timeliness` rows derived
from it.

This is a stand-in for the roll-up (built on its own branch), simple on purpose: it follows the product's
rules closely enough that pages read like the real thing (actuals equal what units reported, statuses follow
the expected pace), and it is never used outside tests.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from indicators.demo import QUARTERS, demo_load
from indicators.models import (
    Assignment,
    Indicator,
    Period,
    Progress,
    ReviewState,
    Submission,
    Target,
    TaskReport,
    Timeliness,
)
from indicators.selectors import indicators_with_targets
from plans.models import Plan, Population, TaskUnit, Unit

FOUR = Decimal(4)


def sample_build() -> None:
    """Demo data plus roll-up rows for both plans, for every quarter the demo data covers."""
    demo_load()
    now = timezone.now()
    for plan in Plan.objects.all():
        Progress.objects.bulk_create(_progress_rows(plan, now))
        Timeliness.objects.bulk_create(_timeliness_rows(plan, now))


def _raw_by_quarter(plan: Plan) -> dict[int, dict[tuple[int, int], dict]]:
    """Approved figures per indicator and quarter, combined over units as the indicator says."""
    leads = set(Assignment.objects.filter(is_lead=True).values_list("indicator_id", "unit_id"))
    rows = Submission.objects.filter(indicator__plan=plan, state=ReviewState.APPROVED).select_related(
        "indicator", "period"
    )
    raw: dict[int, dict[tuple[int, int], dict]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        if row.indicator.combine == Indicator.Combine.LEAD and (row.indicator_id, row.unit_id) not in leads:
            continue
        cell = raw[row.indicator_id][(row.period.year, row.period.quarter)]
        for name in ("value", "numerator", "denominator"):
            if getattr(row, name) is not None:
                cell[name] = cell.get(name, Decimal(0)) + getattr(row, name)
        if row.done is not None:
            cell["done"] = cell.get("done", False) or row.done
    return raw


def _actuals(indicator: Indicator, raw: dict[tuple[int, int], dict], population: dict[int, Decimal]) -> dict:
    measure = indicator.measure
    actual: dict[tuple[int, int], Decimal | None] = {}
    running, seen = Decimal(0), False
    for year, quarter in QUARTERS:
        cell = raw.get((year, quarter), {})
        year_cells = [raw.get((year, q), {}) for q in range(1, quarter + 1)]
        value = None
        # A stock's actual is its last reported quarter of the year so far.
        reported = [c["value"] for c in year_cells if "value" in c]
        if measure == Indicator.Measure.STOCK:
            value = reported[-1] if reported else None
        elif measure == Indicator.Measure.PER_CAPITA and reported:
            value = (reported[-1] / population[year]).quantize(Decimal("0.0001"))
        elif measure == Indicator.Measure.FLOW:
            amounts = [c["value"] for c in year_cells if "value" in c]
            value = sum(amounts, Decimal(0)) if amounts else None
        elif measure == Indicator.Measure.CUMULATIVE:
            running += cell.get("value", Decimal(0))
            seen = seen or "value" in cell
            value = running if seen else None
        elif measure == Indicator.Measure.RATIO:
            numerator = sum((c.get("numerator", Decimal(0)) for c in year_cells), Decimal(0))
            denominator = sum((c.get("denominator", Decimal(0)) for c in year_cells), Decimal(0))
            value = (numerator / denominator * 100).quantize(Decimal("0.0001")) if denominator else None
        actual[(year, quarter)] = value
    return actual


def _met(comparator: str, actual: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    if comparator in (Target.Comparator.GTE, Target.Comparator.BETWEEN):
        return actual >= low
    if comparator in (Target.Comparator.GT, Target.Comparator.GROWTH):
        return low is not None and actual > low
    if comparator == Target.Comparator.LTE:
        return actual <= high
    return False


def _progress_rows(plan: Plan, now) -> list[Progress]:
    population = dict(Population.objects.filter(region=plan.region).values_list("year", "value"))
    raw = _raw_by_quarter(plan)
    rows = []
    for indicator in indicators_with_targets(plan):
        targets = {target.year: target for target in indicator.targets.all()}
        final = targets.get(plan.end_year)
        source = raw[indicator.computed_from_id or indicator.pk]
        actual = _actuals(indicator, source, population)
        baseline = indicator.latest_baseline
        for year, quarter in QUARTERS:
            row = Progress(
                plan=plan,
                indicator=indicator,
                region=plan.region,
                year=year,
                quarter=quarter,
                computed_at=now,
                status=Progress.Status.NO_DATA,
            )
            rows.append(row)
            if indicator.measure == Indicator.Measure.MILESTONE:
                done = [source.get((y, q), {}).get("done") for y, q in QUARTERS if (y, q) <= (year, quarter)]
                if any(done):
                    row.status = Progress.Status.ACHIEVED
                elif any(flag is not None for flag in done):
                    row.status = Progress.Status.ON_TRACK
                continue
            target = targets.get(year)
            low = target.min if target else None
            high = target.max if target else None
            if target and target.comparator == Target.Comparator.GROWTH:
                low = actual.get((year - 1, 4))
            row.target_min, row.target_max = low, high
            value = actual[(year, quarter)]
            row.actual = value
            goal = low if low is not None else high
            if indicator.measure == Indicator.Measure.FLOW:
                start = Decimal(0)
            elif indicator.measure == Indicator.Measure.RATIO:
                start = goal
            else:
                previous = targets.get(year - 1)
                start = actual.get((year - 1, 4))
                if start is None and previous is not None:
                    start = previous.min
                if start is None and indicator.measure == Indicator.Measure.CUMULATIVE:
                    start = Decimal(0)
                if start is None:
                    start = baseline.value if baseline else (actual.get((year, 1)) or goal)
            if goal is not None and start is not None:
                row.expected = start + (goal - start) * quarter / FOUR
            if value is None or goal is None:
                row.status = Progress.Status.NO_DATA if value is None else Progress.Status.ON_TRACK
                continue
            row.completion = (value / goal * 100).quantize(Decimal("0.0001")) if goal else None
            if _met(target.comparator, value, low, high):
                row.status = Progress.Status.ACHIEVED
            else:
                increment = goal - start if start is not None and goal != start else goal
                gap = (row.expected - value) / increment * 100 if increment else Decimal(0)
                row.status = (
                    Progress.Status.ON_TRACK
                    if gap < plan.at_risk_from
                    else Progress.Status.AT_RISK
                    if gap < plan.behind_from
                    else Progress.Status.BEHIND
                )
            remaining = (plan.end_year - year) * 4 + (4 - quarter)
            earlier = actual.get((year - 1, quarter))
            if indicator.measure in (Indicator.Measure.FLOW, Indicator.Measure.RATIO):
                row.forecast = value / quarter * 4 if indicator.measure == Indicator.Measure.FLOW else value
            else:
                trend = (value - earlier) / FOUR if earlier is not None else Decimal(0)
                row.forecast = value + trend * remaining
            final_goal = final.min if final is not None else None
            # A flow's final target is the last year's amount: only that year can still be paced to it.
            paced = indicator.measure != Indicator.Measure.FLOW or year == plan.end_year
            paced = paced and indicator.measure != Indicator.Measure.RATIO
            if final_goal is not None and remaining and paced:
                row.needed_per_quarter = max(Decimal(0), (final_goal - value) / remaining)
            for name in ("expected", "forecast", "needed_per_quarter"):
                if getattr(row, name) is not None:
                    setattr(row, name, getattr(row, name).quantize(Decimal("0.0001")))
    return rows


def _timeliness_rows(plan: Plan, now) -> list[Timeliness]:
    owed: dict[int, int] = defaultdict(int)
    for unit_id in Assignment.objects.filter(
        indicator__plan=plan, indicator__computed_from__isnull=True
    ).values_list("unit_id", flat=True):
        owed[unit_id] += 1
    for unit_id in (
        TaskUnit.objects.filter(task__section__plan=plan)
        .exclude(unit__kind=Unit.Kind.GROUP)
        .values_list("unit_id", flat=True)
    ):
        owed[unit_id] += 1
    sent: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for model, plan_lookup in ((Submission, "indicator__plan"), (TaskReport, "task__section__plan")):
        rows = model.objects.filter(**{plan_lookup: plan}).exclude(state=ReviewState.DRAFT)
        fields = ("unit_id", "period_id", "state", "is_late")
        for unit_id, period_id, state, is_late in rows.values_list(*fields):
            counts = sent[(unit_id, period_id)]
            counts["submitted"] += 1
            counts["late"] += is_late
            counts["returned"] += state == ReviewState.RETURNED
            counts["approved"] += state == ReviewState.APPROVED
    periods = [period for period in Period.objects.all() if (period.year, period.quarter) in QUARTERS]
    rows = []
    for unit_id, expected in owed.items():
        for period in periods:
            counts = sent[(unit_id, period.pk)]
            if not counts["submitted"]:
                status = Timeliness.Status.MISSING
            elif counts["returned"]:
                status = Timeliness.Status.RETURNED
            elif counts["late"]:
                status = Timeliness.Status.LATE
            else:
                status = Timeliness.Status.ON_TIME
            rows.append(
                Timeliness(
                    plan=plan,
                    unit_id=unit_id,
                    period=period,
                    expected=expected,
                    submitted=counts["submitted"],
                    on_time=counts["submitted"] - counts["late"],
                    late=counts["late"],
                    returned=counts["returned"],
                    approved=counts["approved"],
                    status=status,
                    computed_at=now,
                )
            )
    return rows
