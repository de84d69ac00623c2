"""Issue 17, finding 10 (the parts of accounts, audit and settings): an invisible reason is no reason, a NUL
in a query string is bad input, everyone may change their own password and a weak one is refused, sessions
end, authenticated answers are not cached, and `manage.py rollup` says what it did."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management import call_command

from audit.services import reason_required
from tests import factories
from tests.page import seen

PASSWORD = "test-pass-123"  # the factories' password
INVISIBLE = ["\u200b", " \u200c\u200d ", "\ufeff", "\u2060\u200b\t", "\u3000\u200b"]


@pytest.mark.parametrize("reason", INVISIBLE)
def test_a_reason_of_only_invisible_characters_is_no_reason(reason):
    with pytest.raises(ValidationError, match="请填写修改原因"):
        reason_required(reason, "修改原因")
    assert reason_required("\u200b 录入有误 \ufeff", "修改原因") == "录入有误"


def test_the_admin_refuses_a_zero_width_reason_with_a_message(admin_client_, plans):
    from plans.models import TaskUnit

    row = TaskUnit.objects.order_by("pk").first()
    url = f"/admin/plans/taskunit/{row.pk}/change/"
    data = {"task": row.task_id, "unit": row.unit_id, "role": row.role, "position": row.position + 100,
            "change_reason": "\u200b\u2060"}  # fmt: skip
    response = admin_client_.post(url, data)
    assert response.status_code == 200
    assert "请填写修改原因" in response.content.decode()
    assert TaskUnit.objects.get(pk=row.pk).position == row.position


@pytest.mark.parametrize(
    "url",
    ["/admin/accounts/user/?role=%00", "/admin/plans/unit/?kind__exact=%00",
     "/admin/axes/accessattempt/?q=a%00", "/admin/audit/auditrecord/?model=%00", "/review/?period=%00"],
)  # fmt: skip
def test_a_nul_byte_in_a_query_string_is_a_400_not_a_500(admin_client_, plans, url):
    response = admin_client_.get(url)
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


@pytest.mark.parametrize("role", ["reporter", "leader", "reviewer"])
def test_everyone_can_change_their_own_password(client, unit_a, role):
    user = factories.UserFactory(username="someone", role=role, unit=unit_a if role == "reporter" else None)
    client.force_login(user)
    page = seen(client.get("/"))
    assert "修改密码" in page.find("div", cls="who").links()
    form = client.get("/password/")
    assert form.status_code == 200 and "原密码" in form.content.decode()
    weak = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": "rt-weak1", "new_password2": "rt-weak1"}
    )
    assert weak.status_code == 200 and "至少需要 10 个字符" in seen(weak).text
    strong = "Zhiquan#2026Q4"
    done = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong}
    )
    assert done.status_code == 302 and done["Location"] == "/password/done/"
    assert "密码已修改" in seen(client.get("/password/done/")).text
    user.refresh_from_db()
    assert user.check_password(strong)


def test_changing_a_password_needs_a_login(client):
    assert client.get("/password/")["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("password", "message"),
    [("rt-weak1", "至少"), ("short#A1", "至少"), ("alllowercaseletters", "至少包含"),
     ("ABCDEFGHIJ12", "至少包含")],
)  # fmt: skip
def test_the_password_policy_refuses_weak_passwords(db, password, message):
    with pytest.raises(ValidationError) as refused:
        password_validation.validate_password(password)
    assert any(message in text for text in refused.value.messages)


@pytest.mark.parametrize("password", ["Zhiquan#2026Q4", "ip-city-Quanzhou-7", "知识产权强市2026ab"])
def test_the_password_policy_takes_strong_passwords(db, password):
    password_validation.validate_password(password)


def test_a_session_ends_with_the_browser_and_after_hours_idle(settings, client, reporter_a):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    response = client.post("/login/", {"username": "reporter_a", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=7)
    with time_machine.travel(later):
        assert client.get("/report/").status_code == 200  # active: the idle clock restarts
    with time_machine.travel(later + datetime.timedelta(hours=8, minutes=1)):
        assert client.get("/report/")["Location"].startswith("/login/")


def test_authenticated_pages_and_api_answers_are_not_stored(reporter_a_client, plans):
    page = reporter_a_client.get("/report/")
    assert "no-store" in page["Cache-Control"]
    api = reporter_a_client.get("/api/plans/")
    assert api.status_code == 200 and "no-store" in api["Cache-Control"]


def test_static_files_and_anonymous_pages_keep_their_caching(client, db):
    static = client.get("/static/css/ipcity.css")
    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")
    assert "no-store" not in client.get("/healthz/").get("Cache-Control", "")


def test_rollup_says_it_computed_rows_not_that_it_wrote_them(plans):
    out = StringIO()
    call_command("rollup", stdout=out)
    first = out.getvalue()
    assert "写入" not in first
    assert "计算" in first and "quanzhou-2024-2026" in first
    out = StringIO()
    call_command("rollup", stdout=out)
    assert "写入" not in out.getvalue()
