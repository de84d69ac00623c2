"""What one save of the reporting page costs the database: a fixed number of statements however many rows
of the quarter it writes (issue 19: each row took its own INSERT, or claim, UPDATE and history INSERT)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.measures import Figure
from reporting.models import ReviewState, Submission, TaskReport
from reporting.selectors import unit_tasks
from reporting.services.entry import FigureInput, ProgressInput
from reporting.services.quarter import quarter_save
from tests import factories

PROGRESS = "本季度按计划推进，已召开专题推进会。"


def _figures(desk, *, value: str = "88.12") -> list[FigureInput]:
    versions = {row.indicator_id: row.version for row in Submission.objects.filter(unit=desk.unit_a)}
    figures = {
        desk.stock: Figure(value=D(value)),
        desk.count: Figure(value=D(70)),
        desk.milestone: Figure(done=True),
        desk.ratio: Figure(numerator=D(9), denominator=D(10)),
    }
    return [
        FigureInput(indicator.pk, figure, versions.get(indicator.pk)) for indicator, figure in figures.items()
    ]


def _tasks(desk, *, text: str = PROGRESS) -> list[ProgressInput]:
    versions = {row.task_id: row.version for row in TaskReport.objects.filter(unit=desk.unit_a)}
    return [
        ProgressInput(task.pk, "in_progress", progress=text, version=versions.get(task.pk))
        for task in unit_tasks(desk.unit_a, desk.period.year)
    ]


def _save(desk, user, figures, tasks, *, submit=False) -> int:
    with CaptureQueriesContext(connection) as queries:
        quarter_save(
            unit=desk.unit_a, period=desk.period, figures=figures, tasks=tasks, by=user, submit=submit,
            today=desk.today,
        )  # fmt: skip
    return len(queries)


@pytest.fixture
def user(desk, reporter_a):
    return reporter_a


def test_it_creates_one_row_or_the_whole_quarter_in_the_same_number_of_queries(desk, user):
    one = _save(desk, user, _figures(desk)[:1], [])
    Submission.objects.all().delete()
    whole = _save(desk, user, _figures(desk), _tasks(desk))
    assert Submission.objects.count() == 4 and TaskReport.objects.count() == 17
    # the whole quarter adds one INSERT and one history INSERT for its task reports, not one per row
    assert whole == one + 2


def test_it_updates_one_row_or_the_whole_quarter_in_the_same_number_of_queries(desk, user):
    _save(desk, user, _figures(desk), _tasks(desk))
    one = _save(desk, user, _figures(desk, value="90"), _tasks(desk))  # one figure changed, the rest resent
    whole = _save(desk, user, _figures(desk, value="91"), _tasks(desk, text=PROGRESS + "（更新）"))
    assert whole == one + 3  # the task reports' claim, UPDATE and history INSERT
    row = Submission.objects.get(unit=desk.unit_a, indicator=desk.stock)
    assert (row.value, row.version) == (D(91), 3)
    assert row.history.count() == 3
    assert {r.version for r in TaskReport.objects.filter(unit=desk.unit_a)} == {2}


def test_only_changed_rows_are_written(desk, user):
    _save(desk, user, _figures(desk), _tasks(desk))
    _save(desk, user, _figures(desk, value="90"), _tasks(desk))
    versions = dict(Submission.objects.values_list("indicator_id", "version"))
    assert versions.pop(desk.stock.pk) == 2 and set(versions.values()) == {1}
    assert {row.version for row in TaskReport.objects.all()} == {1}
    assert TaskReport.history.count() == 17


def test_a_submit_costs_the_same_queries_for_two_rows_or_the_whole_quarter(
    desk, user, django_assert_max_num_queries
):
    task = unit_tasks(desk.unit_a, desk.period.year)[0]
    small = factories.UnitFactory(name="测试单行单位")
    factories.AssignmentFactory(indicator=desk.count, unit=small)
    factories.TaskUnitFactory(task=task, unit=small, role="co", position=9)
    small_user = factories.UserFactory(role="reporter", unit=small, username="one-row")
    with CaptureQueriesContext(connection) as queries:
        quarter_save(
            unit=small, period=desk.period, figures=[FigureInput(desk.count.pk, Figure(value=D(3)))],
            tasks=[ProgressInput(task.pk, "in_progress", progress=PROGRESS)], by=small_user, submit=True,
            today=desk.today,
        )  # fmt: skip
    # 4 figures and 17 task reports created and submitted in one save: what one figure and one task cost
    figures, tasks = _figures(desk), _tasks(desk)
    with django_assert_max_num_queries(len(queries)):
        result = quarter_save(
            unit=desk.unit_a, period=desk.period, figures=figures, tasks=tasks, by=user,
            submit=True, today=desk.today,
        )  # fmt: skip
    assert (result.submitted.figures, result.submitted.tasks) == (4, 17)
    assert set(Submission.objects.filter(unit=desk.unit_a).values_list("state", flat=True)) == {
        ReviewState.SUBMITTED
    }
    assert TaskReport.history.filter(unit=desk.unit_a, history_change_reason="报送").count() == 17


def test_a_stale_version_in_a_bulk_save_is_a_conflict_and_writes_nothing(desk, user):
    """The all-or-nothing save (the API, the Excel import): one stale row refuses the whole batch."""
    from audit.services import Conflict
    from reporting.services.entry import figures_save

    _save(desk, user, _figures(desk), _tasks(desk))
    stale = _figures(desk, value="95")
    Submission.objects.filter(unit=desk.unit_a, indicator=desk.stock).update(version=7)
    with pytest.raises(Conflict, match="已被他人"):
        figures_save(unit=desk.unit_a, period=desk.period, inputs=stale, by=user, today=desk.today)
    assert Submission.objects.get(unit=desk.unit_a, indicator=desk.stock).value == D("88.12")


def test_a_stale_row_on_the_page_is_its_own_conflict_and_the_rest_is_written(desk, user):
    """The reporting page: the batch meets the stale row, rolls back, and writes each row on its own."""
    _save(desk, user, _figures(desk), _tasks(desk))
    stale = _figures(desk, value="95")
    Submission.objects.filter(unit=desk.unit_a, indicator=desk.stock).update(version=7)
    saved = quarter_save(
        unit=desk.unit_a, period=desk.period, figures=stale, tasks=_tasks(desk, text="仍然写入"), by=user,
        today=desk.today,
    )  # fmt: skip
    assert list(saved.conflicts) == [f"indicator-{desk.stock.pk}"]
    assert Submission.objects.get(unit=desk.unit_a, indicator=desk.stock).value == D("88.12")
    assert TaskReport.objects.filter(unit=desk.unit_a, progress="仍然写入").count() == len(_tasks(desk))
