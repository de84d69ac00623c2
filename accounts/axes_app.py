"""django-axes under its Chinese name in the admin (Django's documented way to rename a third-party app:
an AppConfig subclass named in INSTALLED_APPS). Its field and model names come from locale/zh_Hans."""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig


class LockoutAppConfig(AxesAppConfig):
    verbose_name = "登录锁定"
