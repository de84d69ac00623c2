"""Errors in the user's language on every settings module, `make run`'s embedded default included: our
Chinese 400/403/404/500 pages, JSON under /api/, a malformed quarter a 400, refusals logged without a
traceback."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
from django.test import RequestFactory

from ipcity import errors
from tests import factories


def test_it_serves_the_embedded_default_without_django_debug_pages():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_DEBUG"}
    env["DJANGO_SETTINGS_MODULE"] = "ipcity.settings.local"
    shown = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG)"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shown.stdout.strip() == "False"


def test_a_wrong_address_is_our_chinese_page(db, client):
    factories.UserFactory(username="someone")
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page and "URLconf" not in page


def test_a_malformed_quarter_is_a_400_in_chinese(desk, reporter_a, client):
    client.force_login(reporter_a)
    response = client.get("/report/?period=abc")
    assert response.status_code == 400
    page = response.content.decode()
    assert "填报期“abc”格式不正确" in page and "2026-3" in page
    # a well-formed quarter without a period stays what it is: not found
    assert client.get("/report/?period=2031-1").status_code == 404


def test_a_refusal_under_api_is_json():
    request = RequestFactory().get("/api/whatever/")
    for response, status in (
        (errors.bad_request(request, ValueError("x")), 400),
        (errors.permission_denied(request, PermissionError()), 403),
        (errors.page_not_found(request, None), 404),
        (errors.server_error(request), 500),
    ):
        assert response.status_code == status and response["Content-Type"] == "application/json"
        assert json.loads(response.content)["detail"]


def test_a_server_error_is_our_chinese_page_drawn_without_the_database():
    response = errors.server_error(RequestFactory().get("/report/"))
    page = response.content.decode()
    assert response.status_code == 500 and "系统出错" in page and "没有保存" in page


def test_django_s_own_bad_request_messages_are_not_shown():
    from django.core.exceptions import DisallowedHost

    page = errors.bad_request(
        RequestFactory().get("/"), DisallowedHost("Invalid HTTP_HOST header: 'x'")
    ).content.decode()
    assert "请求有误" in page and "HTTP_HOST" not in page


@pytest.mark.parametrize(("status", "kept"), [(403, False), (404, False), (400, False), (500, True)])
def test_refusals_are_logged_without_a_traceback(status, kept):
    try:
        raise PermissionError("x")
    except PermissionError:
        record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Forbidden", (), sys.exc_info())
    record.status_code = status
    assert errors.RefusalsWithoutTraceback().filter(record)
    assert (record.exc_info is not None) is kept


def test_the_console_handler_drops_refusal_tracebacks():
    from ipcity.settings import base

    assert "refusals" in base.LOGGING["handlers"]["console"]["filters"]


def test_the_admin_names_the_login_locks_in_chinese(admin_client_):
    page = admin_client_.get("/admin/").content.decode()
    assert "登录锁定" in page and "登录尝试" in page and "Axes" not in page and "Access attempts" not in page


def test_every_page_title_has_a_separator(reporter_a_client):
    page = reporter_a_client.get("/report/history/").content.decode()
    assert "<title>历史填报 · 知识产权强市建设工作平台</title>" in page
