from django.apps import AppConfig


class PlanimportConfig(AppConfig):
    name = "planimport"
    verbose_name = "方案导入"
