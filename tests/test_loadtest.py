"""The load test's pieces (manage.py loadtest, devdata/bench/load.py): its percentiles, the form a simulated
reporter posts, how it reads the answers, and the check that every accepted save is stored exactly once.
The whole run (a database, collectstatic, gunicorn) takes over a minute even at 8 clients: not run here."""

from __future__ import annotations

import random

import pytest

from devdata.bench.load import (
    Sample,
    Write,
    exceptions,
    outcome,
    percentile,
    quarter_form,
    stored_once,
    summary,
    tag_of,
)


def test_percentiles_interpolate_between_ranks():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile(list(map(float, range(1, 101))), 0.95) == pytest.approx(95.05)
    assert percentile([1.0, 2.0], 1.0) == 2.0


def test_the_summary_counts_each_kind_and_its_server_errors():
    samples = [Sample("填报页", 0.1, 200), Sample("填报页", 0.3, 502), Sample("填报页", 0.2, 0)]
    [row] = summary([*samples, Sample("基线（改密码页）", 0.05, 200)], seconds=2.0)[:1]
    assert (row["kind"], row["count"], row["errors"], row["per_second"]) == ("填报页", 3, 2, 1.5)
    assert row["p50_ms"] == pytest.approx(200)


PAGE = """<form method="post" action="/report/?period=2026-4" class="quarter-form">
<input type="hidden" name="csrfmiddlewaretoken" value="tok">
<input type="text" name="indicator-3-value"><textarea name="indicator-3-note"></textarea>
<input type="hidden" name="indicator-3-version" value="2" id="id_indicator-3-version">
<input name="indicator-4-numerator"><input name="indicator-4-denominator"><textarea name="indicator-4-note">
<input type="hidden" name="indicator-4-version" value="0">
<select name="task-9-status"></select><textarea name="task-9-progress"></textarea>
<input type="hidden" name="task-9-version" value="0"></form>"""


def test_a_reporter_fills_every_editable_row_with_its_tag():
    action, data, rows = quarter_form(PAGE, "LTab12-3-7", random.Random(1))
    assert (action, rows) == ("/report/?period=2026-4", 3)
    assert data["csrfmiddlewaretoken"] == "tok" and data["indicator-3-version"] == "2"
    assert data["indicator-3-note"] == "LTab12-3-7" and 50 <= int(data["indicator-3-value"]) <= 99
    assert (data["indicator-4-numerator"], data["indicator-4-denominator"]) == ("9", "10")
    assert data["task-9-status"] == "in_progress" and tag_of(data["task-9-progress"]) == "LTab12-3-7"
    assert quarter_form("<p>只读</p>", "LTab12-3-7", random.Random(1)) is None


def test_it_reads_the_answers_of_a_save():
    assert outcome(302, "") == "accepted"
    assert outcome(409, "") == "refused"
    assert outcome(500, "") == "error" and outcome(0, "") == "error"
    assert outcome(200, "<b>有冲突：</b>") == "conflict"
    assert outcome(200, "本次保存未生效") == "invalid"


def test_every_accepted_save_must_reach_each_of_its_rows_once():
    writes = [
        Write("LTa-1-0", 2, "accepted"),
        Write("LTa-2-0", 1, "conflict"),
        Write("LTa-1-1", 1, "accepted"),
    ]
    history = [
        ("Submission", 1, None),  # the demo's own rows carry no tag
        ("Submission", 1, "LTa-1-0"),
        ("TaskReport", 1, "LTa-1-0"),
        ("Submission", 1, "LTa-1-0"),  # the same write's submission changing the state: not a new write
        ("Submission", 2, "LTa-1-1"),
    ]
    check = stored_once(writes, history)
    assert check.ok and (check.accepted, check.rows_expected, check.rows_stored) == (2, 3, 3)


def test_it_finds_lost_doubled_and_unacknowledged_writes():
    writes = [Write("LTa-1-0", 2, "accepted"), Write("LTa-2-0", 1, "error"), Write("LTa-3-0", 1, "accepted")]
    history = [
        ("Submission", 1, "LTa-1-0"),  # the second row of LTa-1-0 never arrived
        ("Submission", 5, "LTa-3-0"),
        ("Submission", 5, "LTa-9-9"),
        ("Submission", 5, "LTa-3-0"),  # LTa-3-0 written twice into row 5
        ("Submission", 7, "LTa-2-0"),  # stored, though the client saw an error
    ]
    check = stored_once(writes, history)
    assert not check.ok
    assert check.missing == ["LTa-1-0"] and check.duplicated == ["LTa-3-0"]  # its one row holds it twice
    assert check.unacknowledged == ["LTa-2-0", "LTa-9-9"]


def test_it_names_the_exceptions_in_the_server_log():
    log = """[ERROR] Internal Server Error: /report/
Traceback (most recent call last):
  File "x.py", line 1, in f
psycopg.errors.UniqueViolation: duplicate key value

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "y.py", line 2, in g
django.db.utils.IntegrityError: duplicate key value
"""
    assert exceptions(log) == {
        "psycopg.errors.UniqueViolation: duplicate key value": 1,
        "django.db.utils.IntegrityError: duplicate key value": 1,
    }
