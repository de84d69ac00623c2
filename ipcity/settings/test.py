"""Tests: PostgreSQL when it answers on its usual port (required under REQUIRE_SERVICES=1), else SQLite."""

from __future__ import annotations

import os
import socket

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import env, redis_backed

REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


if "DATABASE_URL" not in os.environ:
    if _answers("127.0.0.1", 5432):
        DATABASES = {"default": env.db_url_config("postgres://postgres@127.0.0.1:5432/ipcity")}
    elif REQUIRE_SERVICES:
        raise ImproperlyConfigured("REQUIRE_SERVICES=1 but PostgreSQL does not answer on 127.0.0.1:5432")
    else:
        DATABASES = {"default": env.db_url_config("sqlite:///:memory:")}
# Several checkouts may test against one server at once: each names its own test database.
DATABASES["default"]["TEST"] = {"NAME": env.str("IPCITY_TEST_DB", default="test_ipcity")}

# Redis is only for the tests that need a real broker (marked `services`); the rest run Celery eagerly.
TEST_REDIS_URL = env.str("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
REDIS_URL = ""
globals().update(redis_backed(REDIS_URL))

DEBUG = False
SECRET_KEY = "ipcity-test-key"  # noqa: S105  # nosec B105
# The demo world (accounts with a public password) loads only here and under `make run` (local settings).
IPCITY_DEMO_DATA = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
MEDIA_ROOT = VAR_DIR / "test-media"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Static files straight from the finders (plotly.js, Swagger UI, our CSS), no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# pytest-django empties the database after each transactional test: only here may a flush empty the history
# tables (audit/management/commands/flush.py).
AUDIT_ALLOW_FLUSH = True
