"""Settings read from the environment: embedded defaults, production strictness, security headers."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing

from tests.page import seen

ROOT = Path(settings.BASE_DIR)


def _run(code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


# What a process started with some settings does: where a task runs, which database and cache it talks to
# (connecting only with `connect`: the embedded default's file under var/ is a developer's), in what language
# and time zone it speaks.
PROBE = """
import datetime, json, os, sys
import django
django.setup()
from django import forms
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from ipcity.celery import app

@app.task
def where():
    return os.getpid()

seen = {"vendor": connection.vendor}
try:
    seen["task"] = "here" if where.delay().get(timeout=5) == os.getpid() else "elsewhere"
except Exception as error:
    seen["task"] = f"not sent: {error}"
if "connect" in sys.argv:
    try:
        connection.ensure_connection()
        seen["database"] = "connected"
    except Exception as error:
        seen["database"] = str(error)
    try:
        cache.set("probe", 1)
        seen["cache"] = "stored"
    except Exception as error:
        seen["cache"] = str(error)
try:
    forms.IntegerField().clean("x")
except forms.ValidationError as error:
    seen["message"] = error.messages[0]
new_year = timezone.localtime(datetime.datetime(2025, 12, 31, 16, 30, tzinfo=datetime.UTC))
seen["new_year"] = new_year.date().isoformat()
print(json.dumps(seen))
"""


def _probe(*args: str, **env: str) -> dict:
    result = _run(PROBE, *args, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_with_nothing_set_tasks_run_in_process_on_sqlite_in_chinese_and_shanghai_time():
    seen = _probe(DJANGO_SETTINGS_MODULE="ipcity.settings.local")
    assert seen["task"] == "here"  # no broker needed: `make run` has none
    assert seen["vendor"] == "sqlite"
    assert seen["message"] == "输入整数。"
    assert seen["new_year"] == "2026-01-01"  # 16:30 UTC on New Year's Eve is already 2026 in Shanghai


NOTHING_LISTENS = "127.0.0.1:1"  # port 1: a refused connection, at once


def test_a_database_url_and_a_redis_url_send_queries_tasks_and_the_cache_to_those_servers():
    seen = _probe(
        "connect",
        DJANGO_SETTINGS_MODULE="ipcity.settings.local",
        DATABASE_URL=f"postgres://u@{NOTHING_LISTENS}/ipcity",
        REDIS_URL=f"redis://{NOTHING_LISTENS}/0",
    )
    assert seen["vendor"] == "postgresql" and "port 1 failed" in seen["database"]
    assert seen["task"].startswith("not sent")  # to the broker, not run in this process
    assert "127.0.0.1:1" in seen["cache"]


STRONG_KEY = secrets.token_urlsafe(50)
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "ipcity.settings.production",
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_ALLOWED_HOSTS": "ipcity.example.cn",
    "DATABASE_URL": "sqlite:///:memory:",
    "REDIS_URL": f"redis://{NOTHING_LISTENS}/0",
}


def _production(code: str = "import django; django.setup()", **changes: str | None):
    env = {**PRODUCTION, **changes}
    return _run(code, **{name: value for name, value in env.items() if value is not None})


def test_production_sends_tasks_and_the_cache_to_redis_never_running_a_task_in_the_web_process():
    seen = _probe("connect", **PRODUCTION)
    assert seen["task"].startswith("not sent") and "127.0.0.1:1" in seen["cache"]


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]
)
def test_production_refuses_to_start_without_each_required_setting(missing):
    result = _production(**{missing: None})
    assert result.returncode != 0 and f"Set the {missing} environment variable" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "short-key",
        "change-me-to-a-long-random-string",
        "django-insecure-" + secrets.token_urlsafe(50),
        "ab" * 30,
    ],
    ids=["short", "the-example", "startproject", "few-distinct"],
)
def test_production_refuses_a_weak_secret_key(key):
    result = _production(DJANGO_SECRET_KEY=key)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY is too weak" in result.stderr


def test_production_reads_secrets_from_files_without_their_trailing_newline(tmp_path):
    """A key file written by an editor or `echo` ends in a line break: sessions and signed templates must
    still verify against the key itself, and the database URL must name the database, not `db\\r\\n`."""
    (tmp_path / "key").write_text(STRONG_KEY + "\n")
    (tmp_path / "db").write_text(f"sqlite:///{tmp_path / 'ipcity.sqlite3'}\r\n")
    code = (
        "import os, django; django.setup(); from django.core import signing; "
        "from django.db import connection; connection.ensure_connection(); "
        "print(signing.loads(os.environ['SIGNED']))"
    )
    result = _production(
        code,
        SIGNED=signing.dumps("reporter_a", key=STRONG_KEY),
        DJANGO_SECRET_KEY=None,
        DJANGO_SECRET_KEY_FILE=str(tmp_path / "key"),
        DATABASE_URL=None,
        DATABASE_URL_FILE=str(tmp_path / "db"),
    )
    assert result.stdout.split() == ["reporter_a"], result.stderr
    assert [path.name for path in tmp_path.glob("ipcity*")] == ["ipcity.sqlite3"]


# A request through production's whole middleware stack (/healthz/ needs no template; it checks that the
# static files were collected, so a two-file collection stands in: the error page a stranger host gets
# links the stylesheet and the favicon), and the cookies Django's session and CSRF
# middleware issue under production's settings.
THROUGH_THE_STACK = """
import json
import pathlib
import tempfile
import django
django.setup()
from django.conf import settings
root = pathlib.Path(tempfile.mkdtemp())
paths = {"css/ipcity.css": "css/ipcity.css", "img/favicon.svg": "img/favicon.svg"}  # what error pages use
for name in paths:
    (root / name).parent.mkdir(exist_ok=True)
    (root / name).write_text("")
