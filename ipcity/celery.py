"""The Celery app, configured from Django settings (CELERY_*); with no REDIS_URL tasks run eagerly."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipcity.settings.local")

app = Celery("ipcity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
