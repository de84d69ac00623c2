from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_safe


@require_safe
def healthz(request):
    """Liveness for the load balancer and docker health checks: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
@cache_control(max_age=86400)
def favicon(request):
    """Pages link their icon; the admin and error pages do not, and browsers then ask for /favicon.ico.
    Not a permanent redirect: the static file's hashed name changes with each release."""
    return redirect(static("img/favicon.svg"))
