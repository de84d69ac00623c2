"""`GET /api/plans/{slug}/ranking/?year=Y&quarter=Q`: the plan's 目标考核 ranking for a quarter, or for the
whole year without `quarter`; each unit with its score and every part of it, weight and what it stands on.
For the office and leaders (a reporter is refused: the ranking names every unit)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import READERS, HasRole
from assessment.selectors import part_rows, ranking
from ipcity.api import FIGURE, KnownQueryParams
from plans.selectors import plan_get
from progress.api import PLAN_YEAR, ProgressInput

QUARTER_ERROR = "季度（quarter）须为 1—4 的整数；不填即为全年。"


class RankingInput(ProgressInput):
    """The progress API's year and plan-period check; the quarter may be left out (the whole year)."""

    quarter = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=4,
        error_messages={"invalid": QUARTER_ERROR, "min_value": QUARTER_ERROR, "max_value": QUARTER_ERROR},
    )


class PartOutput(serializers.Serializer):
    weight = serializers.IntegerField(min_value=0, max_value=100, help_text="办公室为本方案设定的权重")
    score = serializers.DecimalField(**FIGURE, help_text="本项得分（0—100）；不适用于该单位时为 null")
    basis = serializers.CharField(help_text="本项得分依据的数据，如“应报6项：按时5，逾期1，未报送0”")


class RankingPartsOutput(serializers.Serializer):
    results = PartOutput(help_text="指标成效：本单位已审核指标数据对照序时进度")
    tasks = PartOutput(help_text="任务推进：本期已审核的任务进展状态")
    timeliness = PartOutput(help_text="报送及时：按时、逾期、未报送")
    quality = PartOutput(help_text="数据质量：被退回的比例")


class RankingOutput(serializers.Serializer):
    unit = serializers.CharField(help_text="责任单位名称")
    rank = serializers.IntegerField(
        allow_null=True, min_value=1, help_text="名次（并列同名次）；未排名为 null"
    )
    score = serializers.DecimalField(**FIGURE, help_text="综合得分：适用各项得分按权重的加权平均")
    state = serializers.ChoiceField(
        choices=[("ranked", "已排名"), ("pending", "数据待审核或已退回，暂不排名")],
        help_text="ranked 已排名；pending 本期尚有数据待审核或已退回（或无可计分项），不排名",
    )
    parts = RankingPartsOutput()


@extend_schema(
    summary="目标考核：各责任单位某季度或全年的综合得分、名次及各分项",
    tags=["plans"],
    parameters=[
        PLAN_YEAR,
        OpenApiParameter("quarter", int, required=False, description="季度，1—4；不填为全年"),
    ],
    responses=RankingOutput(many=True),
)
class PlanRankingApi(KnownQueryParams, APIView):
    """目标考核排名：年度必填；季度不填即为全年。未到截止日的季度不排名（返回空列表）；本期尚有数据待审核或已退回的
    单位列在最后，名次和综合得分为 null。"""

    permission_classes = [HasRole.of(*READERS)]
    query_params = ("year", "quarter")

    def get(self, request, slug: str):
        plan = plan_get(slug)
        query = RankingInput(data=request.query_params, context={"plan": plan})
        query.is_valid(raise_exception=True)
        result = ranking(plan, query.validated_data["year"], query.validated_data.get("quarter"))
        rows = [
            {
                "unit": unit.unit,
                "rank": unit.rank,
                "score": unit.score,
                "state": unit.state,
                "parts": {
                    row.part: {"weight": row.weight, "score": row.score, "basis": row.basis}
                    for row in part_rows(result, unit)
                },
            }
            for unit in result.units
        ]
        return Response(RankingOutput(rows, many=True).data)
