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


def test_production_refuses_to_start_without_a_secret_key():
    result = _run(SHOW, DJANGO_SETTINGS_MODULE="ipcity.settings.production", DJANGO_ALLOWED_HOSTS="x")
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_production_reads_secrets_from_files(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(secrets.token_urlsafe(50))
    code = "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY)"
    result = _run(
        code,
        DJANGO_SETTINGS_MODULE="ipcity.settings.production",
        DJANGO_SECRET_KEY_FILE=str(secret),
        DJANGO_ALLOWED_HOSTS="ipcity.example.cn",
        DATABASE_URL="sqlite:////tmp/x.sqlite3",
    )
    assert result.stdout.strip() == secret.read_text()


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ipcity.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "ipcity.example.cn",
            "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
        },
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
    assert "<script>" not in response.content.decode()
    docs = leader_client.get("/api/docs/").content.decode()
    assert "<script>" not in docs  # Swagger UI's own script comes as a file (split view)
