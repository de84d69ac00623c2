"""What a user is told when the database refuses a write (disk full, a replica gone read-only after a
failover, the connection lost): every write runs in one transaction, so nothing was kept; they may retry."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import InternalError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
MESSAGE = (
    "数据库暂时无法写入，本次提交的内容没有保存（也没有保存其中一部分）。"
    "请稍后重试；如多次失败，请联系系统管理员。"
)


class DatabaseRefusedMiddleware:
    """Turns a database that refuses or drops a statement into 503 with Retry-After: JSON `{"detail": …}` for
    the API, a Chinese page (drawn without the database) for everything else. Integrity errors are not
    caught: they are bugs or conflicts, not an outage."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InternalError):
            return None
        logger.error("数据库拒绝写入：%s %s", request.method, request.path, exc_info=exception)
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": MESSAGE}, status=503)
        else:
            response = HttpResponse(render_to_string("503.html", {"message": MESSAGE}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


NUL_MESSAGE = "请求参数中含有空字符（NUL，\\x00），已拒绝。请检查链接或筛选条件。"


class RefuseNulMiddleware:
    """A NUL byte in the query string is bad input, never a value to look up: PostgreSQL refuses it in any
    text comparison, which made every admin list filter (and any view filtering on text) a 500. Answered
    400 before any view reads it."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or "\x00" in value for key, value in request.GET.items()):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer to an authenticated user (pages and the API, by session or
    token): a shared computer's browser or a proxy keeps no copy of a unit's figures. Answers that chose their
    own caching (the favicon's redirect) keep it; static files never get here (whitenoise answers first)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True)
        return response


ACTIVITY_KEY = "ipcity_active_at"


def mark_active(request: HttpRequest) -> None:
    """Note in the session that its user was active now (a change: the session is saved, its expiry moved)."""
    request.session[ACTIVITY_KEY] = int(time.time())


class SessionActivityMiddleware:
    """The idle timeout: a logged-in user's request moves the session's expiry (SESSION_COOKIE_AGE from now)
    when the last move is over SESSION_ACTIVITY_SECONDS old — one write per quarter hour of activity rather
    than one per request (SESSION_SAVE_EVERY_REQUEST), so idle means idle to within that. Logging in marks
    the session active (accounts/apps.py)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        # Logged in through this session (an API token's request has none to keep alive).
        if user is not None and user.is_authenticated and session is not None and SESSION_KEY in session:
            last = session.get(ACTIVITY_KEY, 0)
            if time.time() - last >= settings.SESSION_ACTIVITY_SECONDS:
                mark_active(request)
        return response
