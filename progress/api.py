"""The progress API: `GET /api/plans/{slug}/progress/?year=Y&quarter=Q`, a plan's rolled-up progress at a
quarter in its own region, one row per indicator, read from the roll-up's table (never raw submissions).
Every role may read it; figures travel as decimal strings so none is rounded on its way, and each with what
it stands on: the quarter's coverage and the last quarter through which every owed figure is approved."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ipcity.api import FIGURE, KnownQueryParams
from plans.selectors import plan_get
from progress.models import Progress
from progress.selectors import progress_for

# The year a plan's figures are asked for, as the APIs that take ProgressInput document it.
PLAN_YEAR = OpenApiParameter("year", int, required=True, description="年度，须在方案实施期内")


class ProgressInput(serializers.Serializer):
    year = serializers.IntegerField(
        error_messages={
            "required": "请提供年度（year），例如 year=2025。",
            "invalid": "年度（year）须为整数，例如 2025。",
            "null": "请提供年度（year），例如 year=2025。",
        }
    )
    quarter = serializers.IntegerField(
        min_value=1,
        max_value=4,
        error_messages={
            "required": "请提供季度（quarter），取值 1—4。",
            "invalid": "季度（quarter）须为 1—4 的整数。",
            "min_value": "季度（quarter）须为 1—4 的整数。",
            "max_value": "季度（quarter）须为 1—4 的整数。",
        },
    )

    def validate_year(self, year: int) -> int:
        plan = self.context["plan"]
        if not plan.start_year <= year <= plan.end_year:
            raise serializers.ValidationError(
                f"年度（year）须在方案实施期 {plan.start_year}—{plan.end_year} 年之内。"
            )
        return year


class CoverageOutput(serializers.Serializer):
    owed = serializers.IntegerField(min_value=0, help_text="应报送该指标本季度数据的单位数")
    approved = serializers.IntegerField(min_value=0, help_text="其中已审核的单位数")
    awaiting_review = serializers.IntegerField(min_value=0, help_text="其中已报送、待审核的单位数")
    returned = serializers.IntegerField(min_value=0, help_text="其中被退回待修改的单位数")
    missing = serializers.IntegerField(
        min_value=0,
        help_text="其中截止日期（含办公室批准的例外开放期）已过仍未报送的单位数；其余为未到截止日",
    )


class QuarterOutput(serializers.Serializer):
    year = serializers.IntegerField()
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class ProgressOutput(serializers.Serializer):
    indicator = serializers.SlugField(source="indicator.code")
    name = serializers.CharField(source="indicator.name")
    year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    actual = serializers.DecimalField(**FIGURE)
    target_min = serializers.DecimalField(**FIGURE)
    target_max = serializers.DecimalField(**FIGURE)
    completion = serializers.DecimalField(**FIGURE, help_text="完成率（%），相对当年目标")
    expected = serializers.DecimalField(**FIGURE, help_text="序时进度值")
    status = serializers.ChoiceField(choices=Progress.Status.choices)
    forecast = serializers.DecimalField(**FIGURE, help_text="按近期趋势预计的期末值")
    needed_per_quarter = serializers.DecimalField(**FIGURE, help_text="达成目标剩余每季度需完成")
    forecast_basis = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        max_value=4,
        help_text="预计值和剩余每季度需完成所依据的当年完整季度数（如 2 即按前2个季度推算）；均无则为 null",
    )
    coverage = CoverageOutput(
        help_text="本季度数据覆盖情况：应报、已审核、待审核、已退回、逾期未报送的单位数"
    )
    complete_through = QuarterOutput(
        allow_null=True,
        help_text="数据完整截至的季度：自方案起始至该季度，每个应报数据均已审核；起始季度即不完整则为 null。"
        "早于本季度时，本季度的实际值和状态为暂定",
    )


@extend_schema(
    summary="方案进度：各指标某季度的实际值、目标、完成率、序时进度、状态与预计",
    tags=["plans"],
    parameters=[
        PLAN_YEAR,
        OpenApiParameter("quarter", int, required=True, description="季度，1—4"),
    ],
    responses=ProgressOutput(many=True),
)
class PlanProgressApi(KnownQueryParams, APIView):
    query_params = ("year", "quarter")

    def get(self, request, slug: str):
        plan = plan_get(slug)
        query = ProgressInput(data=request.query_params, context={"plan": plan})
        query.is_valid(raise_exception=True)
        rows = progress_for(plan, query.validated_data["year"], query.validated_data["quarter"])
        return Response(ProgressOutput(rows, many=True).data)
