"""Issue 14's done-when, in the system Chromium: a leader issues a 督办 from a red row of the 督办看板 → the
unit's reporter sees it first on landing and in the bell, answers with a file → the office closes it → the
leader sees it 已办结; every step is in the audit trail. Screenshots go to tests/artifacts/supervision/."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from audit.models import AuditRecord
from progress.models import Progress
from supervision.models import SupervisionItem
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).parent / "artifacts" / "supervision"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "test-pass-123"  # the factories' password


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("系统未安装 Chromium（/usr/bin/chromium）")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def _page(browser, live_server, username: str):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return context, page, errors


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# The database fixtures come first: the live server then stops before the test database goes.
def test_a_leaders_supervision_item_goes_round_to_closed(
    dashboard_world, live_server, browser, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = dashboard_world
    trademarks = world.indicators["trademarks"]  # 市知识产权局 leads it: made the most serious row
    Progress.objects.filter(indicator=trademarks, year=2024, quarter=4).update(
        status="behind", completion=Decimal(1)
    )
    leader = factories.UserFactory(role="leader", username="leader", first_name="领导")
    reporter = factories.UserFactory(role="reporter", unit=world.unit_a, username="qz-zscqj")
    reviewer = factories.UserFactory(role="reviewer", username="office")
    deadline = timezone.localdate() + datetime.timedelta(days=14)
    evidence = tmp_path / "落实情况.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%test\n")

    # The leader lands on the board and issues a 督办 from the first (reddest) row.
    context, page, errors = _page(browser, live_server, "leader")
    assert page.url == f"{live_server.url}/board/"
    first = page.locator("#board-indicators tbody tr").first
    assert trademarks.name in first.inner_text() and "落后" in first.inner_text()
    _shot(page, "01-leader-board")
    first.get_by_role("link", name="督办").click()
    page.wait_for_url("**/supervision/new/**")
    assert page.input_value("#id_title").startswith("推进“商标有效注册量”")
    page.fill("#id_action", "分析商标注册量落后原因，制定帮扶措施")
    page.fill("#id_criteria", "提交帮扶措施文件及第一季度落实情况")
    page.fill("#id_deadline", deadline.isoformat())
    _shot(page, "02-leader-issue")
    page.click("#issue-form button[type=submit]")
    page.wait_for_url("**/supervision/*/")
    assert "已下达" in page.inner_text("h1")
    item = SupervisionItem.objects.get()
    assert item.lead_unit == world.unit_a and item.indicator == trademarks
    context.close()

    # The unit's reporter lands on its open items, the bell shows it, and answers with a file.
    context, page, errors = _page(browser, live_server, "qz-zscqj")
    assert page.url == f"{live_server.url}/supervision/?state=open"
    assert item.title in page.locator("#supervision-items tbody tr").first.inner_text()
    assert page.inner_text(".bell-count") == "1"
    _shot(page, "03-reporter-landing")
    page.click(".bell")
    page.wait_for_url("**/notifications/")
    assert "督办下达" in page.inner_text(".notice-list")
    page.get_by_role("button", name="查看").first.click()
    page.wait_for_url(f"**/supervision/{item.pk}/")
    page.fill("#id_text", "已制定帮扶措施，详见附件。")
    page.set_input_files("#id_files", str(evidence))
    page.click("#respond-form button[type=submit]")
    page.wait_for_url(f"**/supervision/{item.pk}/")
    assert "办理情况已反馈" in page.inner_text(".messages") and "落实情况.pdf" in page.content()
    _shot(page, "04-reporter-answered")
    assert page.inner_text(".bell-count") == "0"
    context.close()

    # The office checks and closes it.
    context, page, errors = _page(browser, live_server, "office")
    page.goto(f"{live_server.url}/supervision/{item.pk}/")
    page.click("#close-form button[type=submit]")
    page.wait_for_url(f"**/supervision/{item.pk}/")
    assert "督办事项已办结" in page.inner_text(".messages")
    context.close()

    # The leader sees it closed.
    context, page, errors = _page(browser, live_server, "leader")
    page.goto(f"{live_server.url}/supervision/")
    assert "已办结" in page.locator("#supervision-items tbody tr").first.inner_text()
    page.goto(f"{live_server.url}/supervision/{item.pk}/")
    _shot(page, "05-leader-closed")
    assert not errors, errors
    context.close()

    trail = AuditRecord.objects.filter(model="supervision.supervisionitem", object_id=str(item.pk)).order_by(
        "history_date", "history_id"
    )
    assert [(record.history_user, record.history_change_reason) for record in trail] == [
        (leader, "下达督办"), (reporter, "反馈办理情况"), (reviewer, "办结"),
    ]  # fmt: skip
    answer = item.responses.get()
    assert (
        AuditRecord.objects.get(model="supervision.response", object_id=str(answer.pk)).history_user
        == reporter
    )
    kept = answer.files.get()
    assert AuditRecord.objects.get(
        model="supervision.responsefile", object_id=str(kept.pk)
    ).history_change_reason == ("上传督办佐证材料：落实情况.pdf")
