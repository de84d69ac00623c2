"""Indicators API.

Progress: `GET /api/plans/{slug}/progress/?year=Y&quarter=Q`, the rolled-up progress of a plan.
Submissions (the quarterly figures): `GET/POST /api/submissions/`, `GET/PATCH /api/submissions/{id}/`,
`POST /api/submissions/{id}/submit|approve|return|reopen/`. Scoped exactly as the pages are: a reporter
sees and writes its own unit's figures only (another unit's is a 404), reviewers review, leaders read.
Figures travel as strings and are judged by `indicators.measures` and the reporting services, as on the page.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import REPORTERS, REVIEWERS, HasRole
from audit.services import TEXT_LIMIT, Conflict
from indicators.measures import api_help, figure_parse
from indicators.models import Indicator
from ipcity.api import FIGURE, KnownQueryParams, LiteralNumberJSONParser, StrictPageNumberPagination
from ipcity.figures import NUMBER_RULES
from reporting.models import Period, ReviewState, Submission
from reporting.selectors import submissions_visible
from reporting.services.entry import FigureInput, figures_save
from reporting.services.review import review_approve, review_reopen, review_return, submission_submit

# ------------------------------------------------------------------------------------------------------------
# Submissions
# ------------------------------------------------------------------------------------------------------------

STATES = [state for state, _ in ReviewState.choices]


class SubmissionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    plan = serializers.SlugField(source="indicator.plan.slug")
    indicator = serializers.SlugField(source="indicator.code")
    indicator_name = serializers.CharField(source="indicator.name")
    measure = serializers.CharField(source="indicator.measure")
    unit = serializers.IntegerField(source="unit_id")
    unit_name = serializers.CharField(source="unit.name")
    year = serializers.IntegerField(source="period.year")
    quarter = serializers.IntegerField(source="period.quarter")
    value = serializers.DecimalField(**FIGURE)
    numerator = serializers.DecimalField(**FIGURE)
    denominator = serializers.DecimalField(**FIGURE)
    done = serializers.BooleanField(allow_null=True)
    note = serializers.CharField()
    state = serializers.ChoiceField(choices=STATES)
    version = serializers.IntegerField()
    is_late = serializers.BooleanField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    return_reason = serializers.CharField()


class ErrorOutput(serializers.Serializer):
    detail = serializers.CharField()


def _number(part: str, unit: str) -> serializers.CharField:
    # A string (or a JSON number, as sent: LiteralNumberJSONParser), parsed by indicators.measures: "3,5",
    # "8e1" or "12件" get the page's messages.
    return serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=40,
        help_text=f"{api_help(part)}{unit}数字写法：{NUMBER_RULES}。",
    )


class FigureInputFields(serializers.Serializer):
    value = _number("value", "计量单位为指标的 unit。")
    numerator = _number("numerator", "")
    denominator = _number("denominator", "")
    done = serializers.BooleanField(required=False, allow_null=True, help_text=api_help("done"))
    note = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_LIMIT)


class SubmissionCreateInput(FigureInputFields):
    plan = serializers.SlugField()
    indicator = serializers.SlugField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)
    version = serializers.IntegerField(required=False, min_value=0)


class SubmissionPatchInput(FigureInputFields):
    version = serializers.IntegerField(min_value=0, help_text="客户端看到的版本号；已被他人修改时返回409")


class SubmitInput(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=0)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_LIMIT)
    version = serializers.IntegerField(required=False, min_value=0)


class SubmissionFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(field_name="period__year", label="年度")
    quarter = django_filters.NumberFilter(field_name="period__quarter", label="季度")
    plan = django_filters.CharFilter(field_name="indicator__plan__slug", label="方案标识")
    indicator = django_filters.CharFilter(field_name="indicator__code", label="指标代码")
    unit = django_filters.NumberFilter(field_name="unit_id", label="填报单位ID")
    state = django_filters.ChoiceFilter(field_name="state", choices=ReviewState.choices, label="状态")

    class Meta:
        model = Submission
        fields = ["year", "quarter", "plan", "indicator", "unit", "state"]


class SubmissionPage(StrictPageNumberPagination):
    page_size = 100
    max_page_size = 1000


class ConflictError(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "数据已被他人修改，请刷新后重试。"


EMPTY_FIGURE = "没有可保存的内容：请填写数值（比率填写分子和分母，定性指标填写是否完成）。"


class Refused(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "请求无效。"


# What every endpoint that writes through a service shares (submissions, 督办事项): the services' errors as
# HTTP answers (a ValidationError → 400 with its Chinese messages, a stale version → 409), and the role
# `write_roles` that every method but a read needs. No docstring: the schema shows a view's own, else
# KnownQueryParams', as before.
class ServiceApi(KnownQueryParams):
    write_roles: tuple[str, ...] = REPORTERS
    parser_classes = [LiteralNumberJSONParser, FormParser, MultiPartParser]

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return super().get_permissions()
        return [HasRole.of(*self.write_roles)()]

    def valid(self, serializer_class) -> dict:
        """The request's body as `serializer_class` reads it; a bad one is answered 400."""
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = Refused(" ".join(exc.messages))
        elif isinstance(exc, Conflict):
            exc = ConflictError(str(exc))
        return super().handle_exception(exc)


