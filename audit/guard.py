"""The audit trail is append-only in the database itself.

Every django-simple-history table gets triggers that refuse UPDATE, DELETE and TRUNCATE with
审计记录只能追加，不能修改或删除 — whatever issues them: the app, the admin, a shell, a data migration.
The tables come from the app registry (every model with simple-history's fields), and `install` runs after
every migrate, so a history table added later is guarded without anyone remembering to. `audit_record` is
the view the admin's 审计记录 page reads: every history table's rows in one list.

The triggers make no exception the session could grant itself (it once honoured a custom setting,
`SET ipcity.audit_purge = 'on'`, which any role may set). The one deliberate way past them is emptying the
whole database in the test suite (`manage.py flush`, which pytest-django runs after transactional tests):
`purge_allowed` runs the flush with `session_replication_role = replica`, under which PostgreSQL fires no
ordinary trigger — a setting only a superuser may change (the test database's owner is one; the application's
role in production must not be, README 安全). It is used only where settings say AUDIT_ALLOW_FLUSH (the test
settings); anywhere else a flush fails and rolls back whole. On SQLite (development only) the DELETE trigger
asks a function each Django connection registers. A database superuser can still drop triggers: that is what a
separate, non-superuser application role is for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps as global_apps
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

REFUSAL = "审计记录只能追加，不能修改或删除"
VIEW = "audit_record"
TRIGGER = "ipcity_audit_guard"
SQLITE_FUNCTION = "ipcity_audit_purge"
HISTORY_FIELDS = {"history_id", "history_date", "history_type", "history_user", "history_change_reason"}


def history_models(registry: Any = global_apps) -> list[type[models.Model]]:
    """Every simple-history table's model in `registry` (the live one, or a migration's), by table name."""
    found = [
        model
        for model in registry.get_models()
        if model._meta.managed and {field.name for field in model._meta.fields} >= HISTORY_FIELDS
    ]
    return sorted(found, key=lambda model: model._meta.db_table)


def tracked_label(history: type[models.Model]) -> str:
    """'reporting.submission' for HistoricalSubmission: the model whose changes the table records."""
    return f"{history._meta.app_label}.{history._meta.model_name.removeprefix('historical')}"


def install(connection: BaseDatabaseWrapper, history: list[type[models.Model]]) -> None:
    """Guard these history tables and (re)create the view over them. Idempotent."""
    tables = [model._meta.db_table for model in history]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _install_postgresql(cursor, tables)
        elif connection.vendor == "sqlite":
            _install_sqlite(cursor, tables)
        else:  # pragma: no cover - we run on PostgreSQL and SQLite only
            raise NotImplementedError(connection.vendor)
        _install_view(cursor, connection, history)


def _install_postgresql(cursor, tables: list[str]) -> None:
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = '{REFUSAL}',
                DETAIL = format('%s %s', TG_OP, TG_TABLE_NAME);
        END
        $$
        """
    )
    cursor.execute(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname LIKE %s",
        [f"{TRIGGER}%"],
    )
    present = set(cursor.fetchall())
    for table in tables:
        if (table, TRIGGER) not in present:
            cursor.execute(
                f'CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON "{table}" '
                f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()"
            )
        if (table, f"{TRIGGER}_truncate") not in present:
            cursor.execute(
                f'CREATE TRIGGER {TRIGGER}_truncate BEFORE TRUNCATE ON "{table}" '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()"
            )


def _install_sqlite(cursor, tables: list[str]) -> None:
    # SQLite has no session settings: the DELETE trigger asks a function each Django connection registers
    # (on_connection_created). A client without it (the sqlite3 shell) fails on the unknown function: refused.
    for table in tables:
        cursor.execute(
            f'CREATE TRIGGER IF NOT EXISTS "{TRIGGER}_update_{table}" BEFORE UPDATE ON "{table}" '
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )
        cursor.execute(
            f'CREATE TRIGGER IF NOT EXISTS "{TRIGGER}_delete_{table}" BEFORE DELETE ON "{table}" '
            f"WHEN NOT {SQLITE_FUNCTION}() BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )


def _install_view(cursor, connection: BaseDatabaseWrapper, history: list[type[models.Model]]) -> None:
    # Labels and table names come from our own models, never from input.
    columns = (
        "'{label}:' || CAST(history_id AS VARCHAR(20)) AS id, '{label}' AS model, "
        "CAST(id AS VARCHAR(64)) AS object_id, history_id, history_date, history_type, "
        "history_user_id, history_change_reason"
    )
    selects = [
        "SELECT "  # noqa: S608
        + columns.format(label=tracked_label(model))
        + f" FROM {connection.ops.quote_name(model._meta.db_table)}"
        for model in history
    ]
    body = " UNION ALL ".join(selects) or (
        "SELECT '' AS id, '' AS model, '' AS object_id, 0 AS history_id, NULL AS history_date, "
        "'' AS history_type, NULL AS history_user_id, '' AS history_change_reason WHERE 1 = 0"
    )
    cursor.execute(f"DROP VIEW IF EXISTS {VIEW}")
    cursor.execute(f"CREATE VIEW {VIEW} AS {body}")


def guarded_tables(connection: BaseDatabaseWrapper) -> dict[str, set[str]]:
    """For each table with audit triggers, which operations they refuse (for the test that every history
    table is guarded)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgtype FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE %s",
                [f"{TRIGGER}%"],
            )
            # tgtype bits: 8 DELETE, 16 UPDATE, 32 TRUNCATE.
            bits = {8: "DELETE", 16: "UPDATE", 32: "TRUNCATE"}
            guarded: dict[str, set[str]] = {}
            for table, tgtype in cursor.fetchall():
                guarded.setdefault(table, set()).update(op for bit, op in bits.items() if tgtype & bit)
            return guarded
        cursor.execute(
            "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [f"{TRIGGER}%"]
        )
        guarded = {}
        for table, sql in cursor.fetchall():
            ops = {op for op in ("UPDATE", "DELETE") if f"BEFORE {op}" in sql}
            guarded.setdefault(table, set()).update(ops)
        return guarded


def on_pre_migrate(*, using: str = "default", **kwargs: Any) -> None:
    # The view reads every history table: out of the way while migrations drop or rebuild tables (SQLite
    # rebuilds a table to alter it, and refuses a rename that leaves a view pointing nowhere).
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute(f"DROP VIEW IF EXISTS {VIEW}")


def on_post_migrate(*, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    install(connections[using], history_models())


def on_connection_created(*, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_FUNCTION, 0, lambda: int(getattr(connection, "audit_purge_allowed", False))
        )


@contextmanager
def purge_allowed(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let this database session empty history tables while the block runs (the test suite's flush only).
    On PostgreSQL that needs a superuser (session_replication_role): a role that is not one gets a
    permission error here, and nothing is emptied."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    connection.audit_purge_allowed = True
    try:
        yield
    finally:
        connection.audit_purge_allowed = False
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")
