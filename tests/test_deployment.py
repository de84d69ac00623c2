"""What a deployment relies on besides docker-compose.yml: every setting the code reads is documented in
.env.example, the health checks, and the roll-up queued on start."""

from __future__ import annotations

import datetime
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ipcity import healthcheck
from progress.models import RollupRun

ROOT = Path(settings.BASE_DIR)
CODE = [
    path
    for folder in (
        "ipcity",
        "accounts",
        "audit",
        "plans",
        "indicators",
        "reporting",
        "progress",
        "dashboards",
        "exports",
        "devdata",
    )
    for path in (ROOT / folder).rglob("*.py")
    if "migrations" not in path.parts and path != ROOT / "ipcity" / "settings" / "test.py"
] + [ROOT / "manage.py"]
# Environment variables read by the code: env.<type>("NAME"…), env("NAME"…), os.environ / os.getenv.
ENV_READ = re.compile(
    r"""\benv(?:\.[a-z_]+)?\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|environ(?:\.get|\.setdefault)?\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|environ\[\s*["']([A-Z][A-Z0-9_]*)["']\]|getenv\(\s*["']([A-Z][A-Z0-9_]*)["']"""
)
# Settings of our own the code reads: settings.IPCITY_X or getattr(settings, "IPCITY_X", …).
SETTING_READ = re.compile(
    r"""settings\.(IPCITY_[A-Z0-9_]+)|getattr\(\s*settings,\s*["'](IPCITY_[A-Z0-9_]+)["']"""
)


def _found(pattern: re.Pattern, paths: list[Path]) -> dict[str, str]:
    names = {}
    for path in paths:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            names.setdefault(next(group for group in match.groups() if group), str(path.relative_to(ROOT)))
    return names


def _documented() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def _compose_variables() -> set[str]:
    return set(
        re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    )


def test_every_variable_the_code_reads_is_in_env_example():
    read = _found(ENV_READ, CODE)
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "IPCITY_IMPORT_MAX_ROWS"} <= set(read)  # the scan works
    missing = {name: where for name, where in read.items() if name not in _documented()}
    assert not missing, f"read by the code but missing from .env.example: {missing}"


def test_every_variable_docker_compose_reads_is_in_env_example():
    assert _compose_variables() - _documented() == set()


def test_every_setting_of_ours_the_code_reads_is_defined_in_the_settings():
    """A setting read only as getattr(settings, "IPCITY_X", default) could not be changed on a server without
    editing code: each is defined in a settings module, from the environment (hence in .env.example) unless
    it is a development switch production must not have (IPCITY_DEMO_DATA, set in local.py and test.py)."""
    modules = (ROOT / "ipcity" / "settings").glob("*.py")
    defined = {
        name for path in modules for name in re.findall(r"^(IPCITY_[A-Z0-9_]+) = ", path.read_text(), re.M)
    }
    read = _found(SETTING_READ, CODE)
    assert {"IPCITY_LOCK_GRACE_DAYS", "IPCITY_SITE_URL"} <= set(read)
    undefined = {name: where for name, where in read.items() if name not in defined}
    assert not undefined, f"read by the code but defined in no settings module: {undefined}"


def test_env_example_lists_nothing_that_is_not_read():
    used = set(_found(ENV_READ, CODE)) | _compose_variables() | {"COMPOSE_PROJECT_NAME"}
    assert _documented() - used == set()


# --- health checks ----------------------------------------------------------------------------------------


