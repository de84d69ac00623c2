"""What the README's 安全 / Security section says holds in the code: every `# nosec` is explained there, and
the demo world with its printed password is refused outside development."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.models import User

ROOT = Path(settings.BASE_DIR)
PACKAGES = [
    "accounts",
    "audit",
    "plans",
    "indicators",
    "reporting",
    "progress",
    "dashboards",
    "exports",
    "planimport",
    "assessment",
    "notifications",
    "supervision",
    "ipcity",
    "devdata",
]


def _security_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## 安全 / Security", 1)[1].split("\n## ", 1)[0]


def test_every_nosec_in_the_code_is_explained_in_the_readme_and_no_more():
    in_code = {
        (str(path.relative_to(ROOT)), check)
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for check in re.findall(r"# nosec (B\d+)", path.read_text(encoding="utf-8"))
    }
    explained = set(re.findall(r"^\| `([^`]+)` \| (B\d+) \|", _security_section(), flags=re.MULTILINE))
    assert in_code and in_code == explained


def test_demo_data_is_refused_outside_development(plans, settings):
    settings.IPCITY_DEMO_DATA = False
    with pytest.raises(CommandError, match="生产设置下拒绝运行"):
        call_command("demo_data")
    assert not User.objects.filter(username="admin").exists()
