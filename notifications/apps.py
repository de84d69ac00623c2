from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "消息通知"

    def ready(self) -> None:
        # Registered in every process (Celery discovers task modules lazily; beat and the web send by name).
        from notifications import tasks  # noqa: F401