class SubmissionApiBase(ServiceApi):
    """What every submissions endpoint shares: the reporting services' errors as HTTP answers (a refused
    figure → 400 with the Chinese messages, a stale version → 409), and the role each method needs."""

    def visible(self, pk: int) -> Submission:
        return get_object_or_404(submissions_visible(self.request.user), pk=pk)

    def answer(self, row: Submission, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            SubmissionOutput(submissions_visible(self.request.user).get(pk=row.pk)).data, status=code
        )


def _save_figure(
    *, indicator: Indicator, unit, period: Period, fields: dict, stored, version, by
) -> list[Submission]:
    """Parse the given parts over what is stored (a PATCH may send only some) and save them as a draft; the
    rows stored, none when a new figure was empty (the reporting services write no empty row)."""
    raw = {
        name: getattr(stored, name) if stored is not None else None
        for name in ("value", "numerator", "denominator", "done", "note")
    }
    raw.update({name: value for name, value in fields.items() if name in raw})
    figure, problems = figure_parse(indicator, raw)
    if problems:
        raise DjangoValidationError(
            {f"indicator-{indicator.pk}": [f"{indicator.name}：{p}" for p in problems]}
        )
    return figures_save(unit=unit, period=period, inputs=[FigureInput(indicator.pk, figure, version)], by=by)


# 400, 401, 403 and 404 are added to every operation that can answer them by ipcity.api.AutoSchema.
ERRORS = {409: OpenApiResponse(ErrorOutput, description="已被他人修改（版本不符）")}


