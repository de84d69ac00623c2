"""Read-only plan API: GET /api/plans/, /api/plans/{slug}/, /api/plans/{slug}/indicators/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView

from indicators.models import Indicator
from indicators.selectors import indicators_with_targets
from ipcity.api import KnownQueryParams
from plans.selectors import plan_get, plan_list, plan_with_tasks


class PlanOutput(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    region = serializers.CharField(source="region.name")
    start_year = serializers.IntegerField()
    end_year = serializers.IntegerField()
    issuer = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)


class TaskUnitOutput(serializers.Serializer):
    name = serializers.CharField(source="unit.name")
    role = serializers.ChoiceField(choices=["lead", "co"])


class TaskOutput(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField()
    units = TaskUnitOutput(many=True, source="task_units")


class SectionOutput(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    tasks = TaskOutput(many=True)


class PlanDetailOutput(PlanOutput):
    goals = serializers.CharField()
    sections = SectionOutput(many=True)


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


class IndicatorOutput(serializers.Serializer):
    code = serializers.SlugField()
    name = serializers.CharField()
    unit = serializers.CharField()
    measure = serializers.ChoiceField(
        choices=["stock", "flow", "cumulative", "ratio", "per_capita", "milestone"]
    )
    category = serializers.ChoiceField(
        choices=["creation", "utilization", "protection", "management", "service", "talent", "overall"]
    )
    baseline = serializers.SerializerMethodField()
    targets = TargetOutput(many=True)

    @extend_schema(responses=BaselineOutput(allow_null=True))
    def get_baseline(self, indicator) -> dict | None:
        # The prefetched baselines are newest first: the latest one is what progress is measured from.
        latest = next(iter(indicator.baselines.all()), None)
        return BaselineOutput(latest).data if latest else None


@extend_schema(summary="方案列表", tags=["plans"])
class PlanListApi(KnownQueryParams, ListAPIView):
    serializer_class = PlanOutput
    pagination_class = None

    def get_queryset(self):
        return plan_list()


@extend_schema(summary="方案详情：板块、任务与责任单位", tags=["plans"])
class PlanDetailApi(KnownQueryParams, RetrieveAPIView):
    serializer_class = PlanDetailOutput

    def get_object(self):
        return plan_with_tasks(self.kwargs["slug"])


@extend_schema(summary="方案指标：基期值与分年度目标", tags=["plans"])
class PlanIndicatorsApi(KnownQueryParams, ListAPIView):
    serializer_class = IndicatorOutput
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Indicator.objects.none()
        return indicators_with_targets(plan_get(self.kwargs["slug"]))
