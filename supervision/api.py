"""督办事项 API: `GET/POST /api/supervision-items/`, `GET /api/supervision-items/{id}/`,
`POST /api/supervision-items/{id}/respond|close|return/`. Scoped as the pages are: a reporter sees the items
its unit leads or helps with (another unit's is a 404) and answers those it leads; leaders and the office
issue; the office closes or returns. Token or session auth."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import REPORTERS, REVIEWERS
from audit.services import TEXT_LIMIT
from indicators.models import Indicator
from ipcity.api import StrictPageNumberPagination
from plans.models import Task, Unit
from reporting.api import ErrorOutput, ServiceApi
from supervision.models import SupervisionItem
from supervision.selectors import items_listed, items_visible
from supervision.services import (
    ISSUERS,
    TITLE_LIMIT,
    About,
    ItemInput,
    item_close,
    item_issue,
    item_respond,
    item_return,
)

STATES = [state for state, _ in SupervisionItem.State.choices]


class FileOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()


class ResponseOutput(serializers.Serializer):
    text = serializers.CharField()
    answered_by = serializers.CharField(source="answered_by.username")
    answered_at = serializers.DateTimeField()
    files = FileOutput(many=True, source="files.all")


class ItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    action = serializers.CharField()
    criteria = serializers.CharField()
    deadline = serializers.DateField()
    state = serializers.ChoiceField(choices=STATES)
    overdue = serializers.SerializerMethodField()
    lead_unit = serializers.IntegerField(source="lead_unit_id")
    lead_unit_name = serializers.CharField(source="lead_unit.name")
    co_units = serializers.SerializerMethodField()
    indicator = serializers.IntegerField(source="indicator_id", allow_null=True)
    task = serializers.IntegerField(source="task_id", allow_null=True)
    unit = serializers.IntegerField(source="unit_id", allow_null=True)
    year = serializers.IntegerField(allow_null=True)
    quarter = serializers.IntegerField(allow_null=True)
    issued_by = serializers.CharField(source="issued_by.username")
    issued_at = serializers.DateTimeField()
    return_reason = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    responses = ResponseOutput(many=True, source="responses.all")

    def get_overdue(self, item) -> bool:
        return item.is_overdue(timezone.localdate())

    def get_co_units(self, item) -> list[int]:
        return [unit.pk for unit in item.co_units.all()]


class ItemCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_LIMIT)
    action = serializers.CharField(max_length=TEXT_LIMIT)
    criteria = serializers.CharField(max_length=TEXT_LIMIT)
    deadline = serializers.DateField()
    lead_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    co_units = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), many=True, required=False)
    indicator = serializers.PrimaryKeyRelatedField(
        queryset=Indicator.objects.all(), required=False, allow_null=True
    )
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all(), required=False, allow_null=True)
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        help_text="迟报单位（须同时给出 year、quarter）",
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False, allow_null=True)
    quarter = serializers.IntegerField(min_value=1, max_value=4, required=False, allow_null=True)


class RespondFields(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_LIMIT)
    version = serializers.IntegerField(required=False, min_value=0)


class RespondInput(RespondFields):
    """The request as documented; the files are read from the upload itself (each checked by the service)."""

    files = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="佐证材料（multipart/form-data，可多个）"
    )


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=0)


class ReturnInput(VersionInput):
    reason = serializers.CharField(max_length=TEXT_LIMIT)


ERRORS = {409: OpenApiResponse(ErrorOutput, description="已被他人处理（版本不符）")}


class ItemPage(StrictPageNumberPagination):
    page_size = 100
    max_page_size = 1000


class ItemApiBase(ServiceApi):
    write_roles: tuple[str, ...] = ISSUERS

    def get_permissions(self):
        # Reads need a login only; so does anything sent to a view that writes nothing (405 to anyone logged
        # in). A view that writes answers its write gate first, whatever the method.
        read_only = not any(hasattr(self, method) for method in ("post", "put", "patch", "delete"))
        if read_only:
            return [permission() for permission in self.permission_classes]
        return super().get_permissions()

    def visible(self, pk: int) -> SupervisionItem:
        return get_object_or_404(items_visible(self.request.user), pk=pk)

    def answer(self, item: SupervisionItem, code: int = status.HTTP_200_OK) -> Response:
        fresh = items_listed(self.request.user).prefetch_related("responses__files", "responses__answered_by")
        return Response(ItemOutput(fresh.get(pk=item.pk)).data, status=code)


@extend_schema(tags=["supervision"])
class ItemListApi(ItemApiBase, ListAPIView):
    """GET: the items the caller may see, open first, then by deadline. POST (leaders, the office): issue
    one."""

    serializer_class = ItemOutput
    pagination_class = ItemPage

    def get_queryset(self):
        return items_listed(self.request.user).prefetch_related("responses__files", "responses__answered_by")

    @extend_schema(summary="督办事项列表（按角色与单位范围）")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="下达督办事项", request=ItemCreateInput, responses={201: ItemOutput})
    def post(self, request):
        data = self.valid(ItemCreateInput)
        about = About(
            indicator=data.get("indicator"), task=data.get("task"), unit=data.get("unit"),
            year=data.get("year"), quarter=data.get("quarter"),
        )  # fmt: skip
        item = item_issue(
            by=request.user,
            data=ItemInput(
                title=data["title"],
                action=data["action"],
                criteria=data["criteria"],
                deadline=data["deadline"],
                lead_unit=data["lead_unit"],
                co_units=list(data.get("co_units", [])),
                about=about,
            ),
        )
        return self.answer(item, status.HTTP_201_CREATED)


@extend_schema(tags=["supervision"])
class ItemDetailApi(ItemApiBase, APIView):
    @extend_schema(summary="一项督办事项（含反馈记录）", responses=ItemOutput)
    def get(self, request, pk: int):
        return self.answer(self.visible(pk))


@extend_schema(tags=["supervision"])
class ItemRespondApi(ItemApiBase, APIView):
    write_roles = REPORTERS

    @extend_schema(
        summary="牵头单位反馈办理情况（可附佐证材料）",
        request=RespondInput,
        responses={200: ItemOutput, **ERRORS},
    )
    def post(self, request, pk: int):
        item = self.visible(pk)
        data = self.valid(RespondFields)
        files = request.FILES.getlist("files")
        if "files" in request.data and not files:
            raise serializers.ValidationError({"files": ["佐证材料须以 multipart/form-data 文件上传。"]})
        item_respond(item=item, by=request.user, text=data["text"], files=files, version=data.get("version"))
        return self.answer(item)


@extend_schema(tags=["supervision"])
class ItemCloseApi(ItemApiBase, APIView):
    write_roles = REVIEWERS

    @extend_schema(summary="办公室核实办结", request=VersionInput, responses={200: ItemOutput, **ERRORS})
    def post(self, request, pk: int):
        item = self.visible(pk)
        data = self.valid(VersionInput)
        item_close(item=item, by=request.user, version=data.get("version"))
        return self.answer(item)


@extend_schema(tags=["supervision"])
class ItemReturnApi(ItemApiBase, APIView):
    write_roles = REVIEWERS

    @extend_schema(
        summary="退回重办（须填写理由）", request=ReturnInput, responses={200: ItemOutput, **ERRORS}
    )
    def post(self, request, pk: int):
        item = self.visible(pk)
        data = self.valid(ReturnInput)
        item_return(item=item, by=request.user, reason=data["reason"], version=data.get("version"))
        return self.answer(item)
