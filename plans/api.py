"""Read-only plan API: GET /api/plans/, /api/plans/{slug}/, /api/plans/{slug}/indicators/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView

from ipcity.api import KnownQueryParams
from plans.selectors import plan_list, plan_with_tasks


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
