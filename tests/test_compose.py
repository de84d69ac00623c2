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
