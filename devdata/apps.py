from django.apps import AppConfig


class DevdataConfig(AppConfig):
    """Development only: the demo data of `make run` and the national benchmark.

    No product module imports it."""

    name = "devdata"
    verbose_name = "演示与基准数据"
