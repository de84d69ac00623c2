"""Logging in and out: each role lands on its own page, sees its own navigation, and repeated wrong passwords
lock the account out (django-axes) — even the right password is refused until the lock expires."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tests import factories
from tests.page import seen

PASSWORD = "test-pass-123"  # the factories' password


@pytest.mark.parametrize(
    ("role", "unit", "landing"),
    [("reporter", True, "/start/"), ("reviewer", False, "/review/"), ("admin", False, "/review/"),
     ("leader", False, "/board/")],
)  # fmt: skip
def test_each_role_lands_on_its_own_page(client, unit_a, role, unit, landing):
    factories.UserFactory(username="someone", role=role, unit=unit_a if unit else None)
    response = client.post("/login/", {"username": "someone", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == landing
    assert client.get("/login/")["Location"] == landing  # already logged in


def test_a_reporter_starts_at_its_open_supervision_items_else_at_the_quarter(client, reporter_a, leader):
    """A unit with a 督办事项 waiting for its answer sees it first; without one, 本季度填报."""
    from supervision.models import SupervisionItem

    client.force_login(reporter_a)
    assert client.get("/start/")["Location"] == "/report/"
    item = SupervisionItem.objects.create(
        title="补报数据", action="补报", criteria="报送", deadline=datetime.date(2030, 1, 1),
        lead_unit=reporter_a.unit, issued_by=leader,
    )  # fmt: skip
    assert client.get("/start/")["Location"] == "/supervision/?state=open"
    item.state = SupervisionItem.State.ANSWERED
    item.save()
    assert client.get("/start/")["Location"] == "/report/"


def test_a_next_page_wins_over_the_landing_page(client, reporter_a):
    response = client.post("/login/?next=/report/history/", {"username": "reporter_a", "password": PASSWORD,
                                                              "next": "/report/history/"})  # fmt: skip
    assert response["Location"] == "/report/history/"


def test_logging_out_ends_the_session(reporter_a_client):
    response = reporter_a_client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert reporter_a_client.get("/report/")["Location"].startswith("/login/")


def test_logging_out_says_so_on_the_login_page(reporter_a_client):
    page = reporter_a_client.post("/logout/", follow=True).content.decode()
    assert "您已安全退出" in page and "登录" in page


@pytest.mark.parametrize(
    ("fixture", "shown", "hidden"),
    [
        ("reporter_a_client", ["本季度填报", "历史填报", "工作方案"], ["填报审核", "填报分工", "系统管理"]),
        ("reviewer_client", ["填报审核", "填报期", "填报分工", "工作方案"], ["本季度填报", "历史填报"]),
        ("leader_client", ["工作方案"], ["本季度填报", "填报审核", "填报分工", "系统管理"]),
    ],
)
def test_the_navigation_shows_what_the_role_may_open(request, plans, fixture, shown, hidden):
    navigation = seen(request.getfixturevalue(fixture).get("/")).find("nav", cls="mainnav").links()
    for label in shown:
        assert label in navigation
    for label in hidden:
        assert label not in navigation


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, reporter_a):
    for _ in range(4):
        response = client.post("/login/", {"username": "reporter_a", "password": "wrong"})
        assert response.status_code == 200 and "请输入一个正确的" in response.content.decode()
    fifth = client.post("/login/", {"username": "reporter_a", "password": "wrong"})
    assert fifth.status_code == 429  # the fifth failure locks
    response = client.post("/login/", {"username": "reporter_a", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 429
    assert "登录失败次数过多" in html and "锁定 30 分钟" in html
    assert client.get("/report/")["Location"].startswith("/login/")  # not logged in

    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=31)):
        response = client.post("/login/", {"username": "reporter_a", "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/start/"


def test_the_lock_is_per_account(client, reporter_a, reporter_b):
    for _ in range(5):
        client.post("/login/", {"username": "reporter_a", "password": "wrong"})
    assert client.post("/login/", {"username": "reporter_b", "password": PASSWORD}).status_code == 302
