"""Read-only plan API: GET /api/plans/, /api/plans/{slug}/, /api/plans/{slug}/indicators/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from indicators.measures import MEASURES
from indicators.models import Indicator
from indicators.selectors import indicators_with_targets
from ipcity.api import KnownQueryParams
from plans.selectors import plan_get


class BaselineOutput(serializers.Serializer):
    year = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=20, decimal_places=4)
    source = serializers.CharField()


class TargetOutput(serializers.Serializer):
    year = serializers.IntegerField()
    comparator = serializers.ChoiceField(choices=["gte", "gt", "between", "lte", "growth", "done"])
    min = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    max = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    origin = serializers.ChoiceField(choices=["document", "derived", "office"])
    source = serializers.CharField()


class DefinitionOutput(serializers.Serializer):
    """The indicator's definition (口径): `pending` (待确认) until the office confirms the reading, with the
    open `question` (empty once confirmed)."""

    text = serializers.CharField(source="definition")
    counts_from = serializers.CharField()
    source = serializers.CharField(source="definition_source")
    pending = serializers.BooleanField(source="definition_pending")
    question = serializers.SerializerMethodField()
    comparable_key = serializers.CharField()

    def get_question(self, indicator) -> str:
        return indicator.definition_question if indicator.definition_pending else ""


class IndicatorOutput(serializers.Serializer):
    code = serializers.SlugField()
    name = serializers.CharField()
    unit = serializers.CharField()
    measure = serializers.ChoiceField(choices=list(MEASURES))
    category = serializers.ChoiceField(
        choices=["creation", "utilization", "protection", "management", "service", "talent", "overall"]
    )
    baseline = serializers.SerializerMethodField()
    targets = TargetOutput(many=True)
    definition = DefinitionOutput(source="*")

    @extend_schema(responses=BaselineOutput(allow_null=True))
    def get_baseline(self, indicator) -> dict | None:
        # The prefetched baselines are newest first: the latest one is what progress is measured from.
        latest = next(iter(indicator.baselines.all()), None)
        return BaselineOutput(latest).data if latest else None


@extend_schema(summary="方案指标：基期值与分年度目标", tags=["plans"])
class PlanIndicatorsApi(KnownQueryParams, ListAPIView):
    serializer_class = IndicatorOutput
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Indicator.objects.none()
        return indicators_with_targets(plan_get(self.kwargs["slug"]))
