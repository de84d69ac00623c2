"""Settings read from the environment: embedded defaults, production strictness, security headers."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


SHOW = (
    "import django, os; django.setup(); from django.conf import settings as s; "
    "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.LANGUAGE_CODE, s.TIME_ZONE)"
)


def test_the_embedded_default_is_sqlite_with_eager_celery_in_chinese():
    result = _run(SHOW, DJANGO_SETTINGS_MODULE="ipcity.settings.local")
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "zh-hans", "Asia/Shanghai"]


def test_a_database_url_and_a_redis_url_switch_to_postgresql_and_a_real_broker():
    result = _run(
        SHOW,
        DJANGO_SETTINGS_MODULE="ipcity.settings.local",
        DATABASE_URL="postgres://u@db:5432/ipcity",
        REDIS_URL="redis://redis:6379/0",
    )
    assert result.stdout.split()[:2] == ["django.db.backends.postgresql", "False"]


STRONG_KEY = secrets.token_urlsafe(50)
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "ipcity.settings.production",
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_ALLOWED_HOSTS": "ipcity.example.cn",
    "DATABASE_URL": "postgres://ipcity@db:5432/ipcity",
    "REDIS_URL": "redis://redis:6379/0",
}
SHOW_PRODUCTION = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(repr(s.SECRET_KEY), s.DATABASES['default']['HOST'], s.CELERY_BROKER_URL, "
    "s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'])"
)


def _production(**changes: str | None) -> subprocess.CompletedProcess:
    env = {**PRODUCTION, **changes}
    return _run(SHOW_PRODUCTION, **{name: value for name, value in env.items() if value is not None})


def test_production_runs_on_postgresql_and_redis_with_no_eager_tasks():
    result = _production()
    redis_cache = "django.core.cache.backends.redis.RedisCache"
    assert result.stdout.split() == [repr(STRONG_KEY), "db", "redis://redis:6379/0", "False", redis_cache]


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
    (tmp_path / "key").write_text(STRONG_KEY + "\n")
    (tmp_path / "db").write_text("postgres://ipcity:pa55@db:5432/ipcity\r\n")
    result = _production(
        DJANGO_SECRET_KEY=None,
        DJANGO_SECRET_KEY_FILE=str(tmp_path / "key"),
        DATABASE_URL=None,
        DATABASE_URL_FILE=str(tmp_path / "db"),
    )
    assert result.stdout.split()[:2] == [repr(STRONG_KEY), "db"], result.stderr


def test_production_is_strict_about_transport_and_cookies():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS, "
        "'csp.middleware.CSPMiddleware' in s.MIDDLEWARE)"
    )
    result = _run(code, **PRODUCTION)
    assert result.stdout.split() == [
        "False",
        "True",
        "31536000",
        "True",
        "True",
        "True",
        "True",
        "DENY",
        "True",
    ]


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**os.environ, **PRODUCTION, "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_make_test_runs_the_deploy_check_and_bandit_before_pytest():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ntest: ")[1].split("\n\n")[0]
    assert recipe.index("security check-deploy") < recipe.index("pytest")
    assert "check --deploy --fail-level WARNING" in makefile


def test_pages_carry_a_content_security_policy_without_inline_scripts(leader_client, plans):
    response = leader_client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "<script>" not in response.content.decode()
    docs = leader_client.get("/api/docs/").content.decode()
    assert "<script>" not in docs  # Swagger UI's own script comes as a file (split view)
