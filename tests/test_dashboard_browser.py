"""Every dashboard page in the system Chromium, as a leader and as a reporter, at desktop and phone widths:
each chart drawn (Plotly's SVG present), no console error (a CSP violation is one), a screenshot saved under
tests/artifacts/dashboards/ for people to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from devdata.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).parent / "artifacts" / "dashboards"
CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
QZ, ZJ = "/plans/quanzhou-2024-2026", "/plans/zhenjiang-edz-2024-2026"
LEADER_PAGES = {
    "index": "/plans/",
    "qz-overview": f"{QZ}/",
    "qz-trademarks": f"{QZ}/indicators/trademarks/",
    "qz-patents-per-10k": f"{QZ}/indicators/hv-invention-patents-per-10k/",
    "qz-units": f"{QZ}/units/",
    "qz-tasks": f"{QZ}/tasks/",
    "zj-overview": f"{ZJ}/",
    "zj-closure-rate": f"{ZJ}/indicators/case-closure-rate/",
    "zj-units": f"{ZJ}/units/",
    "compare": "/compare/",
    "qz-2025q2-behind": f"{QZ}/?year=2025&quarter=2&status=behind",
}
# qz-zscqj reports for 市知识产权局 in the demo data.
REPORTER_PAGES = {
    "index": "/plans/",
    "qz-overview": f"{QZ}/",
    "qz-trademarks": f"{QZ}/indicators/trademarks/",
    "qz-units": f"{QZ}/units/",
    "qz-tasks": f"{QZ}/tasks/",
    "compare": "/compare/",
}
CHARTS = {"qz-trademarks": 1, "qz-patents-per-10k": 1, "zj-closure-rate": 1, "qz-units": 1, "zj-units": 1}


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("系统未安装 Chromium（/usr/bin/chromium）")
    # Playwright's sync API runs an event loop in this thread; the database work here happens before it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def _watch(page, live_server) -> list[str]:
    """Console errors, uncaught exceptions and any request that leaves our server, as they happen."""
    errors: list[str] = []

    def on_console(message):
        if message.type == "error":
            errors.append(message.text)

    def on_request(request):
        if not request.url.startswith(live_server.url):
            errors.append(f"外部请求：{request.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", on_request)
    return errors


def _log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)  # each role lands on its own page


def _drawn(chart) -> bool:
    chart.locator(".main-svg").first.wait_for(state="attached", timeout=10_000)
    return chart.get_attribute("data-rendered") == "true" and chart.locator(".trace, .hm").count() > 0


def _visit_all(browser, live_server, username: str, pages: dict[str, str], role: str) -> list[str]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width_name, (width, height) in WIDTHS.items():
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        errors = _watch(page, live_server)
        _log_in(page, live_server, username)
        for name, path in pages.items():
            where = f"{role} {width_name} {name}"
            response = page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            charts = page.locator(".chart")
            expected = 6 if name == "compare" else CHARTS.get(name, 0)
            if response.status != 200:
                problems.append(f"{where}: HTTP {response.status}")
            if charts.count() != expected:
                problems.append(f"{where}: {charts.count()} charts, expected {expected}")
            undrawn = [index for index in range(charts.count()) if not _drawn(charts.nth(index))]
            if undrawn:
                problems.append(f"{where}: charts {undrawn} not drawn")
            if errors:
                problems.append(f"{where}: {errors}")
                errors.clear()
            page.screenshot(path=str(ARTIFACTS / f"{role}-{width_name}-{name}.png"), full_page=True)
        context.close()
    return problems


# The database fixtures come first: the session-wide live server then stops before the test database goes.
def test_a_leader_sees_every_page_drawn(dashboard_sample, live_server, browser):
    assert _visit_all(browser, live_server, "leader", LEADER_PAGES, "leader") == []


def test_a_reporter_sees_its_own_units_pages_drawn_and_no_other_units(dashboard_sample, live_server, browser):
    assert _visit_all(browser, live_server, "qz-zscqj", REPORTER_PAGES, "reporter") == []
    page = browser.new_page()
    _log_in(page, live_server, "qz-zscqj")
    assert page.goto(f"{live_server.url}{QZ}/indicators/copyright-registrations/").status == 404
    page.goto(f"{live_server.url}{QZ}/units/")
    labels = page.locator("#units-chart .yaxislayer-above text").all_text_contents()
    assert labels == ["市知识产权局"]
    page.close()
