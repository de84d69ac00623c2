"""plotly.js (the official cartesian bundle, static/vendor/README.md) and the dashboards' script come from our
own static files: under the finders (runserver, tests) and after collectstatic with the production storage,
compressed. No CDN anywhere in a page; the bundle matches the Python plotly and has every trace we draw."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings
from plotly.offline import get_plotlyjs_version

from tests.page import seen

PLOTLY_JS = Path(__file__).parents[1] / "static" / "vendor" / "plotly-cartesian.min.js"
# The trace modules of the cartesian bundle (its package README, and static/vendor/README.md).
BUNDLED_TRACES = {
    "bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour", "image", "pie",
    "scatter", "scatterternary", "violin",
}  # fmt: skip


def test_plotly_js_is_served_from_our_static_files(client, db):
    response = client.get("/static/vendor/plotly-cartesian.min.js")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PLOTLY_JS.read_bytes()
    assert client.get("/static/js/dashboards.js").status_code == 200


def test_the_bundle_is_the_plotly_js_of_the_installed_plotly():
    header = PLOTLY_JS.read_bytes()[:200].decode()
    assert f"plotly.js (cartesian - minified) v{get_plotlyjs_version()}" in header
    assert PLOTLY_JS.stat().st_size < 1.6e6  # the full bundle is 4.7 MB


def test_every_chart_we_draw_uses_only_bundled_trace_types(leader_client, dashboard_world):
    drawn = set()
    for url in (
        "/plans/quanzhou-2024-2026/",
        "/plans/quanzhou-2024-2026/indicators/trademarks/",
        "/plans/quanzhou-2024-2026/units/",
        "/compare/",
    ):
        html = leader_client.get(url).content.decode()
        for text in re.findall(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', html, re.S):
            data = json.loads(text)
            if isinstance(data, dict) and "data" in data:
                drawn |= {trace.get("type", "scatter") for trace in data["data"]}
    assert "scatter" in drawn and drawn <= BUNDLED_TRACES
    # and every trace the chart code can build, drawn in this world or not
    source = (Path(__file__).parents[1] / "dashboards" / "charts.py").read_text()
    built = {name.lower() for name in re.findall(r"\bgo\.(\w+)\(", source)} - {"figure"}
    built |= set(re.findall(r"\.add_(\w+)\(", source)) - {"vline", "hline", "annotation", "shape"}
    assert built == {"scatter", "bar", "heatmap"} and built <= BUNDLED_TRACES


def test_collectstatic_with_the_production_storage_includes_plotly(tmp_path, db):
    with override_settings(
        STATIC_ROOT=tmp_path,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "vendor" / "plotly-cartesian.min.js").read_bytes() == PLOTLY_JS.read_bytes()
    assert (tmp_path / "js" / "dashboards.js").exists()
    assert '"vendor/plotly-cartesian.min.js"' in (tmp_path / "staticfiles.json").read_text()
    # whitenoise compressed it both ways (Brotli installed): what a browser asking br or gzip receives
    brotli_size = (tmp_path / "vendor" / "plotly-cartesian.min.js.br").stat().st_size
    gzip_size = (tmp_path / "vendor" / "plotly-cartesian.min.js.gz").stat().st_size
    assert brotli_size < gzip_size < PLOTLY_JS.stat().st_size / 2


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
