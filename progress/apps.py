from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = "汇总进度"

    def ready(self) -> None:
        # The roll-up's tasks are registered in every process, not only in a worker (Celery discovers task
        # modules lazily): the web process sends `progress.rollup_pending` by name after an approval.
        from progress import tasks  # noqa: F401
        from progress.selectors import expected_pace
        from reporting.selectors import expected_pace_from

        expected_pace_from(expected_pace)
