"""The benchmark's own database on the app's PostgreSQL server: created, migrated and filled by the benchmark,
never the app's database nor the test run's.

The process's default connection is pointed at it (as Django's test runner points it at the test database),
so every service, selector and view the benchmark calls reads and writes the benchmark's rows. A table
`bench_dataset` in it records the dataset it holds: `--keep` reuses a database whose record matches, and a
database without that table is never dropped.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

MARKER = "bench_dataset"  # spelled out in the statements below
SYSTEM = {"postgres", "template0", "template1"}


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise CommandError(
            "基准测试需要 PostgreSQL（COPY、窗口函数和全国规模的数据量）。当前数据库为"
            f" {connection.vendor}：请设置 DATABASE_URL=postgres://用户@主机:5432/库名 后重试"
            "（基准测试会在同一服务器上另建数据库，不会改动该库）。"
        )


def protected_names() -> set[str]:
    """Databases the benchmark must never touch: the app's, the test run's, PostgreSQL's own."""
    current = connection.settings_dict["NAME"]
    test = (connection.settings_dict.get("TEST") or {}).get("NAME") or f"test_{current}"
    return {current, test, *SYSTEM}


def check_name(name: str) -> None:
    settings = connection.settings_dict
    test = (settings.get("TEST") or {}).get("NAME") or f"test_{settings['NAME']}"
    # pytest-xdist gives each worker its own copy of the test database: test_ipcity_gw0, test_ipcity_gw1…
    if name in protected_names() or re.fullmatch(rf"{re.escape(test)}_gw\d+", name):
        raise CommandError(f"数据库“{name}”是应用、测试或 PostgreSQL 自身的数据库，基准测试不能使用它。")
    if not name or len(name) > connection.ops.max_name_length():
        raise CommandError(f"数据库名“{name}”无效。")


def exists(name: str) -> bool:
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def current_name() -> str:
    return connection.settings_dict["NAME"]


def use(name: str) -> None:
    """Point this process's default connection (and settings) at database `name`."""
    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name


def recorded() -> dict[str, Any] | None:
    """The dataset recorded in the database the connection points at; None when it is not a benchmark's."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute("SELECT value FROM bench_dataset WHERE key = 'dataset'")
        row = cursor.fetchone()
    if row is None:
        return {}
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def record(dataset: dict[str, Any]) -> None:
    """Write the dataset's record last: a build that dies midway leaves a database `--keep` will not reuse."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_dataset (key, value) VALUES ('dataset', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(dataset)],
        )


def drop(name: str, *, app: str) -> None:
    """Drop the benchmark database `name` if it exists, only if it is one (it has the marker table); the
    connection is left pointing at `app`."""
    use(app)
    check_name(name)
    if not exists(name):
        return
    use(name)
    found = recorded()
    use(app)
    if found is None:
        raise CommandError(
            f"数据库“{name}”已存在，但不是基准测试建立的（没有 {MARKER} 表），不会删除它。"
            "请用 --database 另选名称。"
        )
    with connection._nodb_cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)).as_string())


def recreate(name: str, *, app: str) -> None:
    """Drop the benchmark database `name` (see `drop`), create it empty with the marker table, migrate it,
    and leave the connection pointing at it."""
    drop(name, app=app)
    with connection._nodb_cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)).as_string())
    use(name)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_dataset (key text PRIMARY KEY, value jsonb NOT NULL)")
    migrate()


def migrate() -> None:
    call_command("migrate", interactive=False, verbosity=0)


def vacuum_analyze(tables: list[str]) -> None:
    """Fresh statistics and visibility maps, as autovacuum would have left a production database."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)).as_string())


def sizes(tables: list[str]) -> dict[str, dict[str, int]]:
    """Bytes of each table's heap (with TOAST) and of its indexes, and the whole database."""
    result = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("SELECT pg_table_size(%s), pg_indexes_size(%s)", [table, table])
            heap, indexes = cursor.fetchone()
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)).as_string())
            result[table] = {"table": heap, "indexes": indexes, "rows": cursor.fetchone()[0]}
        cursor.execute("SELECT pg_database_size(current_database())")
        result["database"] = {"total": cursor.fetchone()[0]}
    return result


def server() -> dict[str, str]:
    """The PostgreSQL server's version and the settings that matter for these figures."""
    names = ["server_version", "shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size",
             "max_connections", "max_parallel_workers_per_gather", "synchronous_commit"]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)", [names])
        found = {name: f"{setting}{'×' + unit if unit else ''}" for name, setting, unit in cursor.fetchall()}
        cursor.execute("SHOW server_version")
        found["server_version"] = cursor.fetchone()[0]
        for name in ("shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size"):
            cursor.execute(sql.SQL("SHOW {}").format(sql.Identifier(name)).as_string())
            found[name] = cursor.fetchone()[0]
    return found
