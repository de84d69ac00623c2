"""The Excel import pages in the system Chromium: a refused file, a preview with row errors, an import."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from tests.chromium import ARTIFACTS, CHROMIUM, signed_in_page
from tests.excel_files import fill, with_macro
from tests.test_excel_template import FILLED, template_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="系统 Chromium 未安装"),
]


@pytest.fixture
def prepared(live_server, transactional_db, reporter_a, unit_a, xl_period, xl_indicators, settings, tmp_path):
    """The reporter's session cookie and the files it uploads, made before Playwright starts (the ORM must not
    run inside Playwright's event loop)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client()
    client.force_login(reporter_a)
    template = template_of(unit_a, xl_period)
    files = {
        "bad.xlsx": fill(
            template,
            {
                "商标有效注册量": {"本季度数值": "约85万", "说明": "估算"},
                "地理标志商标和地理标志保护产品总量": {"本季度数值": 63.5},
                "版权登记量": {"本季度数值": 12.5},
                "知识产权案件按期结案率": {"分子": 51, "分母": 50},
            },
        ),
        "macro.xlsx": with_macro(template),
        "good.xlsx": fill(template, FILLED),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return client.cookies[settings.SESSION_COOKIE_NAME].value, tmp_path


@pytest.fixture
def page(prepared, live_server):
    cookie, _ = prepared
    with signed_in_page(live_server, cookie, width=1280) as page:
        yield page


def _upload(page, live_server, path: Path) -> None:
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.click("text=上传并预览")


def test_it_walks_a_reporter_through_refusal_errors_and_import(page, prepared, live_server):
    _, folder = prepared
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    _upload(page, live_server, folder / "macro.xlsx")
    assert "文件含有宏（VBA代码）" in page.inner_text(".form-errors")
    page.screenshot(path=ARTIFACTS / "import-refused.png", full_page=True)

    _upload(page, live_server, folder / "bad.xlsx")
    page.wait_for_url("**/imports/*/")
    assert "表格中有3处错误，本次不能导入" in page.inner_text(".form-errors")
    assert page.locator("tr.import-row-error").count() == 3
    assert page.locator("text=确认导入").count() == 0
    page.screenshot(path=ARTIFACTS / "import-preview-errors.png", full_page=True)

    _upload(page, live_server, folder / "good.xlsx")
    page.wait_for_url("**/imports/*/")
    page.screenshot(path=ARTIFACTS / "import-preview.png", full_page=True)
    page.click("text=确认导入5项指标数据（保存为草稿）")
    page.wait_for_url("**/report/?period=2025-3")
    assert "已保存5项指标数据（草稿），请在填报页核对后报送。" in page.inner_text(".messages")
    page.screenshot(path=ARTIFACTS / "import-done.png", full_page=True)
    assert [error for error in errors if "status of 400" not in error] == []  # a refusal answers 400
