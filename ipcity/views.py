from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_safe

# A file every page links: if its URL or its collected copy is missing, every page fails.
STATIC_PROBE = "css/ipcity.css"
NOT_COLLECTED = (
    "静态文件未收集（static files not collected）：请运行 python manage.py collectstatic --noinput，"
    "否则每个页面都会出错。"
)


def static_problem() -> str | None:
    """Why pages cannot be drawn for want of static files, or None. Where static files come from the finders
    (local and test settings) there is nothing to collect; otherwise (production) the manifest must name the
    probe file and STATIC_ROOT must hold it."""
    if getattr(settings, "WHITENOISE_USE_FINDERS", False):
        return None
    try:
        staticfiles_storage.url(STATIC_PROBE)  # a manifest storage without its manifest entry: ValueError
    except ValueError:
        return NOT_COLLECTED
    return None if staticfiles_storage.exists(STATIC_PROBE) else NOT_COLLECTED


@require_safe
def healthz(request):
    """Liveness for the load balancer and docker health checks: the process answers, the database too, and
    the static files every page needs were collected (503 with the reason when not)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    problem = static_problem()
    if problem:
        return JsonResponse(
            {"status": "error", "detail": problem}, status=503, json_dumps_params={"ensure_ascii": False}
        )
    return JsonResponse({"status": "ok"})


@require_GET
@cache_control(max_age=86400)
def favicon(request):
    """Pages link their icon; the admin and error pages do not, and browsers then ask for /favicon.ico.
    Not a permanent redirect: the static file's hashed name changes with each release."""
    return redirect(static("img/favicon.svg"))
