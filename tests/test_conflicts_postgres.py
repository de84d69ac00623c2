"""Two people saving one figure at the same moment, through the page and through the API, on PostgreSQL with
two real connections: one save wins, the other gets the conflict message, nothing is silently overwritten."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from reporting.models import Submission
from reporting.services.calendar import periods_ensure
from tests import factories
from tests.factories import api_key
from tests.page import parse

NOW = datetime.datetime(2026, 11, 21, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def race(on_postgres):
    if not on_postgres:
        pytest.skip("the race needs two real connections: PostgreSQL")
    with time_machine.travel(NOW, tick=False):
        periods_ensure(years=[2026])
        unit = factories.UnitFactory()
        indicator = factories.IndicatorFactory(decimals=0)
        factories.AssignmentFactory(indicator=indicator, unit=unit)
        people = [factories.UserFactory(role="reporter", unit=unit, username=f"p{n}") for n in range(2)]
        row = factories.SubmissionFactory(
            indicator=indicator,
            unit=unit,
            period=factories.PeriodFactory(year=2026, quarter=4),
            value=Decimal(1),
        )
        yield row, people


def run_together(save) -> list:
    barrier = threading.Barrier(2)
    outcomes: list = []

    def one(n):
        try:
            barrier.wait()
            outcomes.append(save(n))
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_api_patches_of_one_version_one_wins_one_gets_a_409(race):
    row, people = race
    clients = []
    for person in people:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(person)}")
        clients.append(client)

    def save(n):
        response = clients[n].patch(
            f"/api/submissions/{row.pk}/", {"value": str(10 + n), "version": 1}, format="json"
        )
        return response.status_code, response.json()

    outcomes = run_together(save)
    assert sorted(code for code, _ in outcomes) == [200, 409]
    loser = next(body for code, body in outcomes if code == 409)
    assert "已被他人" in loser["detail"]
    stored = Submission.objects.get()
    assert stored.version == 2 and stored.value in (Decimal(10), Decimal(11))
    assert stored.history.count() == 2  # the draft and the one save that won


@pytest.mark.django_db(transaction=True)
def test_two_page_saves_of_one_version_one_wins_one_sees_the_conflict(race):
    row, people = race
    clients = []
    for person in people:
        client = Client()
        client.force_login(person)
        clients.append(client)
    key = f"indicator-{row.indicator_id}"

    def save(n):
        data = {"action": "save", f"{key}-value": str(20 + n), f"{key}-version": "1", f"{key}-note": ""}
        response = clients[n].post("/report/?period=2026-4", data)
        return response.status_code, response.content.decode()

    outcomes = run_together(save)
    assert sorted(code for code, _ in outcomes) == [200, 302]
    html = next(body for code, body in outcomes if code == 200)
    assert "已被他人" in html and "有冲突" in html
    stored = Submission.objects.get()
    kept = parse(html).fields()[f"{key}-value"]
    assert kept == str(40 + 1 - int(stored.value))  # the loser's own input, kept on the page
    assert stored.version == 2
