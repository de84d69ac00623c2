"""In a real browser: 市知识产权局's reporter logs in, fills 2026 Q4 (8 figures, 17 tasks, one evidence file),
is told a falling stock needs a note, adds it and submits; the office logs in, returns one figure with a
reason and approves the rest; the reporter sees the reason. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections

from indicators.models import Assignment, Indicator
from plans.models import Unit
from reporting.models import Submission, TaskReport
from reporting.services.calendar import periods_ensure
from tests import factories

ARTIFACTS = Path(__file__).parent / "artifacts"
NOW = datetime.datetime(2026, 11, 21, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
PASSWORD = "test-pass-123"
QUANZHOU_CODES = [
    "hv-invention-patents-per-10k", "trademarks", "geographical-indications", "advantage-enterprises",
    "service-outlets", "protection-centers", "strong-counties", "demonstration-city",
]  # fmt: skip
FIGURES = {
    "hv-invention-patents-per-10k": "5480",
    "trademarks": "88.35",
    "geographical-indications": "65",  # below last quarter's 67: needs a note
    "advantage-enterprises": "361",
    "service-outlets": "18",
    "protection-centers": "3",
    "strong-counties": "1",
    "demonstration-city": "0",
}
HISTORY = {
    "trademarks": ("86.9", "87.6"),
    "geographical-indications": ("66", "67"),
    "advantage-enterprises": ("340", "352"),
}


@pytest.fixture
def world(plans, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=True):
        periods_ensure(years=range(2024, 2028))
        unit = Unit.objects.get(name="市知识产权局")
        indicators = {
            i.code: i
            for i in Indicator.objects.filter(plan__slug="quanzhou-2024-2026", code__in=QUANZHOU_CODES)
        }
        for code in QUANZHOU_CODES:
            Assignment.objects.create(indicator=indicators[code], unit=unit, is_lead=True)
        for code, values in HISTORY.items():
            for quarter, value in zip((2, 3), values, strict=True):
                factories.SubmissionFactory(
                    indicator=indicators[code], unit=unit, value=Decimal(value), state="approved",
                    period=factories.PeriodFactory(year=2026, quarter=quarter),
                    submitted_at=datetime.datetime(2026, 3 * quarter + 1, 8, tzinfo=datetime.UTC),
                )  # fmt: skip
        factories.UserFactory(username="qz-zscqj", role="reporter", unit=unit, last_name="市知识产权局填报员")
        factories.UserFactory(username="office", role="reviewer", last_name="领导小组办公室")
        evidence = tmp_path / "商标统计月报.pdf"
        evidence.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n")
        yield {"unit": unit, "indicators": indicators, "evidence": evidence}


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the test's ORM checks stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--lang=zh-CN"],
        )
        yield chromium
        chromium.close()
        # The test's ORM checks ran beside Playwright's event loop, on a connection of their own: close it, or
        # the test database cannot be dropped at the end of the session.
        connections.close_all()


def shot(page, name: str, full: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reporting-{name}.png"), full_page=full)


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reporter_fills_and_submits_the_quarter_and_the_office_reviews_it(live_server, world, browser):
    indicators = world["indicators"]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # 报送本季度 asks to confirm the count it submits
    base = live_server.url

    page.goto(f"{base}/login/")
    shot(page, "01-login", full=False)
    log_in(page, base, "qz-zscqj")
    page.wait_for_url(f"{base}/report/")
    assert page.locator("h2", has_text="2026年第四季度").is_visible()
    shot(page, "02-report-empty", full=False)

    for code, value in FIGURES.items():
        indicator = indicators[code]
        if indicator.measure == "milestone":
            page.select_option(f"#id_indicator-{indicator.pk}-done", value)
        else:
            page.fill(f"#id_indicator-{indicator.pk}-value", value)
    page.fill(f"#id_indicator-{indicators['trademarks'].pk}-note", "含马德里国际注册商标")
    page.set_input_files(f"input[name='indicator-{indicators['trademarks'].pk}-evidence']", world["evidence"])
    tasks = list(world["unit"].tasks.order_by("section__number", "number"))
    for n, task in enumerate(tasks):
        lagging = n == 3
        page.select_option(f"#id_task-{task.pk}-status", "lagging" if lagging else "in_progress")
        page.fill(f"#id_task-{task.pk}-progress", f"本季度围绕“{task.title}”召开专题推进会，落实责任分工。")
        if lagging:
            page.fill(f"#id_task-{task.pk}-problems", "配套资金尚未到位，已协调财政部门加快拨付。")
        page.fill(f"#id_task-{task.pk}-next_steps", "下季度继续抓好落实，按期完成年度目标。")
    page.click("button[value=save]")
    page.wait_for_selector(".msg-success")
    assert "已保存草稿" in page.inner_text(".messages")
    assert page.locator("ul.evidence a", has_text="商标统计月报.pdf").is_visible()

    page.click("button[value=submit]")
    page.wait_for_selector("#errors")
    count_row = page.locator(f"#indicator-{indicators['geographical-indications'].pk}")
    assert "存量指标较上期（67件）下降，请在说明中解释原因" in count_row.inner_text()
    assert page.input_value(f"#id_indicator-{indicators['geographical-indications'].pk}-value") == "65"
    shot(page, "03-submit-refused", full=False)
    count_row.scroll_into_view_if_needed()
    shot(page, "04-row-error", full=False)

    page.fill(
        f"#id_indicator-{indicators['geographical-indications'].pk}-note", "2件地理标志证明商标注册证被撤销"
    )
    page.click("button[value=submit]")
    page.wait_for_selector(".msg-success")
    assert "已报送8项指标、17项任务进展，等待办公室审核" in page.inner_text(".messages")
    shot(page, "05-submitted", full=False)
    assert Submission.objects.filter(state="submitted").count() == 8
    assert TaskReport.objects.filter(state="submitted").count() == 17

    page.click("button.linkish")  # 退出
    page.wait_for_url(f"{base}/login/")
    log_in(page, base, "office")
    page.wait_for_url(f"{base}/review/")
    shot(page, "06-review-queue")
    page.click("a.btn-primary:has-text('审核')")
    page.wait_for_selector("h1:has-text('市知识产权局')")
    shot(page, "07-review-unit", full=False)

    trademarks = page.locator(f"#indicator-{indicators['trademarks'].pk}")
    trademarks.locator("summary:has-text('退回')").click()
    trademarks.locator("textarea[name=reason]").fill(
        "与国家知识产权局统计月报（88.12万件）不一致，请核实后重新报送。"
    )
    shot(page, "08-return-form", full=False)
    trademarks.locator("button:has-text('确认退回')").click()
    page.wait_for_selector(".msg-success")
    page.click("button:has-text('全部审核通过')")
    page.wait_for_selector(".msg-success")
    assert "全部24项已报送内容" in page.inner_text(".messages")
    shot(page, "09-reviewed", full=False)
    shot(page, "09-reviewed-full")

    returned = Submission.objects.get(state="returned")
    assert returned.indicator.code == "trademarks" and "88.12万件" in returned.return_reason
    assert Submission.objects.filter(state="approved", period__quarter=4).count() == 7
    assert TaskReport.objects.filter(state="approved").count() == 17

    page.goto(f"{base}/submissions/{returned.pk}/")
    shot(page, "10-history", full=False)
    assert "退回：与国家知识产权局统计月报" in page.inner_text("table.history")

    page.click("button.linkish")
    log_in(page, base, "qz-zscqj")
    page.wait_for_url(f"{base}/report/")
    assert "办公室退回了1项" in page.inner_text(".returned-box")
    shot(page, "11-reporter-sees-return", full=False)
    context.close()
