"""Failure drills: the database refusing a write part-way through an Excel import, a multi-figure save, an API
change, an approval (its audit record) or a bulk approval leaves nothing half-written, and the user is told in
Chinese that nothing was kept (pages: a 503 page; the API: 503 JSON with Retry-After).

On PostgreSQL a real trigger refuses the chosen row the way a full disk does (SQLSTATE 53100, disk_full); on
SQLite the chosen write statement raises the driver's OperationalError. The broker and worker drills (Redis
down while approving, a worker SIGKILLed mid roll-up) are in tests/test_rollup_worker.py."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal as D

from django.apps import apps
from django.db import OperationalError, connection
from django.urls import reverse

from audit.guard import history_models
from indicators.models import RollupPending
from ipcity.middleware import MESSAGE
from reporting.models import Submission, TaskReport
from tests import factories
from tests.excel_files import fill
from tests.quarter import full_quarter, quarter_post
from tests.test_excel_template import FILLED, download, upload

SENT = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)
DISK_FULL = "could not extend file: No space left on device"


@contextmanager
def refusing(model, *, nth: int, **match: int) -> Iterator[None]:
    """While the block runs the database refuses to write `model`'s rows matching `match` (PostgreSQL), or the
    `nth` INSERT/UPDATE statement on its table (SQLite, which has no trigger that can raise a disk error)."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        condition = " AND ".join(f"NEW.{column} = {int(value)}" for column, value in match.items())
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION drill_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"RAISE EXCEPTION USING ERRCODE = 'disk_full', MESSAGE = '{DISK_FULL}'; END $$"
            )
            cursor.execute(
                f'CREATE TRIGGER drill_refuse BEFORE INSERT OR UPDATE ON "{table}" FOR EACH ROW '
                f"WHEN ({condition}) EXECUTE FUNCTION drill_refuse()"
            )
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP TRIGGER drill_refuse ON "{table}"')
                cursor.execute("DROP FUNCTION drill_refuse()")
        return
    seen = 0

    def refuse(execute, sql, params, many, context):
        nonlocal seen
        if sql.startswith((f'INSERT INTO "{table}"', f'UPDATE "{table}"')):
            seen += 1
            if seen == nth:
                raise OperationalError(DISK_FULL)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def counts() -> dict[str, int]:
    """Rows of every table the drills could touch, history tables included."""
    models = [
        Submission,
        TaskReport,
        RollupPending,
        apps.get_model("reporting", "Evidence"),
        *history_models(),
    ]
    return {model._meta.label: model.objects.count() for model in models}


def assert_told_nothing_was_kept(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert MESSAGE in response.content.decode()
    assert "没有保存" in MESSAGE


def test_a_database_refusing_a_write_midway_through_an_import_keeps_nothing(
    reporter_a_client, xl_period, xl_indicators
):
    uploaded = upload(reporter_a_client, fill(download(reporter_a_client, xl_period), FILLED), xl_period)
    token = uploaded["Location"].rstrip("/").rsplit("/", 1)[-1]
    before = counts()
    third = xl_indicators["版权登记量"]  # the template's third row: two figures are written before it
    with refusing(Submission, nth=3, indicator_id=third.pk):
        response = reporter_a_client.post(reverse("import-confirm", args=[token]))
    assert_told_nothing_was_kept(response)
    assert "暂时无法保存" in response.content.decode()
    assert counts() == before
    # The upload waits for another try; once the database writes again the import goes through whole.
    assert reporter_a_client.post(reverse("import-confirm", args=[token])).status_code == 302
    assert Submission.objects.count() == 5


def test_a_database_refusing_a_write_midway_through_a_quarter_save_keeps_nothing(reporter_a_client, desk):
    data = quarter_post(desk.unit_a, desk.period, desk.today, figures=full_quarter(desk), fill_tasks=True)
    before = counts()
    with refusing(Submission, nth=3, indicator_id=desk.milestone.pk):
        response = reporter_a_client.post("/report/?period=2026-4", data)
    assert_told_nothing_was_kept(response)
    assert counts() == before
    assert reporter_a_client.post("/report/?period=2026-4", data).status_code == 302
    assert Submission.objects.filter(unit=desk.unit_a).count() == 4


def test_the_api_answers_503_with_retry_after_when_the_database_refuses(reporter_a, desk, client):
    row = factories.SubmissionFactory(indicator=desk.count, unit=desk.unit_a, period=desk.period, value=D(3))
    client.force_login(reporter_a)
    before = counts()
    with refusing(Submission, nth=1, id=row.pk):
        response = client.patch(
            f"/api/submissions/{row.pk}/",
            {"value": "4", "version": row.version},
            content_type="application/json",
        )
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json() == {"detail": MESSAGE}
    assert counts() == before
    assert Submission.objects.get(pk=row.pk).value == D(3)


def test_an_approval_whose_audit_record_cannot_be_written_is_not_kept(reviewer, desk, client):
    """The change and its audit record stand or fall together: no approval without its record."""
    row = factories.SubmissionFactory(
        indicator=desk.count, unit=desk.unit_a, period=desk.period, value=D(3), state="submitted",
        submitted_at=SENT,
    )  # fmt: skip
    client.force_login(reviewer)
    before = counts()
    with refusing(Submission.history.model, nth=1, id=row.pk):
        response = client.post(f"/api/submissions/{row.pk}/approve/", {}, content_type="application/json")
    assert response.status_code == 503
    assert counts() == before
    assert Submission.objects.get(pk=row.pk).state == "submitted"


def test_a_bulk_approval_refused_midway_approves_nothing(reviewer_client, desk):
    rows = [
        factories.SubmissionFactory(
            indicator=indicator,
            unit=desk.unit_a,
            period=desk.period,
            value=D(1),
            state="submitted",
            submitted_at=SENT,
        )
        for indicator in (desk.stock, desk.count, desk.milestone)
    ]
    before = counts()
    with refusing(Submission, nth=3, id=rows[1].pk):  # SQLite: an approval is two UPDATEs (lock, save)
        response = reviewer_client.post(f"/review/2026-4/{desk.unit_a.pk}/approve-all/")
    assert_told_nothing_was_kept(response)
    assert counts() == before
    assert set(Submission.objects.values_list("state", flat=True)) == {"submitted"}
