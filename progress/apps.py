from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = "汇总进度"

    def ready(self) -> None:
        from progress.selectors import expected_pace
        from reporting.selectors import expected_pace_from

        expected_pace_from(expected_pace)