@extend_schema(tags=["submissions"])
class SubmissionListApi(SubmissionApiBase, ListAPIView):
    """GET: the figures the caller may see, newest quarter first. POST (reporters): store the unit's figure
    for an indicator and quarter as a draft — create it, or update it with the `version` last seen."""

    serializer_class = SubmissionOutput
    filterset_class = SubmissionFilter
    pagination_class = SubmissionPage

    def get_queryset(self):
        return submissions_visible(self.request.user).order_by(
            "-period__year", "-period__quarter", "indicator__plan__slug", "indicator__position", "unit__name"
        )

    @extend_schema(summary="指标填报列表（按角色与单位范围）")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="新建或更新本单位的填报草稿",
        request=SubmissionCreateInput,
        responses={201: SubmissionOutput, 200: SubmissionOutput, **ERRORS},
    )
    def post(self, request):
        data = self.valid(SubmissionCreateInput)
        unit = request.user.unit
        indicator = Indicator.objects.filter(plan__slug=data["plan"], code=data["indicator"]).first()
        if indicator is None:
            raise serializers.ValidationError({"indicator": ["该方案中没有此指标。"]})
        period = Period.objects.filter(year=data["year"], quarter=data["quarter"]).first()
        if period is None:
            raise serializers.ValidationError({"quarter": ["没有该填报期。"]})
        stored = Submission.objects.filter(indicator=indicator, unit=unit, period=period).first()
        if stored is not None and "version" not in data:
            raise ConflictError(
                f"本单位{period}已有该指标的填报（版本{stored.version}），更新时请提供 version。"
            )
        rows = _save_figure(
            indicator=indicator, unit=unit, period=period, fields=data, stored=stored,
            version=data.get("version", 0), by=request.user,
        )  # fmt: skip
        if not rows:
            raise Refused(EMPTY_FIGURE)
        return self.answer(rows[0], status.HTTP_200_OK if stored else status.HTTP_201_CREATED)


@extend_schema(tags=["submissions"])
class SubmissionDetailApi(SubmissionApiBase, APIView):
    @extend_schema(summary="一条指标填报", responses=SubmissionOutput)
    def get(self, request, pk: int):
        return self.answer(self.visible(pk))

    @extend_schema(
        summary="修改本单位的填报草稿（须提供看到的版本号）",
        request=SubmissionPatchInput,
        responses={200: SubmissionOutput, **ERRORS},
    )
    def patch(self, request, pk: int):
        row = self.visible(pk)
        data = self.valid(SubmissionPatchInput)
        _save_figure(
            indicator=row.indicator, unit=row.unit, period=row.period, fields=data, stored=row,
            version=data["version"], by=request.user,
        )  # fmt: skip
        return self.answer(row)


@extend_schema(tags=["submissions"])
class SubmissionSubmitApi(SubmissionApiBase, APIView):
    @extend_schema(
        summary="报送一条填报（与整季报送相同的检查）",
        request=SubmitInput,
        responses={200: SubmissionOutput, **ERRORS},
    )
    def post(self, request, pk: int):
        row = self.visible(pk)
        data = self.valid(SubmitInput)
        submission_submit(submission=row, by=request.user, version=data.get("version"))
        return self.answer(row)


class SubmissionReviewApiBase(SubmissionApiBase, APIView):
    write_roles = REVIEWERS


@extend_schema(tags=["submissions"])
class SubmissionApproveApi(SubmissionReviewApiBase):
    @extend_schema(summary="审核通过", request=SubmitInput, responses={200: SubmissionOutput, **ERRORS})
    def post(self, request, pk: int):
        row = self.visible(pk)
        data = self.valid(SubmitInput)
        review_approve(row=row, by=request.user, version=data.get("version"))
        return self.answer(row)


@extend_schema(tags=["submissions"])
class SubmissionReturnApi(SubmissionReviewApiBase):
    @extend_schema(
        summary="退回（须填写理由）", request=ReasonInput, responses={200: SubmissionOutput, **ERRORS}
    )
    def post(self, request, pk: int):
        row = self.visible(pk)
        data = self.valid(ReasonInput)
        review_return(row=row, by=request.user, reason=data["reason"], version=data.get("version"))
        return self.answer(row)


@extend_schema(tags=["submissions"])
class SubmissionReopenApi(SubmissionReviewApiBase):
    @extend_schema(
        summary="重新打开已审核的填报（须填写理由）",
        request=ReasonInput,
        responses={200: SubmissionOutput, **ERRORS},
    )
    def post(self, request, pk: int):
        row = self.visible(pk)
        data = self.valid(ReasonInput)
        review_reopen(row=row, by=request.user, reason=data["reason"], version=data.get("version"))
        return self.answer(row)


# ------------------------------------------------------------------------------------------------------------
# Progress
# ------------------------------------------------------------------------------------------------------------
