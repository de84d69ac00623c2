"""manage.py demo_data: accounts for every role, assignments, populations, synthetic quarters, all demo."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import User
from devdata.demo import demo_load
from indicators.models import Assignment, Population
from plans.models import TaskUnit
from reporting.models import Submission, TaskReport


@pytest.fixture
def demo(plans):
    return demo_load()


def test_it_creates_an_account_for_every_role(demo):
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {"reporter", "reviewer", "leader", "admin"}
    reporters = User.objects.filter(role="reporter")
    assert reporters.filter(unit__region__code="quanzhou").count() >= 5
    assert reporters.filter(unit__region__code="zhenjiang-edz").count() >= 3
    assert User.objects.get(username="office").check_password("ipcity2026")


def test_every_demo_value_is_marked_as_demo(demo):
    assert demo.submissions > 300 and demo.task_reports > 900
    assert not Submission.objects.filter(is_demo=False).exists()
    assert not TaskReport.objects.filter(is_demo=False).exists()
    assert Population.objects.exists() and not Population.objects.filter(is_demo=False).exists()
    assert set(Submission.history.values_list("history_change_reason", flat=True)) == {"演示数据"}


def test_it_covers_2024_q1_to_2026_q3_with_late_returned_and_missing_reports(demo):
    quarters = set(Submission.objects.values_list("period__year", "period__quarter"))
    assert min(quarters) == (2024, 1) and max(quarters) == (2026, 3) and len(quarters) == 11
    assert Submission.objects.filter(is_late=True).exists()
    returned = Submission.objects.get(state="returned")
    assert returned.return_reason and (returned.period.year, returned.period.quarter) == (2026, 3)
    assert Submission.objects.filter(state="submitted", period__year=2026, period__quarter=3).exists()
    missing = Submission.objects.filter(unit__name="中国人民银行泉州市分行")
    assert missing.filter(period__year=2026, period__quarter=2).exists()
    assert not missing.filter(period__year=2026, period__quarter=3).exists()


def test_every_reported_figure_obeys_the_rules(demo):
    from indicators.measures import figure_errors
    from reporting.services.entry import _figure_of

    for row in Submission.objects.select_related("indicator"):
        assert figure_errors(row.indicator, _figure_of(row)) == [], row


def test_it_reports_per_capita_indicators_as_whole_counts(demo):
    counts = Submission.objects.filter(indicator__measure="per_capita").values_list("value", flat=True)
    assert counts and all(value == value.to_integral_value() for value in counts)


def test_it_assigns_units_to_zhenjiang_tasks_and_indicators_as_the_office_would(demo, zhenjiang):
    assert TaskUnit.objects.filter(task__section__plan=zhenjiang, role="lead").count() == 17
    assert Assignment.objects.filter(indicator__plan=zhenjiang).exists()
    assert not Assignment.objects.filter(indicator__computed_from__isnull=False).exists()


def test_it_is_idempotent(plans, capsys):
    call_command("demo_data")
    counts = (
        Submission.objects.count(),
        TaskReport.objects.count(),
        User.objects.count(),
        Assignment.objects.count(),
    )
    call_command("demo_data")
    assert (
        Submission.objects.count(),
        TaskReport.objects.count(),
        User.objects.count(),
        Assignment.objects.count(),
    ) == counts
    out = capsys.readouterr().out
    assert "演示填报已存在" in out and "qz-zscqj" in out and "ipcity2026" in out


def test_it_opens_only_the_quarters_of_the_plans_years(demo):
    from reporting.models import Period

    assert sorted(set(Period.objects.values_list("year", flat=True))) == [2024, 2025, 2026]


def test_its_task_texts_read_like_a_unit_wrote_them(demo):
    texts = list(TaskReport.objects.values_list("status", "progress", "next_steps"))
    assert not any("推进推进" in progress for _, progress, _ in texts)
    done = [next_steps for status, _, next_steps in texts if status == TaskReport.Status.DONE]
    assert done and not any("加快" in next_steps for next_steps in done)


def test_it_shows_supervision_items_and_instructions_once(demo):
    """One 督办 waiting for 市知识产权局, one answered by the bank that missed 2026 Q3, two 批示; a second
    run finds them by their natural keys and adds none."""
    from supervision.models import Instruction, SupervisionItem

    items = {item.lead_unit.name: item for item in SupervisionItem.objects.select_related("lead_unit")}
    assert items["市知识产权局"].state == "issued" and items["市知识产权局"].indicator.code == "trademarks"
    assert (
        items["中国人民银行泉州市分行"].state == "answered"
        and items["中国人民银行泉州市分行"].responses.count() == 1
    )
    assert Instruction.objects.count() == 2
    demo_load()
    assert (SupervisionItem.objects.count(), Instruction.objects.count()) == (2, 2)
