"""Health checks for the containers (docker-compose.yml) and for any process supervisor:

    python -m ipcity.healthcheck web    # GET /healthz/ the way the reverse proxy sends it
    python -m ipcity.healthcheck beat   # the scheduler has sent its 5-minute roll-up recently

Exit status 0 when healthy, 1 otherwise, with the reason on stderr. (The worker's check is Celery's own
`celery -A ipcity inspect ping`.)
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import sys
import urllib.parse
from collections.abc import Mapping

# Beat sends `rollup-pending` every 5 minutes; django-celery-beat writes its last run to the database every
# few minutes. Three missed runs mean the scheduler is stuck or gone.
BEAT_ENTRY = "rollup-pending"
BEAT_MAX_AGE = datetime.timedelta(minutes=15)


def probe_host(environ: Mapping[str, str]) -> str:
    """A Host header the app accepts: the first of DJANGO_ALLOWED_HOSTS (a leading dot allows subdomains,
    so the bare domain matches too)."""
    for host in environ.get("DJANGO_ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def probe_headers(environ: Mapping[str, str]) -> dict[str, str]:
    """What the reverse proxy sends: an allowed Host, and X-Forwarded-Proto: https so that production's
    redirect of plain HTTP (SECURE_SSL_REDIRECT) does not answer instead of the app."""
    return {"Host": probe_host(environ), "X-Forwarded-Proto": "https"}


def web(environ: Mapping[str, str] = os.environ, url: str | None = None) -> str | None:
    """None when /healthz/ answers 200 with status ok; else why not. The address is the setting
    IPCITY_HEALTHCHECK_URL (where this machine's gunicorn listens) unless given."""
    if url is None:
        from django.conf import settings

        url = settings.IPCITY_HEALTHCHECK_URL
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=5)
    try:
        connection.request("GET", parts.path or "/", headers=probe_headers(environ))
        response = connection.getresponse()
        body = response.read().decode("utf-8")
        status = json.loads(body).get("status") if response.status == 200 else None
    except (OSError, ValueError) as error:
        return f"{url}: {error}"
    finally:
        connection.close()
    return None if status == "ok" else f"{url}: {response.status} {body[:200]}"


def beat(now: datetime.datetime | None = None) -> str | None:
    """None when beat sent its `rollup-pending` entry within BEAT_MAX_AGE; else why not."""
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    now = now or timezone.now()
    entry = PeriodicTask.objects.filter(name=BEAT_ENTRY).first()
    if entry is None:
        return f"beat has not registered its schedule ({BEAT_ENTRY} is missing)"
    if entry.last_run_at is None or now - entry.last_run_at > BEAT_MAX_AGE:
        return f"beat last sent {BEAT_ENTRY} at {entry.last_run_at}, more than {BEAT_MAX_AGE} ago"
    return None


def main(argv: list[str]) -> int:
    if argv[1:] not in (["web"], ["beat"]):
        print("usage: python -m ipcity.healthcheck web|beat", file=sys.stderr)
        return 2
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipcity.settings.production")
    django.setup()
    problem = web() if argv[1:] == ["web"] else beat()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
