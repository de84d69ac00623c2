"""The OpenAPI document is a contract with other programs: it changes only when a commit means it to.

A deliberate change regenerates the snapshot:
    DJANGO_SETTINGS_MODULE=ipcity.settings.test \
    python manage.py spectacular --file tests/snapshots/openapi.yaml
"""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.yaml"


def test_the_schema_is_the_one_other_programs_were_given(tmp_path):
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(out))
    assert out.read_text(encoding="utf-8") == SNAPSHOT.read_text(encoding="utf-8")
