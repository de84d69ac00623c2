"""What every endpoint under /api/ shares: errors in Chinese and as JSON, unknown query parameters refused,
and a schema that documents every error an operation can answer.

Other programs rely on the API (PRODUCT.md); a client that misspells `year` must hear so (400) rather than get
every year's figures, and a client that reads the schema must find there every status code it can receive.
"""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from django.http import Http404
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

NOT_FOUND = "没有找到该数据：不存在，或不在您的查看范围内。"


def exception_handler(exc, context):
    # get_object_or_404 says "No Submission matches the given query." in English and names the model; every
    # 404 of ours says the same Chinese sentence, whether the row is missing or belongs to another unit.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    return drf_exception_handler(exc, context)


# A figure in the API: a decimal string (never rounded on its way), null where there is none.
FIGURE = {"max_digits": 20, "decimal_places": 4, "allow_null": True}


class LiteralNumberJSONParser(JSONParser):
    """JSON whose numbers with a fraction or an exponent, and NaN/Infinity, arrive as the text the client
    sent, for the strict number reading (`ipcity.figures.number_parse`) to judge: as floats, 8e1 would be
    80.0 before anyone could refuse it, and 0.1 + a long tail of digits would be silently rounded.
    Integers stay integers (exact). Malformed JSON is a 400 in Chinese."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.load(codecs.getreader(encoding)(stream), parse_float=str, parse_constant=str)
        except ValueError as error:
            raise exceptions.ParseError(f"JSON格式错误：{error}") from error


class KnownQueryParams:
    """An APIView mixin: a query parameter the view does not read is a 400 naming it, never silently
    ignored. The known ones are the filterset's, the paginator's, `query_params` (those the view reads
    itself) and DRF's `format`."""

    query_params: tuple[str, ...] = ()

    def known_query_params(self) -> set[str]:
        known = {*self.query_params, api_settings.URL_FORMAT_OVERRIDE}
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            known |= set(filterset_class.base_filters)
        paginator = getattr(self, "paginator", None)
        if paginator is not None:
            known |= {paginator.page_query_param, paginator.page_size_query_param} - {None}
        return known

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and permissions first: 401/403 before 400
        unknown = sorted(set(request.query_params) - self.known_query_params())
        if unknown:
            known = "、".join(sorted(self.known_query_params() - {api_settings.URL_FORMAT_OVERRIDE})) or "无"
            raise exceptions.ValidationError(
                {"detail": f"不支持的查询参数：{'、'.join(unknown)}（本接口可用的参数：{known}）。"}
            )


class StrictPageNumberPagination(PageNumberPagination):
    """`page_size` outside 1…max_page_size, or not a number, is a 400 rather than quietly the default."""

    page_size_query_param = "page_size"

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        if not text.isdigit() or not 1 <= int(text) <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"每页条数（page_size）须为 1—{self.max_page_size} 的整数。"]}
            )
        return int(text)


# The answers an operation can give besides its own, described once. A 400 carries either `detail` (a refusal
# by the reporting rules) or the offending fields, each with its messages.
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
DETAIL_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
ERRORS = {
    "400": ("ApiValidationError", ERROR_SCHEMA, "请求无效：参数或数据不符合要求（中文说明）"),
    "401": ("ApiError", DETAIL_SCHEMA, "未登录，或令牌无效（请求头 Authorization: Token …）"),
    "403": ("ApiError", DETAIL_SCHEMA, "角色无权执行此操作"),
    "404": ("ApiError", DETAIL_SCHEMA, "不存在，或不在您的查看范围内"),
    "415": ("ApiError", DETAIL_SCHEMA, "请求体格式不支持（请用 application/json）"),
    "503": (
        "ApiError",
        DETAIL_SCHEMA,
        "数据库暂时不可用或拒绝写入，未保存任何内容；按响应头 Retry-After 的秒数后重试",
    ),
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema plus the errors the view can answer, derived from the view itself: 400, 401
    and 503 everywhere (unknown query parameters, no token, the database failing), 415 where a body is
    read, 403 where a role is required beyond being logged in, 404 where the path names an object or a GET
    is paginated (a page past the end). What a view documents itself wins."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                name, schema, description = ERRORS[code]
                component = ResolvedComponent(
                    name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
                )
                self.registry.register_on_missing(component)
                responses[code] = {
                    "content": {"application/json": {"schema": component.ref}},
                    "description": description,
                }
        return responses

    def _error_codes(self) -> list[str]:
        # 503: ipcity.middleware.DatabaseRefusedMiddleware, for any request the database fails.
        codes = ["400", "401", "503"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("415")
        if any(not isinstance(permission, IsAuthenticated) for permission in self.view.get_permissions()):
            codes.append("403")
        paginated = self.method == "GET" and getattr(self.view, "pagination_class", None) is not None
        if "{" in self.path or paginated:
            codes.append("404")
        return codes
