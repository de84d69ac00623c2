"""docker-compose.yml runs the same processes the README tells people to run without Docker."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _command(service: str) -> str:
    command = COMPOSE["services"][service]["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_it_defines_the_production_services():
    assert set(COMPOSE["services"]) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    for service in ("postgres", "redis", "web"):
        assert "healthcheck" in COMPOSE["services"][service]
    assert {"pgdata", "redisdata", "media"} <= set(COMPOSE["volumes"])


def _mounts(service: str) -> dict[str, str]:
    """Container path → named volume of a service's volume mounts."""
    mounts = {}
    for mount in COMPOSE["services"][service].get("volumes", []):
        volume, path = mount.split(":")[:2]
        mounts[path] = volume
    return mounts


def test_data_evidence_and_exports_live_on_volumes():
    assert _mounts("postgres") == {"/var/lib/postgresql/data": "pgdata"}
    assert _mounts("redis") == {"/data": "redisdata"}
    media = COMPOSE["services"]["web"]["environment"]["DJANGO_MEDIA_ROOT"]
    for service in ("web", "worker"):  # web stores evidence and uploads, the worker writes the exports
        assert _mounts(service) == {media: "media", f"{media}/exports": "exports"}
    assert {"pgdata", "redisdata", "media", "exports"} == set(COMPOSE["volumes"])


def test_every_long_running_service_has_a_health_check():
    checks = {name: _health(name) for name in ("postgres", "redis", "web", "worker", "beat")}
    assert "pg_isready" in checks["postgres"] and "redis-cli ping" in checks["redis"]
    assert checks["web"] == "python -m ipcity.healthcheck web"  # GET /healthz/, see test_deployment.py
    assert "inspect ping" in checks["worker"]
    assert checks["beat"] == "python -m ipcity.healthcheck beat"


def _health(service: str) -> str:
    test = COMPOSE["services"][service]["healthcheck"]["test"]
    return " ".join(test[1:]) if test[0] in ("CMD", "CMD-SHELL") else " ".join(test)


def test_the_one_shot_migrate_loads_the_plans_and_queues_a_full_rollup():
    migrate = COMPOSE["services"]["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["command"][:2] == ["sh", "-c"]
    assert migrate["command"][2].split(" && ") == [
        "python manage.py migrate --noinput",
        "python manage.py load_plans",
        "python manage.py rollup --queue",
    ]
    assert {"postgres", "redis"} <= set(migrate["depends_on"])


def test_there_is_exactly_one_beat():
    beats = [name for name in COMPOSE["services"] if " beat" in _command_or_empty(name)]
    assert beats == ["beat"]
    assert "replicas" not in COMPOSE["services"]["beat"].get("deploy", {})
    assert "scale" not in COMPOSE["services"]["beat"]


def _command_or_empty(service: str) -> str:
    return _command(service) if "command" in COMPOSE["services"][service] else ""


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_each_process_is_the_one_the_readme_documents(service):
    assert _command(service) in README


def test_migrations_run_before_the_app_starts():
    assert "manage.py migrate" in _command("migrate")
    for service in ("web", "worker", "beat"):
        depends = COMPOSE["services"][service]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_the_compose_file_validates(tmp_path):
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (.ci/run installs it)")
    env = tmp_path / ".env"
    env.write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    # env_file (.env) resolves against the project directory: a copy of .env.example stands in for it.
    compose = [
        "--project-directory",
        str(tmp_path),
        "--env-file",
        str(env),
        "-f",
        str(ROOT / "docker-compose.yml"),
    ]
    result = subprocess.run(  # noqa: S603
        [binary, *compose, "config", "--quiet"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
