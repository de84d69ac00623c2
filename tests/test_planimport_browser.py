"""A plan document's way in the system Chromium: upload → review beside the text → edit one reading with a
reason → publish → the plan on the dashboards with its targets."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests import factories
from tests.chromium import ARTIFACTS, CHROMIUM, signed_in_page

DOCUMENT = Path(__file__).parent / "plan_documents" / "shili-city.txt"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="系统 Chromium 未安装"),
]


@pytest.fixture
def prepared(live_server, transactional_db, plans, tmp_path):
    """The reviewer's session cookie and the GBK file it uploads, made before Playwright starts."""
    client = Client()
    client.force_login(factories.UserFactory(role="reviewer", username="office-import"))
    path = tmp_path / "示例市方案.txt"
    path.write_bytes(DOCUMENT.read_text(encoding="utf-8").encode("gbk"))
    return client.cookies[settings.SESSION_COOKIE_NAME].value, path


@pytest.fixture
def page(prepared, live_server):
    cookie, _ = prepared
    with signed_in_page(live_server, cookie, width=1400) as page:
        yield page


def test_the_office_imports_reviews_edits_and_publishes_a_plan(page, prepared, live_server):
    _, path = prepared
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"{live_server.url}/office/plans/import/")
    page.fill("input[name=slug]", "shili-2025-2027")
    page.set_input_files("input[name=file]", str(path))
    page.click("text=识别方案")
    page.wait_for_selector(".import-doc")
    assert page.locator(".import-doc mark", has_text="新建商标品牌指导站3—5个").count() == 1
    assert "待确认" in page.inner_text(".import-items")
    page.screenshot(path=ARTIFACTS / "plan-import-review.png", full_page=True)

    edit = page.locator(
        '#ind-i06 form:has(input[name=action][value=target]):has(input[name=year][value="2025"])'
    )
    edit.locator("select[name=comparator]").select_option("gte")
    edit.locator("input[name=min]").fill("4")
    edit.locator("input[name=max]").fill("")
    edit.locator("input[name=reason]").fill("按市政府批复调整")
    edit.locator("button").click()
    page.wait_for_selector(".msg-success")
    assert "已修改“新建商标品牌指导站”2025年目标" in page.inner_text(".messages")
    assert "办公室：按市政府批复调整" in page.inner_text("#ind-i06")

    page.select_option("select[name=region]", label="泉州市")
    page.click("text=发布方案")
    page.wait_for_url(f"{live_server.url}/plans/shili-2025-2027/")
    body = page.inner_text("main")
    assert "示例市知识产权强市建设行动方案" in body
    assert "新建商标品牌指导站" in body
    page.screenshot(path=ARTIFACTS / "plan-import-published.png", full_page=True)
    assert not errors

    # The ORM may not run inside Playwright's event loop: the plan's own API tells what was stored.
    answer = page.request.get(
        f"{live_server.url}/api/plans/shili-2025-2027/indicators/", headers={"Accept": "application/json"}
    )
    assert answer.status == 200, answer.text()
    indicators = answer.json()
    stations = next(ind for ind in indicators if ind["name"] == "新建商标品牌指导站")
    target = next(t for t in stations["targets"] if t["year"] == 2025)
    assert (target["origin"], target["min"], target["comparator"]) == ("office", "4.0000", "gte")
