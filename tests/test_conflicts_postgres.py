"""Two people saving one figure at the same moment, through the page and through the API, on PostgreSQL with
two real connections: one save wins, the other gets the conflict message, nothing is silently overwritten.
The same holds when both create a row not stored yet: both INSERT and the unique constraint decides."""

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

from reporting.models import Period, Submission, TaskReport
from reporting.services.calendar import periods_ensure
from tests import factories
from tests.factories import api_key
from tests.page import parse
from tests.quarter import quarter_post

NOW = datetime.datetime(2026, 11, 21, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def empty(on_postgres):
    """A unit that owes one figure and one task report, neither stored yet, and two of its reporters."""
    if not on_postgres:
        pytest.skip("the race needs two real connections: PostgreSQL")
    with time_machine.travel(NOW, tick=False):
        periods_ensure(years=[2026])
        unit = factories.UnitFactory()
        indicator = factories.IndicatorFactory(decimals=0)
        factories.AssignmentFactory(indicator=indicator, unit=unit)
        task = factories.TaskUnitFactory(unit=unit, task__section__plan=indicator.plan).task
        people = [factories.UserFactory(role="reporter", unit=unit, username=f"p{n}") for n in range(2)]
        yield indicator, task, people


@pytest.fixture
def race(empty):
    indicator, _, people = empty
    with time_machine.travel(NOW, tick=False):
        row = factories.SubmissionFactory(
            indicator=indicator,
            unit=people[0].unit,
            period=factories.PeriodFactory(year=2026, quarter=4),
            value=Decimal(1),
        )
        yield row, people


def shown(unit) -> dict:
    """What the report page posts before anything is typed: every row's version, the action 保存."""
    with time_machine.travel(NOW, tick=False):
        return quarter_post(unit, Period.objects.get(year=2026, quarter=4), NOW.date())


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
        data = {**shown(row.unit), f"{key}-value": str(20 + n), f"{key}-version": "1", f"{key}-note": ""}
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


def insert_together(monkeypatch, model) -> None:
    """Both saves have read "no row yet"; they wait for each other right before their INSERT: a real race."""
    barrier = threading.Barrier(2, timeout=10)
    met = threading.local()  # each save meets the other once: a loser's retry row by row goes on alone
    save = model.save

    def meet() -> None:
        if not getattr(met, "done", False):
            met.done = True
            barrier.wait()

    def racing_save(row, *args, **kwargs):
        if row.pk is None:
            meet()
        return save(row, *args, **kwargs)

    monkeypatch.setattr(model, "save", racing_save)
    # the report page's save creates its rows in one bulk INSERT (audit.services.rows_write)
    manager = type(model._default_manager)
    bulk_create = manager.bulk_create

    def racing_bulk_create(self, rows, *args, **kwargs):
        if self.model is model:
            meet()
        return bulk_create(self, rows, *args, **kwargs)

    monkeypatch.setattr(manager, "bulk_create", racing_bulk_create)


@pytest.mark.django_db(transaction=True)
def test_two_api_creates_of_one_new_figure_one_wins_one_gets_a_409(empty, monkeypatch):
    indicator, _, people = empty
    clients = []
    for person in people:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(person)}")
        clients.append(client)
    insert_together(monkeypatch, Submission)
    body = {"plan": indicator.plan.slug, "indicator": indicator.code, "year": 2026, "quarter": 4}

    def save(n):
        with time_machine.travel(NOW, tick=False):
            response = clients[n].post("/api/submissions/", {**body, "value": str(10 + n)}, format="json")
        return response.status_code, response.json()

    outcomes = run_together(save)
    assert sorted(code for code, _ in outcomes) == [201, 409]
    assert "已被他人同时新建" in next(body for code, body in outcomes if code == 409)["detail"]
    stored = Submission.objects.get()
    assert stored.value in (10, 11) and stored.history.count() == 1


def page_race(people, monkeypatch, model, form) -> str:
    """Both reporters post `form(n)` on the report page at once; the loser's page (200), after checking the
    winner was redirected (302)."""
    clients = []
    for person in people:
        client = Client()
        client.force_login(person)
        clients.append(client)
    insert_together(monkeypatch, model)

    def save(n):
        with time_machine.travel(NOW, tick=False):
            response = clients[n].post("/report/?period=2026-4", {**shown(people[0].unit), **form(n)})
        return response.status_code, response.content.decode()

    outcomes = run_together(save)
    assert sorted(code for code, _ in outcomes) == [200, 302]
    html = next(body for code, body in outcomes if code == 200)
    assert "已被他人同时新建" in html and "有冲突" in html
    return html


@pytest.mark.django_db(transaction=True)
def test_two_page_saves_creating_one_figure_one_wins_one_sees_the_conflict(empty, monkeypatch):
    indicator, _, people = empty
    key = f"indicator-{indicator.pk}"
    html = page_race(people, monkeypatch, Submission, lambda n: {
        f"{key}-value": str(20 + n), f"{key}-version": "0", f"{key}-note": ""
    })  # fmt: skip
    stored = Submission.objects.get()
    assert parse(html).fields()[f"{key}-value"] == str(41 - int(stored.value))  # the loser's input, kept


@pytest.mark.django_db(transaction=True)
def test_two_page_saves_creating_one_task_report_one_wins_one_sees_the_conflict(empty, monkeypatch):
    _, task, people = empty
    key = f"task-{task.pk}"
    html = page_race(people, monkeypatch, TaskReport, lambda n: {
        f"{key}-status": "in_progress", f"{key}-progress": f"进展{n}", f"{key}-problems": "",
        f"{key}-next_steps": "", f"{key}-version": "0",
    })  # fmt: skip
    stored = TaskReport.objects.get()
    assert parse(html).fields()[f"{key}-progress"] == ("进展1" if stored.progress == "进展0" else "进展0")
