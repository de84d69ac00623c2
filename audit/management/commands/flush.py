"""`flush` that empties the history tables too, where the settings allow it (the test settings only).

Django's flush, which pytest-django runs after each transactional test, TRUNCATEs (PostgreSQL) or DELETEs
(SQLite) every table; the audit guard refuses that on history tables. With AUDIT_ALLOW_FLUSH the refusal is
lifted for this database session while the flush runs; without it (production) the flush fails and rolls
back, history tables and all.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from audit.guard import purge_allowed


class Command(flush.Command):
    def handle(self, **options):
        if not getattr(settings, "AUDIT_ALLOW_FLUSH", False):
            return super().handle(**options)
        with purge_allowed(connections[options.get("database") or DEFAULT_DB_ALIAS]):
            return super().handle(**options)
