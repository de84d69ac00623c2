"""Issue 17, finding 10 (API tokens): a token expires (IPCITY_API_TOKEN_DAYS), the database keeps only its
SHA-256 digest, and the key is shown in clear once, when the admin creates it."""

from __future__ import annotations

import datetime
import hashlib

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import token_issue
from tests.page import seen

T0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


def api_get(key: str):
    return APIClient().get("/api/plans/", HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_works_until_it_expires(plans, leader, settings):
    settings.IPCITY_API_TOKEN_DAYS = 30
    with time_machine.travel(T0, tick=False):
        token, key = token_issue(user=leader, name="统计系统对接")
    assert token.expires_at == T0 + datetime.timedelta(days=30)
    with time_machine.travel(T0 + datetime.timedelta(days=29, hours=23), tick=False):
        assert api_get(key).status_code == 200
    with time_machine.travel(T0 + datetime.timedelta(days=30, seconds=1), tick=False):
        response = api_get(key)
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
        assert "已过期" in response.json()["detail"]


def test_only_the_digest_is_stored(leader):
    token, key = token_issue(user=leader)
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in {str(value) for value in stored.values()}
    assert stored["digest"] == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(stored["prefix"]) and len(stored["prefix"]) < len(key) // 4


def test_a_wrong_or_inactive_users_token_is_refused(plans, leader):
    _, key = token_issue(user=leader)
    assert api_get(key[:-1] + ("0" if key[-1] != "0" else "1")).status_code == 401
    leader.is_active = False
    leader.save()
    response = api_get(key)
    assert response.status_code == 401 and "停用" in response.json()["detail"]


def test_the_admin_shows_the_key_once_at_creation(admin_client_, leader):
    response = admin_client_.post(
        "/admin/accounts/apitoken/add/", {"user": leader.pk, "name": "数据交换"}, follow=True
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=leader)
    shown = [text for text in (str(m) for m in response.context["messages"]) if "请立即复制" in text]
    assert len(shown) == 1
    key = shown[0].split("：", 1)[1].split("（", 1)[0].strip()
    assert hashlib.sha256(key.encode()).hexdigest() == token.digest
    again = admin_client_.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    assert key not in again.content.decode() and token.prefix in seen(again).text
    assert key not in admin_client_.get("/admin/accounts/apitoken/").content.decode()


@pytest.mark.parametrize("days", [0, -1])
def test_the_lifetime_setting_must_be_positive(leader, settings, days):
    settings.IPCITY_API_TOKEN_DAYS = days
    with pytest.raises(ValueError, match="IPCITY_API_TOKEN_DAYS"):
        token_issue(user=leader)
