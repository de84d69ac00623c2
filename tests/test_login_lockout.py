"""Issue 17, finding 1: nobody can lock another person out. The client address is the proxy's X-Forwarded-For
only when the request comes from a configured trusted proxy; the lock is on (username, address), so an
attacker elsewhere cannot lock a user out; the cool-off is fixed (attempts during it do not extend it); an
address trying many usernames is stopped by a limit of its own; the office sees the locks and lifts one with a
reason, in the audit trail."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client

from audit.models import AuditRecord
from tests.page import seen

PASSWORD = "test-pass-123"  # the factories' password
PROXY = "10.0.0.5"
ATTACKER = "203.0.113.9"
USER_ADDRESS = "198.51.100.7"
T0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def behind_proxy(settings):
    settings.IPCITY_TRUSTED_PROXIES = [PROXY]


WRONG = "wrong"


def attempt(client, username, password=WRONG, *, via_proxy_for=None, remote=ATTACKER, forwarded=None):
    """A login POST from `remote`, or through the trusted proxy on behalf of `via_proxy_for`."""
    meta = {"REMOTE_ADDR": PROXY if via_proxy_for else remote}
    if via_proxy_for or forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded or via_proxy_for
    return client.post("/login/", {"username": username, "password": password}, **meta)


def test_behind_the_proxy_an_attacker_cannot_lock_out_the_real_user(behind_proxy, client, reviewer):
    for _ in range(5):
        attempt(client, "reviewer", via_proxy_for=ATTACKER)
    assert attempt(client, "reviewer", PASSWORD, via_proxy_for=ATTACKER).status_code == 429
    real = attempt(client, "reviewer", PASSWORD, via_proxy_for=USER_ADDRESS)
    assert real.status_code == 302 and real["Location"] == "/review/"
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_the_address_is_the_last_one_the_trusted_proxy_saw(behind_proxy, client, reviewer):
    # The attacker writes its own X-Forwarded-For; the proxy appends the address it saw, which is what counts.
    for spoofed in ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"]:
        attempt(client, "reviewer", via_proxy_for=f"{spoofed}, {ATTACKER}")
    assert attempt(client, "reviewer", PASSWORD, via_proxy_for=f"9.9.9.9, {ATTACKER}").status_code == 429
    assert attempt(client, "reviewer", PASSWORD, via_proxy_for=USER_ADDRESS).status_code == 302


def test_a_forwarded_header_from_anyone_else_is_ignored(behind_proxy, client, reviewer):
    for spoofed in ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"]:
        attempt(client, "reviewer", remote=ATTACKER, forwarded=spoofed)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert attempt(client, "reviewer", PASSWORD, remote=ATTACKER, forwarded=USER_ADDRESS).status_code == 429
    assert attempt(client, "reviewer", PASSWORD, remote=USER_ADDRESS).status_code == 302


def test_without_a_configured_proxy_the_forwarded_header_counts_for_nothing(client, reviewer, settings):
    settings.IPCITY_TRUSTED_PROXIES = []
    for _ in range(5):
        attempt(client, "reviewer", remote=PROXY, forwarded=ATTACKER)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}


def test_the_cool_off_is_fixed_and_further_attempts_do_not_extend_it(client, reviewer):
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            attempt(client, "reviewer")
    # Every ten minutes the attacker tries again: the lock is not moved forward.
    for minutes in (10, 20, 29):
        with time_machine.travel(T0 + datetime.timedelta(minutes=minutes), tick=False):
            assert attempt(client, "reviewer").status_code == 429
            assert attempt(client, "reviewer", PASSWORD).status_code == 429
    with time_machine.travel(T0 + datetime.timedelta(minutes=31), tick=False):
        assert attempt(client, "reviewer", PASSWORD).status_code == 302


def test_an_address_trying_many_usernames_is_stopped(client, settings, reviewer, leader):
    settings.IPCITY_LOCKOUT_ADDRESS_LIMIT = 12
    for number in range(12):  # three tries each at four usernames: no single pair reaches 5
        attempt(client, f"guess{number % 4}")
    assert attempt(client, "reviewer", PASSWORD).status_code == 429  # the address is locked for everyone
    assert attempt(client, "leader", PASSWORD, remote=USER_ADDRESS).status_code == 302  # elsewhere: fine


def test_the_address_limit_is_higher_than_the_accounts(settings):
    assert settings.IPCITY_LOCKOUT_ADDRESS_LIMIT > settings.AXES_FAILURE_LIMIT
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], ["ip_address"]]
    assert settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is False


def test_the_office_sees_the_locks_and_lifts_one_with_a_reason(reviewer_client, reviewer, leader):
    client = Client()  # the attacker's, not the office's logged-in one
    for _ in range(5):
        attempt(client, "leader")
    attempt(client, "someone-else")  # one failure: not a lock, not listed
    page = seen(reviewer_client.get("/office/lockouts/"))
    assert "leader" in page.text and ATTACKER in page.text and "someone-else" not in page.text
    assert "登录锁定" in page.find("nav", cls="mainnav").links()

    refused = reviewer_client.post("/office/lockouts/", {"username": "leader", "ip_address": ATTACKER,
                                                         "reason": "\u200b"})  # fmt: skip
    assert refused.status_code == 200 and "请填写解锁原因" in seen(refused).text
    assert attempt(client, "leader", PASSWORD).status_code == 429

    done = reviewer_client.post("/office/lockouts/", {"username": "leader", "ip_address": ATTACKER,
                                                      "reason": "本人电话确认"})  # fmt: skip
    assert done.status_code == 302 and done["Location"] == "/office/lockouts/"
    assert "已解除" in seen(reviewer_client.get("/office/lockouts/")).text
    record = AuditRecord.objects.get(model="audit.unlock")
    assert record.history_user == reviewer and "本人电话确认" in record.history_change_reason
    assert attempt(client, "leader", PASSWORD).status_code == 302


def test_unlocking_a_pair_that_is_not_locked_changes_nothing(reviewer_client, reviewer):
    response = reviewer_client.post("/office/lockouts/", {"username": "nobody", "ip_address": ATTACKER,
                                                          "reason": "试试"})  # fmt: skip
    assert response.status_code == 200 and "没有被锁定" in seen(response).text
    assert not AuditRecord.objects.filter(model="audit.unlock").exists()


@pytest.mark.parametrize("fixture", ["reporter_a_client", "leader_client"])
def test_only_the_office_may_see_or_lift_locks(request, fixture):
    client = request.getfixturevalue(fixture)
    assert client.get("/office/lockouts/").status_code == 403
    body = {"username": "x", "ip_address": ATTACKER, "reason": "r"}
    assert client.post("/office/lockouts/", body).status_code == 403
