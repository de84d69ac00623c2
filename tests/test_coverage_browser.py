"""On the demo data in the system Chromium (issue 13, "Done when"): the bank's missing 2026 Q3 shows as 未报送
on the indicator page with the card marked partial, and a bulletin of a quarter with items pending names no
unit as lagging on its own pending figure. Screenshots go to tests/artifacts/coverage/."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from devdata.demo import DEMO_PASSWORD, MISSING_UNIT
from reporting.models import ReviewState, Submission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).parent / "artifacts" / "coverage"
CHROMIUM = "/usr/bin/chromium"
QZ = "/plans/quanzhou-2024-2026"
Q3 = "year=2026&quarter=3"
BANK_INDICATOR = "patent-pledge-financing"  # the one indicator 中国人民银行泉州市分行 reports
NOW = datetime.datetime(2026, 11, 2, 9, 0)  # 2026 Q3 was due on 2026-10-10


@pytest.fixture
def demo(dashboard_sample, time_machine, settings):
    """The demo quarter as the office meets it in November 2026. The session cookie lasts as long as the
    browser (its expiry would otherwise be dated by the frozen clock and judged by the browser's real one)."""
    time_machine.move_to(NOW, tick=True)
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    pending = {
        (row.unit.name, row.indicator.name)
        for row in Submission.objects.filter(
            period__year=2026, period__quarter=3, state=ReviewState.SUBMITTED
        ).select_related("unit", "indicator")
    }
    assert pending  # the demo's 市知识产权局 and 经开区市场局 wait in the office's queue
    return pending


@pytest.fixture
def page(demo, live_server, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("系统未安装 Chromium（/usr/bin/chromium）")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "office")
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        yield page
        browser.close()


def test_the_banks_missing_quarter_shows_as_missing_on_the_indicator_page(page, live_server):
    page.goto(f"{live_server.url}{QZ}/indicators/{BANK_INDICATOR}/?{Q3}")
    page.screenshot(path=str(ARTIFACTS / "indicator-bank-missing.png"), full_page=True)
    row = page.locator(f"table.unit-states tr[data-unit='{MISSING_UNIT}']")
    assert row.get_attribute("data-state") == "missing"
    assert row.locator(".state").inner_text() == "未报送"


def test_the_quarter_missing_the_banks_figure_looks_partial(page, live_server):
    """Needs the roll-up to record the quarter's coverage (branch i13-coverage): 0 of the 1 unit owing the
    figure approved. Until then the rows claim no coverage and nothing is marked."""
    page.goto(f"{live_server.url}{QZ}/indicators/{BANK_INDICATOR}/?{Q3}")
    head = page.locator(".indicator-head")
    assert head.locator(".provisional").inner_text() == "暂定"
    # The actual is not labelled as the quarter's own when the quarter lacks the bank's figure.
    assert "实际值（2026年第三季度）" not in head.inner_text()
    page.goto(f"{live_server.url}{QZ}/?{Q3}")
    card = page.locator(f"article[data-indicator='{BANK_INDICATOR}']")
    page.screenshot(path=str(ARTIFACTS / "overview-2026q3.png"), full_page=True)
    assert card.locator(".provisional").inner_text() == "暂定"
    assert "0/1单位已审核，1单位未报送" in card.locator(".coverage").inner_text()


@pytest.mark.parametrize("slug", ["quanzhou-2024-2026", "zhenjiang-edz-2024-2026"])
def test_a_bulletin_with_items_pending_names_no_unit_as_lagging_on_a_pending_figure(
    page, live_server, demo, slug
):
    page.goto(f"{live_server.url}/reports/bulletin/{slug}/?{Q3}")
    page.screenshot(path=str(ARTIFACTS / f"bulletin-{slug}.png"), full_page=True)
    assert page.locator(".release-state").inner_text() == "征求意见稿"
    assert "尚有" in page.locator(".bulletin-status").inner_text()
    named = page.locator("table[data-list=named] tbody tr").all()
    lagging = {
        (row.locator("td").nth(1).inner_text(), row.locator("td").nth(2).inner_text()) for row in named
    }
    for unit, indicator in demo:
        for name, facts in lagging:
            assert not (name == unit and f"“{indicator}”" in facts and "落后" in facts), (unit, indicator)
    # …and each unit with a pending figure on an indicator behind its pace stands under 待审核 instead.
    waiting = page.locator("table[data-list=unjudged]").inner_text()
    assert "本季度数据待审核" in waiting


def test_the_units_and_comparison_pages_say_what_their_figures_stand_on(page, live_server):
    page.goto(f"{live_server.url}{QZ}/units/?{Q3}")
    page.screenshot(path=str(ARTIFACTS / "units-2026q3.png"), full_page=True)
    assert "2026年第三季度尚有25项报送待审核" in page.locator("[data-awaiting]").inner_text()
    page.goto(f"{live_server.url}/compare/?{Q3}")
    page.screenshot(path=str(ARTIFACTS / "compare-2026q3.png"), full_page=True)
    assert page.locator(".theme .entry").count() > 0
