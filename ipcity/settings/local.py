"""The embedded default for `make run`: SQLite, eager Celery, console email. Debug pages are off, so a
newcomer sees the Chinese error pages and JSON errors users see (DJANGO_DEBUG=1 turns Django's on)."""

from __future__ import annotations

from .base import *
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# A development-only key; production.py refuses to start without DJANGO_SECRET_KEY.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="ipcity-local-development-key-not-for-production")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Static files straight from the finders (plotly.js, Swagger UI, our CSS), no collectstatic needed.
WHITENOISE_USE_FINDERS = True
# `make run` loads the demo world: accounts with a public password, refused under any other settings.
IPCITY_DEMO_DATA = True
WHITENOISE_AUTOREFRESH = True
