"""Reads that span indicators' relations."""

from __future__ import annotations

from django.db.models import Case, Prefetch, QuerySet, When

from indicators.models import Baseline, Indicator, Population, Target
from plans.models import Plan, Region
from plans.selectors import plan_regions


def indicators_with_targets(plan: Plan | None = None) -> QuerySet[Indicator]:
    """Indicators in document order, each with targets by year and baselines newest first."""
    rows = Indicator.objects.all() if plan is None else Indicator.objects.filter(plan=plan)
    return (
        rows.select_related("computed_from")
        .prefetch_related(
            Prefetch("targets", queryset=Target.objects.order_by("year")),
            Prefetch("baselines", queryset=Baseline.objects.order_by("-year")),
        )
        .order_by("plan", "position", "code")
    )


def indicators_by_definition(plan: Plan | None = None) -> QuerySet[Indicator]:
    """Indicators with their definitions for the office: 待确认 first, then by plan in document order, each
    with its plan and baselines newest first."""
    rows = Indicator.objects.all() if plan is None else Indicator.objects.filter(plan=plan)
    pending_first = Case(When(definition_state=Indicator.DefinitionState.PENDING, then=0), default=1)
    return (
        rows.select_related("plan")
        .prefetch_related(Prefetch("baselines", queryset=Baseline.objects.order_by("-year")))
        .order_by(pending_first, "plan__slug", "position", "code")
    )


def population_grid(plan: Plan, years: range) -> list[tuple[Region, list[tuple[int, Population | None]]]]:
    """Each region of the plan (`plans.selectors.plan_regions`) with (year, population) for each of `years`,
    the population None where none is stored. Two queries whatever the number of regions and years."""
    regions = plan_regions(plan)
    rows = Population.objects.filter(region__in=regions, year__in=years)
    by_key = {(row.region_id, row.year): row for row in rows}
    return [(region, [(year, by_key.get((region.pk, year))) for year in years]) for region in regions]


def indicators_with_milestones(plan: Plan) -> QuerySet[Indicator]:
    """A plan's indicators in document order with their plan, targets by year and baselines (for
    `Indicator.targets_by_year` and `Target.text` without a query per row)."""
    return indicators_with_targets(plan).select_related("plan")