def test_the_web_probe_passes_productions_host_and_https_checks(client, settings, db):
    """Production redirects plain HTTP and refuses unknown hosts: the probe sends an allowed Host and
    X-Forwarded-Proto: https, as the proxy in front does."""
    settings.ALLOWED_HOSTS = ["ipcity.example.gov.cn", ".example.gov.cn"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    environ = {"DJANGO_ALLOWED_HOSTS": " .example.gov.cn , ipcity.example.gov.cn"}
    headers = healthcheck.probe_headers(environ)
    assert headers == {"Host": "example.gov.cn", "X-Forwarded-Proto": "https"}
    response = client.get("/healthz/", headers=headers)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert client.get("/healthz/", headers={"Host": "example.gov.cn"}).status_code == 301  # what it avoids
    assert healthcheck.probe_headers({"DJANGO_ALLOWED_HOSTS": "*"})["Host"] == "localhost"


def test_the_web_probe_reports_a_server_that_does_not_answer():
    problem = healthcheck.web({}, url="http://127.0.0.1:1/healthz/")  # nothing listens on port 1
    assert problem and "127.0.0.1:1" in problem
    assert healthcheck.main(["healthcheck", "nonsense"]) == 2


@pytest.fixture
def beat_entry(db):
    every = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    return PeriodicTask.objects.create(
        name=healthcheck.BEAT_ENTRY, task="indicators.rollup_pending", interval=every
    )


def test_beat_is_healthy_while_it_keeps_sending_the_rollup(beat_entry):
    now = timezone.now()
    assert "None" in healthcheck.beat(now)  # registered, never sent yet
    beat_entry.last_run_at = now - datetime.timedelta(minutes=7)
    beat_entry.save()
    assert healthcheck.beat(now) is None
    beat_entry.last_run_at = now - datetime.timedelta(minutes=16)
    beat_entry.save()
    assert "more than" in healthcheck.beat(now)


def test_beat_is_unhealthy_before_it_registered_its_schedule(db):
    assert "missing" in healthcheck.beat()


# --- the roll-up a deployment queues on start --------------------------------------------------------------


def test_rollup_queue_hands_the_full_rollup_to_a_worker(plans):
    out = io.StringIO()
    call_command("rollup", "--queue", stdout=out)  # tests run Celery tasks in-process
    assert "已交给 Celery worker" in out.getvalue()
    assert RollupRun.objects.filter(kind=RollupRun.Kind.FULL, error="").exists()


ROUTE = """
import django
django.setup()
from ipcity.celery import app
for name in ("progress.rollup_full", "progress.rollup_pending", "reporting.send_reminders"):
    print(name, app.amqp.router.route({}, name)["queue"].name)
"""


@pytest.mark.parametrize(("queue", "rollups"), [("", "celery"), ("rollup", "rollup")])
def test_rollups_go_to_their_own_queue_when_one_is_named(queue, rollups):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ipcity.settings.test", "IPCITY_ROLLUP_QUEUE": queue}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", ROUTE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "progress.rollup_full",
        rollups,
        "progress.rollup_pending",
        rollups,
        "reporting.send_reminders",
        "celery",
    ]


# Issue 17, finding 11: the health check's address comes from settings, and /healthz/ fails when the static
# files were not collected (every page would be a 500 while the probe said ok).


def test_the_web_probe_asks_the_address_in_settings(settings):
    settings.IPCITY_HEALTHCHECK_URL = "http://127.0.0.1:1/healthz/"  # nothing listens on port 1
    problem = healthcheck.web({})
    assert problem and problem.startswith("http://127.0.0.1:1/healthz/")


@pytest.fixture
def collected_storage(settings, tmp_path):
    """Production's static storage (a manifest of hashed names) over an empty STATIC_ROOT, no finders."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    return settings


def test_healthz_fails_when_the_static_files_were_not_collected(client, db, collected_storage):
    response = client.get("/healthz/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and "collectstatic" in body["detail"] and "静态文件" in body["detail"]

    call_command("collectstatic", interactive=False, verbosity=0)
    collected_storage.STATIC_ROOT = collected_storage.STATIC_ROOT  # reload the storage and its manifest
    response = client.get("/healthz/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_the_readme_runs_collectstatic_without_docker():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    steps = readme.split("Without Docker", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert "python manage.py collectstatic --noinput" in steps
    assert steps.index("collectstatic") < steps.index("gunicorn")
