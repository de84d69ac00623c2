"""目标考核 and the office's queue in the system Chromium, on the demo data rolled up: a leader reads the
ranking; the office works the queue — 全部审核通过 asks with the count and goes on to the next unit, 催报
asks and says it went out. Screenshots under tests/artifacts/ranking-queue/ for people to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from reporting.models import Reminder, Submission
from tests.test_dashboard_browser import _log_in, _watch, browser  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).parent / "artifacts" / "ranking-queue"
QZ = "/plans/quanzhou-2024-2026"


def _signed_in(chromium, live_server, username: str):
    page = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    errors = _watch(page, live_server)
    _log_in(page, live_server, username)
    return page, errors


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_leader_reads_the_ranking_with_its_parts(dashboard_sample, live_server, browser):  # noqa: F811
    page, errors = _signed_in(browser, live_server, "leader")
    page.goto(f"{live_server.url}{QZ}/ranking/?year=2026&quarter=3")
    rows = page.locator("table.ranking tbody tr")
    assert rows.count() > 10
    assert rows.first.locator("td.rank").inner_text() == "1"
    assert page.locator("tr[data-state=pending]").count() >= 1  # 市知识产权局 awaits review
    assert "暂不排名" in page.locator("tr[data-state=pending]").first.inner_text()
    _shot(page, "leader-qz-ranking-2026q3")
    page.select_option("select[name=quarter]", "")
    page.click(".period-switcher button[type=submit]")
    page.wait_for_url("**/ranking/?year=2026&quarter=")
    assert "2026年度" in page.locator("h1").inner_text()
    _shot(page, "leader-qz-ranking-2026")
    assert errors == []


def test_the_office_works_the_queue(dashboard_sample, live_server, browser):  # noqa: F811
    page, errors = _signed_in(browser, live_server, "office")
    page.goto(f"{live_server.url}/review/")
    queue = page.locator("table.pending-queue tbody tr")
    assert queue.count() == 2  # 2026 Q3: 市知识产权局 and 经开区市场局 await review
    _shot(page, "office-queue")
    queue.first.locator("a.btn").click()
    first = page.url
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.click("form[action$='approve-all/'] button")
    page.wait_for_url(lambda url: url != first)
    assert "确定全部审核通过吗" in dialogs[0] and "项已报送内容" in dialogs[0]
    assert "下一个待审核" in page.locator(".messages").inner_text()
    _shot(page, "office-next-unit")
    # Dismissing the confirmation approves nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    waiting = Submission.objects.filter(state="submitted").count()
    page.click("form[action$='approve-all/'] button")
    page.wait_for_timeout(300)
    assert Submission.objects.filter(state="submitted").count() == waiting
    page.goto(f"{live_server.url}/review/?period=2026-3&plan=quanzhou-2024-2026")
    row = page.locator("tr", has_text="中国人民银行泉州市分行")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.btn-urge").click()
    page.wait_for_load_state()
    assert "已向中国人民银行泉州市分行发送催报邮件" in page.locator(".messages").inner_text()
    assert page.url.endswith(f"#unit-{Reminder.objects.get(kind='urge').unit_id}")
    _shot(page, "office-urged")
    assert "今日已催报" in page.locator("tr", has_text="中国人民银行泉州市分行").inner_text()
    page.goto(f"{live_server.url}/office/plans/quanzhou-2024-2026/ranking-weights/")
    page.fill("#id_results", "70")
    page.fill("#id_reason", "年度考核办法调整")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/plans/quanzhou-2024-2026/ranking/")
    assert "考核权重已保存" in page.locator(".messages").inner_text()
    assert "指标成效（权重70）" in page.locator("table.ranking thead").inner_text()
    _shot(page, "office-ranking-after-weights")
    assert errors == []
