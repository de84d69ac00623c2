"""Production: every secret from the environment (or NAME_FILE), no defaults that could hide a mistake.

`manage.py check --deploy --fail-level WARNING` is clean with these settings; `make test` runs it with dummy
values (see the Makefile), so a setting that weakens the deployment fails the build."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import env, redis_backed

# What the examples and the image build put in the key's place: a copy left unchanged must not go live.
PLACEHOLDER_KEYS = {"change-me-to-a-long-random-string", "build"}


def strong_secret_key(key: str) -> str:
    """The key, if Django's deploy check would accept it (≥ 50 characters, ≥ 5 distinct, not the
    `django-insecure-` prefix startproject writes) and it is not one of our placeholders; else refuse to
    start. Sessions, CSRF tokens and the Excel template's signature all rest on it."""
    if key in PLACEHOLDER_KEYS or len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is too weak: use at least 50 random characters, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    return key


DEBUG = False
SECRET_KEY = strong_secret_key(env.str("DJANGO_SECRET_KEY"))
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A production install runs its roll-ups and exports on a worker: no REDIS_URL is a mistake, not eager mode.
REDIS_URL = env.str("REDIS_URL")
globals().update(redis_backed(REDIS_URL))

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
