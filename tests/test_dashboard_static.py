"""plotly.js and the dashboards' script come from our own static files: under the finders (runserver, tests)
and after collectstatic with the production storage. No CDN anywhere in a page."""

from __future__ import annotations

import re
from pathlib import Path

import plotly
from django.core.management import call_command
from django.test import override_settings

from tests.page import seen

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def test_plotly_js_is_served_from_the_installed_package(client, db):
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PLOTLY_JS.read_bytes()
    assert client.get("/static/js/dashboards.js").status_code == 200


def test_collectstatic_with_the_production_storage_includes_plotly(tmp_path, db):
    with override_settings(
        STATIC_ROOT=tmp_path,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "vendor" / "plotly.min.js").read_bytes() == PLOTLY_JS.read_bytes()
    assert (tmp_path / "js" / "dashboards.js").exists()
    assert '"vendor/plotly.min.js"' in (tmp_path / "staticfiles.json").read_text()


def test_dashboard_pages_load_no_script_from_elsewhere_and_none_inline(leader_client, dashboard_world):
    for url in ("/plans/quanzhou-2024-2026/indicators/trademarks/", "/plans/quanzhou-2024-2026/units/"):
        response = leader_client.get(url)
        html = response.content.decode()
        assert "http://" not in html and "https://" not in html and "//cdn" not in html
        page = seen(response)
        sources = [script.attrs["src"] for script in page.find_all("script", src=True)]
        assert sources and all(source.startswith("/static/") for source in sources)
        assert page.scripts_inline() == []


def test_it_closes_every_block_in_our_stylesheets():
    """An unclosed `@media print {` once swallowed every rule after it: the reporting pages lost their
    layout on screen while every page still answered 200."""
    for sheet in (Path(__file__).parents[1] / "static" / "css").glob("*.css"):
        text = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
        depth = 0
        for number, line in enumerate(text.splitlines(), 1):
            depth += line.count("{") - line.count("}")
            assert depth >= 0, f"{sheet.name}:{number} closes a block that was never opened"
            assert depth <= 2, f"{sheet.name}:{number} nests blocks three deep: a block above was left open"
        assert depth == 0, f"{sheet.name} leaves {depth} block(s) open"


def test_it_points_browsers_asking_for_favicon_ico_at_our_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("img/favicon.svg")
    assert client.get(response["Location"]).status_code == 200
    assert client.post("/favicon.ico").status_code == 405
