"""`manage.py bench` end to end at a tiny scale, in its own database named after the test database (so that
parallel checkouts do not collide): every measure comes out with numbers, in the table and in the JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.services

MEASURES = {
    "rollup_full",
    "rollup_full_first",
    "rollup_incremental",
    "overview_queries",
    "overview_time",
    "api_queries",
    "api_time",
    "export_time",
    "export_memory",
    "import_time",
    "approval_to_dashboard",
    "load_save_p95",
    "load_submit_p95",
    "load_errors",
    "load_stored_once",
}


def _bench(*args: str, **env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ipcity.settings.test", **env}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "bench", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )


@pytest.fixture
def bench_database():
    if connection.vendor != "postgresql":
        if settings.REQUIRE_SERVICES:
            pytest.fail("REQUIRE_SERVICES=1 but the tests do not run on PostgreSQL")
        pytest.skip("manage.py bench needs PostgreSQL")
    return f"{settings.DATABASES['default']['TEST']['NAME']}_bench"


def test_it_measures_everything_at_a_tiny_scale(bench_database, tmp_path):
    out = tmp_path / "bench.json"
    args = ["--scale", "0.001", "--repeat", "2", "--database", bench_database, "--json", str(out), "--drop"]
    # the live sections (gunicorn, a Celery worker) small: 3 reporters for 20 s, 2 approvals; test Redis db
    redis_db = settings.TEST_REDIS_URL.rsplit("/", 1)[-1]
    args += ["--load-clients", "3", "--load-seconds", "20", "--approvals", "2", "--web-workers", "2"]
    args += ["--load-redis-db", redis_db, "--approval-redis-db", redis_db]
    result = _bench(*args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    figures = json.loads(out.read_text(encoding="utf-8"))
    measures = {measure["key"]: measure for measure in figures["measures"]}
    assert set(measures) == MEASURES
    assert [row["kind"] for row in measures["load_save_p95"]["by_kind"]][-1] == "基线（改密码页）"
    for key, measure in measures.items():
        for field in ("ours", "baseline", "ratio"):
            assert isinstance(measure[field], int | float), (key, field, measure)
        assert isinstance(measure["met"], bool) and not measure["error"], (key, measure)
    assert figures["dataset"]["submissions"]["full"] == 3 * 38 * 12
    assert figures["sizes"]["indicators_submission"]["table"] > 0
    assert figures["machine"]["cores"] and figures["postgresql"]["server_version"]
    for key in MEASURES:
        assert key in result.stdout  # the table
    assert Path(out).stat().st_size > 0


def test_only_measures_the_parts_asked_for(bench_database, tmp_path):
    out = tmp_path / "bench.json"
    args = ["--scale", "0.001", "--repeat", "1", "--database", bench_database, "--json", str(out), "--drop"]
    result = _bench(*args, "--only", "rollup", "--only", "import", "--load-clients", "0", "--approvals", "0")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    keys = {measure["key"] for measure in json.loads(out.read_text(encoding="utf-8"))["measures"]}
    assert keys == {"rollup_full", "rollup_full_first", "rollup_incremental", "import_time"}
    assert "测量：Excel导出" not in result.stdout and "测量：汇总" in result.stdout


def test_it_refuses_the_app_and_test_databases(bench_database):
    server = settings.DATABASES["default"]
    login = server["USER"] + (f":{server['PASSWORD']}" if server.get("PASSWORD") else "")
    app = f"postgres://{login}@{server['HOST']}:{server['PORT']}/ipcity_app"
    for name in ("ipcity_app", settings.DATABASES["default"]["TEST"]["NAME"], "postgres"):
        result = _bench("--database", name, DATABASE_URL=app)
        assert result.returncode != 0 and "不能使用" in result.stderr, result.stderr
