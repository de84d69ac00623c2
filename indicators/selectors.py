"""Reads that span indicators' relations."""

from __future__ import annotations

from django.db.models import Case, Prefetch, QuerySet, When

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
