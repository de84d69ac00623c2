"""The office's settings: periods (/office/periods/…) with due and lock dates and exceptions, and the
reporting assignments (/office/assignments/…) of indicators and of tasks whose document names no unit."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from indicators.models import Assignment, Indicator
from indicators.services import assignments_set
from plans.models import Task, TaskUnit, Unit
from plans.services import task_units_set
from reporting.models import Period, PeriodException
from reporting.services.calendar import period_update
from tests.page import seen

PERIOD = "/office/periods/2026-4/"


def test_the_periods_list_shows_dates_and_exceptions(reviewer_client, desk, reviewer):
    PeriodException.objects.create(
        period=desk.locked,
        unit=desk.unit_b,
        until=datetime.date(2026, 11, 30),
        reason="补报",
        granted_by=reviewer,
    )
    html = reviewer_client.get("/office/periods/").content.decode()
    assert "2026年第四季度" in html and "2027年1月10日" in html and "填报中" in html
    assert "市科技局 至11月30日" in html


def test_the_office_moves_the_due_and_lock_dates_with_a_reason(reviewer_client, desk, reviewer):
    data = {"form": "dates", "due_on": "2027-01-15", "locks_on": "2027-02-05", "reason": "春节假期顺延"}
    assert reviewer_client.post(PERIOD, data).status_code == 302
    period = Period.objects.get(pk=desk.period.pk)
    assert (period.due_on, period.locks_on) == (datetime.date(2027, 1, 15), datetime.date(2027, 2, 5))
    record = period.history.first()
    assert (record.history_user, record.history_change_reason) == (reviewer, "调整填报期：春节假期顺延")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"due_on": "2027-01-15", "locks_on": "2027-01-12", "reason": "x"}, "锁定日期不能早于截止日期"),
        ({"due_on": "2026-09-01", "locks_on": "2027-01-12", "reason": "x"}, "截止日期不能早于开始填报日期"),
        ({"due_on": "2027-01-15", "locks_on": "2027-02-05", "reason": ""}, "该字段是必填项"),
        ({"due_on": "明天", "locks_on": "2027-02-05", "reason": "x"}, "输入一个有效的日期"),
    ],
)
def test_bad_dates_are_refused_in_chinese_and_change_nothing(reviewer_client, desk, data, message):
    html = reviewer_client.post(PERIOD, {"form": "dates", **data}).content.decode()
    assert message in html
    assert Period.objects.get(pk=desk.period.pk).due_on == datetime.date(2027, 1, 10)


def test_the_office_grants_a_unit_an_exception_to_a_locked_period(reviewer_client, desk):
    data = {"form": "exception", "unit": desk.unit_b.pk, "until": "2026-11-30", "reason": "系统故障未能报送"}
    assert reviewer_client.post("/office/periods/2026-3/", data).status_code == 302
    exception = PeriodException.objects.get()
    assert (exception.unit, exception.until) == (desk.unit_b, datetime.date(2026, 11, 30))
    data["until"] = "2026-10-01"
    assert (
        "开放日期应晚于该期锁定日期" in reviewer_client.post("/office/periods/2026-3/", data).content.decode()
    )


def test_period_update_is_for_reviewers_only(desk, reporter_a):
    with pytest.raises(PermissionDenied):
        period_update(
            period=desk.period,
            due_on=desk.period.due_on,
            locks_on=desk.period.locks_on,
            by=reporter_a,
            reason="x",
        )


def test_the_assignments_page_lists_indicators_and_task_units(reviewer_client, desk):
    shown = seen(reviewer_client.get("/office/assignments/")).text
    assert "商标有效注册量" in shown and "市知识产权局牵头" in shown and "以原文为准" in shown
    html = reviewer_client.get("/office/assignments/?plan=zhenjiang-edz-2024-2026").content.decode()
    assert "未指定" in html and "数据取自" in html  # Zhenjiang's tasks name no unit; a computed indicator


def test_the_office_sets_who_reports_an_indicator(reviewer_client, desk, reviewer):
    indicator = Indicator.objects.get(code="service-outlets")
    jinjiang = Unit.objects.get(name="晋江市人民政府")
    url = f"/office/assignments/indicator/{indicator.pk}/"
    assert "市知识产权局" in reviewer_client.get(url).content.decode()
    data = {"units": [desk.unit_a.pk, jinjiang.pk], "lead": desk.unit_a.pk, "reason": "按部门职责分工"}
    assert reviewer_client.post(url, data).status_code == 302
    rows = {row.unit: row.is_lead for row in Assignment.objects.filter(indicator=indicator)}
    assert rows == {desk.unit_a: True, jinjiang: False}
    record = Assignment.history.filter(indicator_id=indicator.pk).first()
    assert (record.history_user, record.history_change_reason) == (reviewer, "调整填报分工：按部门职责分工")

    data = {"units": [jinjiang.pk], "lead": jinjiang.pk, "reason": "改由晋江市填报"}
    reviewer_client.post(url, data)
    assert list(Assignment.objects.filter(indicator=indicator).values_list("unit", "is_lead")) == [
        (jinjiang.pk, True)
    ]
    assert Assignment.history.filter(indicator_id=indicator.pk, history_type="-").exists()


def test_assignments_need_a_reason_and_a_lead_among_the_units(reviewer_client, desk):
    indicator = Indicator.objects.get(code="service-outlets")
    url = f"/office/assignments/indicator/{indicator.pk}/"
    assert "请填写调整原因" in reviewer_client.post(url, {"units": [desk.unit_a.pk]}).content.decode()
    html = reviewer_client.post(
        url, {"units": [desk.unit_a.pk], "lead": desk.unit_b.pk, "reason": "x"}
    ).content
    assert "牵头单位须是所选填报单位之一" in html.decode()
    assert not Assignment.objects.filter(indicator=indicator).exists()


def test_groups_and_computed_indicators_take_no_assignment(desk, reviewer):
    group = Unit.objects.get(kind="group")
    with pytest.raises(ValidationError, match="单位组不能作为填报单位"):
        assignments_set(indicator=desk.count, units=[group], lead=None, by=reviewer, reason="x")
    computed = Indicator.objects.get(code="enforcement-actions-total")
    with pytest.raises(ValidationError, match="数据取自其他指标"):
        assignments_set(indicator=computed, units=[desk.unit_a], lead=None, by=reviewer, reason="x")


@pytest.fixture
def zj_task(zhenjiang):
    """A Zhenjiang task: the document names no unit for it."""
    return Task.objects.get(section__plan=zhenjiang, number=1)


@pytest.fixture
def zj_units(zhenjiang):
    return [
        Unit.objects.create(region=zhenjiang.region, name=name)
        for name in ("经开区市场局", "经开区工信局", "大港街道")
    ]


def test_the_office_names_and_reorders_the_units_of_a_task_the_document_leaves_open(
    reviewer_client, zj_task, zj_units, reviewer
):
    market, industry, street = zj_units
    url = f"/office/assignments/task/{zj_task.pk}/"
    assert "文件未列明该任务的责任单位" in reviewer_client.get(url).content.decode()
    data = {f"order-{market.pk}": "1", f"order-{industry.pk}": "2", "reason": "按职责分工"}
    assert reviewer_client.post(url, data).status_code == 302
    assert list(zj_task.task_units.values_list("unit__name", "role")) == [
        ("经开区市场局", "lead"),
        ("经开区工信局", "co"),
    ]

    data = {
        f"order-{industry.pk}": "1",
        f"order-{street.pk}": "2",
        f"order-{market.pk}": "3",
        "reason": "调整牵头",
    }
    reviewer_client.post(url, data)
    assert list(zj_task.task_units.values_list("unit__name", "role", "position")) == [
        ("经开区工信局", "lead", 0), ("大港街道", "co", 1), ("经开区市场局", "co", 2),
    ]  # fmt: skip
    record = TaskUnit.history.filter(task_id=zj_task.pk).first()
    assert (record.history_user, record.history_change_reason) == (reviewer, "调整任务分工：调整牵头")


@pytest.mark.parametrize(
    ("orders", "message"),
    [(["1", "1"], "排序数字不能重复"), (["1", "甲"], "从1开始的整数"), (["0", "1"], "从1开始的整数")],
)
def test_bad_task_unit_orders_are_refused(reviewer_client, zj_task, zj_units, orders, message):
    data = {f"order-{unit.pk}": order for unit, order in zip(zj_units, orders, strict=False)} | {
        "reason": "x"
    }
    assert message in reviewer_client.post(f"/office/assignments/task/{zj_task.pk}/", data).content.decode()
    assert not zj_task.task_units.exists()


def test_a_task_whose_document_lists_its_units_keeps_them(reviewer_client, quanzhou, reviewer, desk):
    task = Task.objects.filter(section__plan=quanzhou).first()
    assert reviewer_client.get(f"/office/assignments/task/{task.pk}/").status_code == 404
    with pytest.raises(ValidationError, match="由文件原文列明"):
        task_units_set(task=task, units=[desk.unit_b], by=reviewer, reason="x")


@pytest.mark.parametrize(
    "path",
    ["/office/periods/", PERIOD, "/office/assignments/", "/office/assignments/indicator/1/",
     "/office/assignments/task/1/"],
)  # fmt: skip
def test_only_the_office_manages_periods_and_assignments(client, desk, reporter_a, leader, path):
    for user in (reporter_a, leader):
        client.force_login(user)
        assert client.get(path).status_code == 403
        assert client.post(path, {"form": "dates"}).status_code == 403


def test_the_office_pages_read_few_queries(reviewer_client, desk, django_assert_max_num_queries):
    for path, most in (("/office/periods/", 5), ("/office/assignments/", 8), (PERIOD, 6)):
        with django_assert_max_num_queries(most):
            assert reviewer_client.get(path).status_code == 200
