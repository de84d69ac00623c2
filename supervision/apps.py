from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "督查督办"

    def ready(self) -> None:
        # Registered in every process (Celery discovers task modules lazily; beat and the web send by name).
        from supervision import tasks  # noqa: F401