manifest = {"version": "1.1", "hash": "", "paths": paths}
(root / "staticfiles.json").write_text(json.dumps(manifest))
settings.STATIC_ROOT = str(root)
from django.core import signing
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import Client, RequestFactory

with connection.schema_editor() as editor:
    editor.create_model(Session)
client = Client()
plain = client.get("/healthz/", HTTP_HOST="ipcity.example.cn")
proxied = client.get("/healthz/", HTTP_HOST="ipcity.example.cn", HTTP_X_FORWARDED_PROTO="https")
stranger = client.get("/healthz/", HTTP_HOST="evil.example", HTTP_X_FORWARDED_PROTO="https")

def signed_in(request):
    request.session["user"] = 1
    get_token(request)
    return HttpResponse()

issued = SessionMiddleware(CsrfViewMiddleware(signed_in))(RequestFactory().get("/", secure=True)).cookies
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "proxied": [proxied.status_code, dict(proxied.items())],
    "stranger": stranger.status_code,
    "cookies": {name: [bool(c["secure"]), bool(c["httponly"])] for name, c in issued.items()},
}))
"""


def test_production_answers_only_over_https_with_strict_headers_and_secure_cookies():
    result = _production(THROUGH_THE_STACK)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["plain"] == [301, "https://ipcity.example.cn/healthz/"]
    assert seen["stranger"] == 400  # a Host the site does not serve
    status, headers = seen["proxied"]
    assert status == 200
    hsts = dict(part.partition("=")[::2] for part in headers["Strict-Transport-Security"].split("; "))
    assert int(hsts["max-age"]) >= 365 * 24 * 3600 and "includeSubDomains" in hsts
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert seen["cookies"] == {"sessionid": [True, True], "csrftoken": [True, False]}  # secure, httponly


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings():
    """DEBUG off, a strong key, HTTPS only, secure cookies: Django's own deploy checklist, warnings fail."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**os.environ, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_carry_a_content_security_policy_without_inline_scripts(leader_client, plans):
    response = leader_client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert seen(response).scripts_inline() == []
    docs = seen(leader_client.get("/api/docs/"))
    assert docs.scripts_inline() == []  # Swagger UI's own script comes as a file (split view)
