"""Reads that span indicators' relations."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from indicators.models import Baseline, Indicator, Progress, Target
from plans.models import Plan


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


def progress_for(plan: Plan, year: int, quarter: int, region_id: int | None = None) -> QuerySet[Progress]:
    """The rolled-up progress of a plan's indicators at a quarter, for the plan's own region unless another is
    given, in document order. The progress API, the dashboards and the Excel report all read through this."""
    return (
        Progress.objects.filter(
            plan=plan,
            year=year,
            quarter=quarter,
            region_id=region_id if region_id is not None else plan.region_id,
        )
        .select_related("indicator")
        .order_by("indicator__position", "indicator__code")
    )
