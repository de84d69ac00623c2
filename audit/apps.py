from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from audit import guard

        # After every migrate (and a test flush) every history table is guarded and the reading view lists
        # them all: a history table added later cannot be left writable, whatever its migration says.
        pre_migrate.connect(guard.on_pre_migrate, sender=self)
        post_migrate.connect(guard.on_post_migrate, sender=self)
        connection_created.connect(guard.on_connection_created)
