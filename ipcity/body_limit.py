"""Refuse a request whose declared body is too large before anything reads it (CSRF, forms and upload
handlers all read the body): the size is known from `Content-Length`, so a 300 MB upload costs nothing."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f}MB"


class BodyLimitMiddleware:
    """413 with a Chinese message (JSON `{"detail": …}` for the API) when `Content-Length` exceeds
    `IPCITY_MAX_REQUEST_BYTES`. First in MIDDLEWARE, so no other layer has read the body yet."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.IPCITY_MAX_REQUEST_BYTES
        size = int(declared) if declared.isdigit() else 0
        if size <= limit:
            return self.get_response(request)
        message = (
            f"本次提交的内容共{_megabytes(size)}，超过单次提交{_megabytes(limit)}的上限，未被接收，也没有保存任何内容。"
            "请减少一次上传的文件数量或压缩文件后重新提交。"
        )
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": message}, status=413)
        else:
            page = render_to_string("503.html", {"title": "提交内容过大", "message": message})
            response = HttpResponse(page, status=413)
        return response
