"""What a person or a program sees when a request fails: our Chinese pages, or under /api/ Chinese JSON (a
program reads the answer), never Django's English ones, on every settings module (`make run` included)."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

NO_SUCH_ENDPOINT = "没有这个接口地址，请对照 /api/docs/ 中的接口说明。"
BAD_REQUEST = "请求的地址或内容格式不正确，系统无法处理。"
FORBIDDEN = "您的角色无权进行此操作。"
SERVER_ERROR = "系统处理请求时出错，错误已记入服务器日志，本次操作未完成的内容没有保存。请稍后重试。"


def _for_program(request) -> bool:
    return request.path.startswith("/api/")


def _json(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception):
    """handler400. Only our own `BadRequest` messages are shown: they are written in Chinese for the user;
    Django's (a bad Host header, a broken multipart body) are English and say nothing a user can act on."""
    detail = str(exception) if type(exception) is BadRequest and str(exception) else BAD_REQUEST
    if _for_program(request):
        return _json(detail, 400)
    # Rendered without the request: what was wrong with it may be what a context processor would read.
    return HttpResponse(loader.render_to_string("400.html", {"exception": detail}), status=400)


def permission_denied(request, exception):
    if _for_program(request):
        return _json(str(exception) or FORBIDDEN, 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _for_program(request):
        return _json(NO_SUCH_ENDPOINT, 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _for_program(request):
        return _json(SERVER_ERROR, 500)
    return defaults.server_error(request)


class RefusalsWithoutTraceback:
    """A logging filter: a refused request (4xx: another unit's row, a role without the right, a bad
    parameter) is logged as its one line; only server errors keep their traceback. Django attaches the
    exception to every refusal it logs, so each 403 printed a traceback into the console."""

    def filter(self, record) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
