"""The reporter's pages and the leaders' dashboards on a phone (390×844) in the system Chromium: no
horizontal scroll, the sticky action bar's buttons on screen, the history table one line per quarter.
Screenshots go to tests/artifacts/phone/ (and $PHONE_SHOTS when set) for people to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from tests.chromium import ARTIFACTS, CHROMIUM, signed_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="系统 Chromium 未安装"),
]

WIDTH, HEIGHT = 390, 844
QZ = "/plans/quanzhou-2024-2026"
REPORTER_PAGES = {"report": "/report/", "history": "/report/history/", "imports": "/imports/"}
LEADER_PAGES = {
    "overview": f"{QZ}/",
    "indicator": f"{QZ}/indicators/trademarks/",
    "indicator-rate": "/plans/zhenjiang-edz-2024-2026/indicators/case-closure-rate/",
    "compare": "/compare/",
}
# Nothing on a page may be wider than the screen: the page itself does not scroll sideways (a wide table
# or chart may scroll inside its own box, which does not widen the page).
SCROLL_WIDTH = "document.documentElement.scrollWidth"
WIDER = """() => [...document.querySelectorAll('body *')].filter(e => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.right > innerWidth + 0.5 && !e.closest('.table-wrap, .chart-scroll, .mainnav');
}).slice(0, 5).map(e => e.tagName + '.' + e.className)"""


def _shots(name: str, page) -> None:
    folder = ARTIFACTS / "phone"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    extra = os.environ.get("PHONE_SHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(extra) / f"{name}.png"), full_page=True)
        page.screenshot(path=str(Path(extra) / f"{name}-screen.png"))


@pytest.fixture
def cookies(dashboard_sample, live_server):
    """Sessions of the demo's 市知识产权局 reporter and leader, made before Playwright starts its loop."""
    sessions = {}
    for username in ("qz-zscqj", "leader"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        sessions[username] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions


def _fits(page, live_server, path: str) -> None:
    response = page.goto(live_server.url + path)
    assert response.status == 200, path
    assert page.evaluate(SCROLL_WIDTH) <= WIDTH, (path, page.evaluate(SCROLL_WIDTH), page.evaluate(WIDER))


def _on_screen(page, selector: str) -> None:
    for button in page.locator(selector).all():
        box = button.bounding_box()
        assert box is not None, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (selector, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, (selector, box)


def test_the_reporters_pages_fit_a_phone(cookies, live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with signed_in_page(live_server, cookies["qz-zscqj"], width=WIDTH, height=HEIGHT) as page:
        for name, path in REPORTER_PAGES.items():
            _fits(page, live_server, path)
            _shots(f"reporter-{name}", page)
        # The quarter form: its sticky bar's two buttons are on screen at the top, midway and at the end.
        _fits(page, live_server, REPORTER_PAGES["report"])
        bar = ".action-bar button"
        assert page.locator(bar).count() == 2
        for where in (0, 0.5, 1):
            page.evaluate(f"window.scrollTo(0, (document.body.scrollHeight - innerHeight) * {where})")
            _on_screen(page, bar)
        _shots("reporter-report-end", page)
        # The history: one line per quarter, no header row.
        _fits(page, live_server, REPORTER_PAGES["history"])
        assert not page.locator("table.history thead").is_visible()
        rows = page.locator("table.history tbody tr").all()
        assert len(rows) >= 8
        line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight) || 20")
        for row in rows:
            box = row.bounding_box()
            assert box["height"] <= 2 * line + 12, box  # one line of text and its padding
            assert row.locator("a").first.is_visible()


def test_the_leaders_dashboards_fit_a_phone(cookies, live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with signed_in_page(live_server, cookies["leader"], width=WIDTH, height=HEIGHT) as page:
        for name, path in LEADER_PAGES.items():
            _fits(page, live_server, path)
            page.wait_for_timeout(300)  # the charts draw
            assert page.evaluate(SCROLL_WIDTH) <= WIDTH, (path, page.evaluate(WIDER))
            _shots(f"leader-{name}", page)
