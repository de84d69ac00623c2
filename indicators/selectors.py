"""Reads that span indicators' relations."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from indicators.models import Baseline, Indicator, Target
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
