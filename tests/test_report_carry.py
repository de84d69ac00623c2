"""沿用上季度 on 本季度填报: last quarter's task progress copied into this quarter's drafts, per task and for
all tasks, without JavaScript, never over what the reporter wrote unless asked, audited, only its own."""

from __future__ import annotations

import datetime

import pytest

from reporting.models import TaskReport
from reporting.services.carry import task_reports_carry
from tests import factories
from tests.page import seen
from tests.quarter import quarter_post

Q4 = "/report/?period=2026-4"
LAST = {
    "status": "in_progress",
    "progress": "召开推进会3次",
    "problems": "经费不足",
    "next_steps": "争取专项资金",
}


def last_quarter(desk, task, **values):
    return factories.TaskReportFactory(
        task=task, unit=desk.unit_a, period=factories.PeriodFactory(year=2026, quarter=3), state="approved",
        submitted_at=datetime.datetime(2026, 10, 8, tzinfo=datetime.UTC),
        **(LAST | values),
    )  # fmt: skip


@pytest.fixture
def tasks(desk):
    return list(desk.unit_a.tasks.order_by("pk")[:3])


def test_it_copies_one_tasks_last_quarter_into_a_draft_and_keeps_what_was_typed(
    reporter_a_client, desk, tasks
):
    first, second = tasks[:2]
    last_quarter(desk, first)
    last_quarter(desk, second, progress="完成专利导航项目")
    data = quarter_post(desk.unit_a, desk.period, desk.today, figures={desk.stock: {"value": "88"}})
    data.pop("action")
    data.update(
        {"carry": str(first.pk), f"task-{second.pk}-status": "done", f"task-{second.pk}-progress": "新写的"}
    )
    response = reporter_a_client.post(Q4, data)
    assert response.status_code == 302 and response["Location"] == f"{Q4}#task-{first.pk}"
    copied = TaskReport.objects.get(task=first, period=desk.period)
    assert (copied.state, copied.status, copied.progress, copied.problems, copied.next_steps) == (
        "draft", "in_progress", "召开推进会3次", "经费不足", "争取专项资金",
    )  # fmt: skip
    assert copied.history.get().history_change_reason == "沿用2026年第三季度内容"  # audited like a save
    typed = TaskReport.objects.get(task=second, period=desk.period)  # the page's typing saved first, kept
    assert (typed.status, typed.progress) == ("done", "新写的")
    assert desk.stock.submissions.get(period=desk.period).value == 88
    page = seen(reporter_a_client.get(Q4))
    assert "已沿用2026年第三季度的进展填入1项任务的本季度草稿" in page.text
    assert page.fields()[f"task-{first.pk}-progress"] == "召开推进会3次"


def test_all_tasks_fill_only_what_is_empty_unless_asked_to_overwrite(reporter_a_client, desk, tasks):
    first, second, third = tasks
    last_quarter(desk, first)
    last_quarter(desk, second)
    data = quarter_post(desk.unit_a, desk.period, desk.today)
    data.pop("action")
    data.update(
        {"carry": "all", f"task-{first.pk}-status": "done", f"task-{first.pk}-progress": "本季度已写"}
    )
    assert reporter_a_client.post(Q4, data).status_code == 302
    mine = TaskReport.objects.get(task=first, period=desk.period)
    # The text written here stays; the empty ones are filled; the status the reporter chose stays.
    assert (mine.status, mine.progress, mine.problems, mine.next_steps) == (
        "done",
        "本季度已写",
        "经费不足",
        "争取专项资金",
    )
    assert TaskReport.objects.get(task=second, period=desk.period).progress == "召开推进会3次"
    assert not TaskReport.objects.filter(task=third, period=desk.period).exists()  # nothing to copy from
    page = seen(reporter_a_client.get(Q4))
    assert "已沿用2026年第三季度的进展填入2项任务" in page.text
    [skipped] = [li.text for li in page.find_all("li") if "未沿用" in li.text]  # one line for all such tasks
    assert skipped.endswith("未沿用：以前季度没有该任务的进展可沿用。") and f"任务“{third.title}”" in skipped
    assert skipped.count("任务“") == 15

    data = {**page.fields(), "carry": "all", "carry_overwrite": "1"}
    data.pop("action")
    assert reporter_a_client.post(Q4, data).status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.progress) == ("in_progress", "召开推进会3次")  # replaced, as asked


def test_it_says_so_when_everything_is_written_already(reporter_a_client, desk, tasks):
    last_quarter(desk, tasks[0])
    data = quarter_post(desk.unit_a, desk.period, desk.today)
    data.pop("action")
    key = f"task-{tasks[0].pk}"
    data.update({"carry": str(tasks[0].pk), f"{key}-status": "done", f"{key}-progress": "甲"})
    data.update({f"{key}-problems": "乙", f"{key}-next_steps": "丙"})
    reporter_a_client.post(Q4, data)
    assert "1项任务本季度已填写，未覆盖" in seen(reporter_a_client.get(Q4)).text
    assert TaskReport.objects.get(task=tasks[0], period=desk.period).progress == "甲"


def test_a_submitted_report_is_not_copied_into(desk, reporter_a, tasks):
    last_quarter(desk, tasks[0])
    sent = factories.TaskReportFactory(
        task=tasks[0], unit=desk.unit_a, period=desk.period, state="submitted", progress="已报送的",
        submitted_at=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC),
    )  # fmt: skip
    carried = task_reports_carry(
        unit=desk.unit_a, period=desk.period, tasks=[tasks[0].pk], by=reporter_a, today=desk.today,
        overwrite=True,
    )  # fmt: skip
    assert carried.skipped == {f"task-{tasks[0].pk}": "本季度进展已报送，不能修改。"} and not carried.copied
    sent.refresh_from_db()
    assert sent.progress == "已报送的" and sent.version == 1


def test_the_buttons_show_where_there_is_something_to_copy(reporter_a_client, desk, tasks):
    page = seen(reporter_a_client.get(Q4))
    assert "全部任务沿用上季度" not in page.text
    last_quarter(desk, tasks[0])
    page = seen(reporter_a_client.get(Q4))
    assert "全部任务沿用上季度" in page.text and "覆盖本季度已填写的内容" in page.text
    buttons = [b for b in page.find_all("button") if b.attrs.get("name") == "carry"]
    assert {b.attrs["value"] for b in buttons} == {"all", str(tasks[0].pk)}
    assert "沿用2026年第三季度" in page.text


def test_another_units_task_is_a_404_and_changes_nothing(reporter_a_client, desk):
    other = factories.TaskFactory()
    data = quarter_post(desk.unit_a, desk.period, desk.today)
    data.pop("action")
    data["carry"] = str(other.pk)
    assert reporter_a_client.post(Q4, data).status_code == 404
    data["carry"] = "abc"
    assert reporter_a_client.post(Q4, data).status_code == 404
    assert not TaskReport.objects.exists()


def test_the_service_refuses_a_task_that_is_not_the_units(desk, reporter_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="不是该任务的责任单位"):
        task_reports_carry(
            unit=desk.unit_a, period=desk.period, tasks=[factories.TaskFactory().pk], by=reporter_a,
            today=desk.today,
        )  # fmt: skip
    assert not TaskReport.objects.exists()


def test_only_reporters_may_carry(client, desk, reviewer, leader):
    for user in (reviewer, leader):
        client.force_login(user)
        assert client.post(Q4, {"carry": "all"}).status_code == 403
    assert not TaskReport.objects.exists()
