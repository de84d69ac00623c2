"""The export pages in the system Chromium: start a job, watch the progress bar finish, download the workbook;
print the bulletin."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from tests import factories

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="系统 Chromium 未安装"),
]


@pytest.fixture
def sessions(live_server, transactional_db, report_scenario):
    """A leader's and a reviewer's session cookies, made (with the scenario) before Playwright starts: the ORM
    must not run inside Playwright's event loop, where it would open a connection nobody closes."""
    cookies = {}
    for role in ("leader", "reviewer"):
        client = Client()
        client.force_login(factories.UserFactory(role=role, username=f"browser-{role}"))
        cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return cookies


@pytest.fixture
def browser(sessions, live_server, settings, tmp_path):
    from playwright.sync_api import sync_playwright

    settings.MEDIA_ROOT = tmp_path
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)

        def page_as(role: str):
            cookie = {"name": settings.SESSION_COOKIE_NAME, "value": sessions[role], "url": live_server.url}
            context.add_cookies([cookie])
            return context.new_page()

        yield page_as
        context.close()
        chromium.close()


def test_it_generates_and_downloads_the_report(browser, live_server):
    page = browser("leader")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/reports/")
    page.select_option("select[name=plan]", "quanzhou-2024-2026")
    page.select_option("select[name=year]", "2025")
    page.select_option("select[name=quarter]", "3")
    page.check("input[name=kind][value=report]")
    page.screenshot(path=ARTIFACTS / "exports-form.png", full_page=True)
    page.click("text=开始生成")
    page.wait_for_url("**/reports/jobs/*/")
    page.wait_for_selector("[data-download]:not([hidden])")
    page.wait_for_function("document.querySelector('[data-state]').textContent.includes('已生成，表中共')")
    assert page.eval_on_selector("progress", "bar => bar.value") == 100
    page.screenshot(path=ARTIFACTS / "exports-job.png", full_page=True)
    with page.expect_download() as download_info:
        page.click("[data-download] a")
    download = download_info.value
    assert download.suggested_filename == "泉州市示范城市工作方案2025年第三季度进展情况报告.xlsx"
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert workbook.sheetnames == ["封面", "汇总", "指标进度", "任务进展", "报送情况", "目标考核"]
    assert errors == []


def test_the_bulletin_prints_as_a_document(browser, live_server):
    page = browser("reviewer")
    page.goto(f"{live_server.url}/reports/bulletin/quanzhou-2024-2026/?year=2025&quarter=3")
    assert page.inner_text("h1.bulletin-title") == "关于2025年第三季度泉州市示范城市建设工作推进情况的通报"
    page.screenshot(path=ARTIFACTS / "bulletin-page.png", full_page=True)
    page.emulate_media(media="print")
    assert not page.is_visible(".bulletin-tools") and not page.is_visible("header.topbar")
    pdf = ARTIFACTS / "bulletin-print.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    assert pdf.stat().st_size > 10_000
    if shutil.which("pdftoppm"):
        from tests.soffice import pdf_to_png

        pdf_to_png(pdf, ARTIFACTS / "bulletin-print", last_page=2, dpi=60)
