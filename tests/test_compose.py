"""docker-compose.yml as compose itself reads it (`docker-compose config` with .env copied from .env.example):
it validates, every command it runs is one the project has, the settings start with the environment it gives,
files the web and the worker share live on the same volumes, and it runs exactly one beat."""

from __future__ import annotations

import importlib
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands, load_command_class

from exports.models import ExportJob
from ipcity import healthcheck
from reporting.models import Evidence

ROOT = Path(settings.BASE_DIR)
README = (ROOT / "README.md").read_text(encoding="utf-8")
APP_PROCESSES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose(tmp_path_factory):
    """The resolved configuration: anchors merged, .env read into each service's environment."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (.ci/run installs it)")
    project = tmp_path_factory.mktemp("compose")
    # env_file (.env) resolves against the project directory: a copy of .env.example stands in for it.
    shutil.copy(ROOT / ".env.example", project / ".env")
    files = ["--project-directory", str(project), "--env-file", str(project / ".env")]
    result = subprocess.run(  # noqa: S603
        [binary, *files, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def _commands(service: dict) -> list[list[str]]:
    """The argument lists a service runs (an `sh -c "a && b"` is two)."""
    command = service.get("command", [])
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command] if command else []


def _readme_line(service: dict) -> str:
    command = service["command"]
    return command[2] if command[:2] == ["sh", "-c"] else shlex.join(command)


def _volume_at(service: dict, path: str) -> str | None:
    """The named volume a path inside the container is written to (the deepest mount above it), or None
    when it is the container's own, lost with it."""
    best, depth = None, -1
    for mount in service.get("volumes", []):
        volume, target = mount.split(":")[:2]
        if PurePosixPath(path).is_relative_to(target) and len(PurePosixPath(target).parts) > depth:
            best, depth = volume, len(PurePosixPath(target).parts)
    return best


def test_the_compose_file_validates_with_the_example_environment(compose):
    assert set(APP_PROCESSES) <= set(compose["services"])


def test_every_management_command_it_runs_exists_and_takes_its_arguments(compose):
    ran = []
    for service in compose["services"].values():
        for argv in _commands(service):
            if argv[:2] == ["python", "manage.py"]:
                name, *args = argv[2:]
                command = load_command_class(get_commands()[name], name)
                command.create_parser("manage.py", name).parse_args(args)  # CommandError when it does not
                ran.append(name)
    assert "migrate" in ran


def test_its_servers_are_the_project_s_wsgi_app_and_celery_app(compose):
    for name in ("web", "worker", "beat"):
        for argv in _commands(compose["services"][name]):
            if argv[0] == "gunicorn":
                module, _, attribute = argv[1].partition(":")
                assert callable(getattr(importlib.import_module(module), attribute))
            else:
                assert argv[:3] == ["celery", "-A", "ipcity"], argv
                assert importlib.import_module("ipcity.celery").app.main == "ipcity"


def test_every_long_running_service_has_a_health_check_that_answers(compose, monkeypatch):
    monkeypatch.setattr(healthcheck, "web", lambda: None)
    monkeypatch.setattr(healthcheck, "beat", lambda: None)
    for name, service in compose["services"].items():
        if service.get("restart") == "no":
            continue  # the one-shot migrate
        assert "healthcheck" in service, name
        test = service["healthcheck"]["test"]
        argv = test[1:] if test[0] == "CMD" else shlex.split(" ".join(test[1:]))
        if argv[:3] == ["python", "-m", "ipcity.healthcheck"]:
            assert healthcheck.main(["healthcheck", *argv[3:]]) == 0, name  # a probe it knows, not usage (2)


def _settings_start(environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_app_starts_with_the_environment_it_is_given_but_not_with_the_example_s_key(compose):
    environment = {name: str(value) for name, value in compose["services"]["web"]["environment"].items()}
    unchanged = _settings_start(environment)
    assert unchanged.returncode != 0 and "DJANGO_SECRET_KEY is too weak" in unchanged.stderr
    environment["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    started = _settings_start(environment)
    assert started.returncode == 0, started.stderr


def test_web_and_worker_keep_uploads_evidence_and_exports_on_the_same_named_volumes(compose):
    web, worker = compose["services"]["web"], compose["services"]["worker"]
    media = web["environment"]["DJANGO_MEDIA_ROOT"]
    assert worker["environment"]["DJANGO_MEDIA_ROOT"] == media
    folders = {
        "exports": ExportJob._meta.get_field("file").upload_to,  # written by the worker, served by the web
        "evidence": Evidence._meta.get_field("file").upload_to.split("%")[0],
        "imports": "imports/",  # templates awaiting confirmation (reporting/import_views.py)
    }
    for what, folder in folders.items():
        path = f"{media}/{folder}"
        assert _volume_at(web, path) is not None, f"{what} would be lost with the web container"
        assert _volume_at(web, path) == _volume_at(worker, path), what


def test_the_database_and_the_broker_keep_their_data_on_named_volumes(compose):
    postgres = compose["services"]["postgres"]
    data = postgres.get("environment", {}).get("PGDATA", "/var/lib/postgresql/data")  # the image's default
    assert _volume_at(postgres, data) in compose["volumes"]
    assert _volume_at(compose["services"]["redis"], "/data") in compose["volumes"]  # the image's workdir


def test_there_is_exactly_one_beat(compose):
    beats = [
        name
        for name, service in compose["services"].items()
        if any(argv[:1] == ["celery"] and "beat" in argv for argv in _commands(service))
    ]
    assert beats == ["beat"]
    beat = compose["services"]["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1 and "scale" not in beat


def test_the_app_starts_only_after_the_migrations_succeeded(compose):
    assert _commands(compose["services"]["migrate"])[0][:3] == ["python", "manage.py", "migrate"]
    for name in ("web", "worker", "beat"):
        depends = compose["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name


@pytest.mark.parametrize("service", APP_PROCESSES)
def test_each_process_is_the_one_the_readme_documents(compose, service):
    assert _readme_line(compose["services"][service]) in README
