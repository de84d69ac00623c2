"""Issue 17, finding 5: units, plans (thresholds included), sections, tasks, task units, regions and users
keep a history with who, when, old and new values and why; the admin asks the reason; 审计记录 shows them; the
tables are append-only like the rest; loading the plans records its own reason."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

from django.contrib.auth import get_user_model
from django.db import connection

from audit.guard import REFUSAL, guarded_tables, history_models
from audit.models import AuditRecord
from audit.selectors import audit_details
from plans.models import Plan, Region, Section, Task, TaskUnit, Unit
from plans.services import LOAD_REASON
from tests.page import seen
from tests.test_admin_audit import form_data
from tests.test_audit_guard import refused

User = get_user_model()
REASON = "办公室核对原文后更正"


def post_change(client, row, **changes):
    """The admin's change form of `row` posted back with `changes` (split date-time fields included)."""
    url = f"/admin/{row._meta.app_label}/{row._meta.model_name}/{row.pk}/change/"
    data = {}
    for name, value in form_data(client.get(url)).items():
        if isinstance(value, datetime.datetime):
            data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
        else:
            data[name] = value
    data.update(changes)
    return client.post(url, data)


def newest_record(row) -> AuditRecord:
    return AuditRecord.objects.filter(model=row._meta.label_lower, object_id=str(row.pk)).first()


def shown_changes(record) -> dict[str, tuple[str, str]]:
    detail = audit_details([record])[record.id]
    return {change.label: (change.old, change.new) for change in detail.changes}


def test_every_new_history_table_is_guarded(db):
    tables = {model._meta.db_table for model in history_models()}
    new = {
        "plans_historicalunit", "plans_historicalplan", "plans_historicalsection", "plans_historicaltask",
        "plans_historicalregion", "accounts_historicaluser",
    }  # fmt: skip
    assert new <= tables
    guarded = guarded_tables(connection)
    for table in new:
        assert {"UPDATE", "DELETE"} <= guarded[table], table


def test_a_unit_renamed_in_the_admin_is_in_the_trail_with_who_old_new_and_why(
    admin_client_, admin_user, unit_a
):
    old_name = unit_a.name
    assert post_change(admin_client_, unit_a, name="改名后的单位", change_reason=REASON).status_code == 302
    record = newest_record(unit_a)
    assert record.history_user == admin_user and record.history_change_reason == f"管理后台修改：{REASON}"
    assert shown_changes(record)["名称"] == (old_name, "改名后的单位")
    page = seen(admin_client_.get("/admin/audit/auditrecord/?model=plans.unit"))
    assert "改名后的单位" in page.text and REASON in page.text


def test_the_admin_asks_a_reason_for_every_one_of_them(admin_client_, unit_a, quanzhou):
    region = quanzhou.region
    for row, change in [
        (unit_a, {"name": "无理由改名"}),
        (quanzhou, {"at_risk_from": "1"}),
        (region, {"name": "无理由地区"}),
        (quanzhou.sections.first(), {"title": "无理由板块"}),
        (Task.objects.filter(section__plan=quanzhou).first(), {"title": "无理由任务"}),
    ]:
        response = post_change(admin_client_, row, change_reason="", **change)
        assert response.status_code == 200 and "该字段是必填项" in response.content.decode(), row
        before = type(row).objects.get(pk=row.pk)
        assert all(str(getattr(before, name)) != value for name, value in change.items())


def test_a_plans_thresholds_changed_in_the_admin_show_old_and_new(admin_client_, quanzhou):
    assert (quanzhou.at_risk_from, quanzhou.behind_from) == (D(10), D(30))
    response = post_change(admin_client_, quanzhou, at_risk_from="1", behind_from="2", change_reason=REASON)
    assert response.status_code == 302
    changes = shown_changes(newest_record(quanzhou))
    assert changes["滞后阈值：预警（百分点）"] == ("10", "1")
    assert changes["滞后阈值：落后（百分点）"] == ("30", "2")


def test_a_reporter_moved_and_made_superuser_is_in_the_trail(admin_client_, admin_user, reporter_a, unit_b):
    response = post_change(
        admin_client_, reporter_a, unit=unit_b.pk, is_superuser="on", is_staff="on", change_reason=REASON
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = newest_record(reporter_a)
    assert record.history_user == admin_user and REASON in record.history_change_reason
    changes = shown_changes(record)
    assert changes["所属单位"] == (reporter_a.unit.name, unit_b.name)  # by name, as the units were named then
    assert changes["超级用户状态"] == ("否", "是") and changes["工作人员状态"] == ("否", "是")
    history = User.history.model
    assert "password" not in {field.name for field in history._meta.fields}  # hashes stay out of the trail


def test_a_user_without_a_reason_is_not_changed(admin_client_, reporter_a):
    response = post_change(admin_client_, reporter_a, is_superuser="on", change_reason=" \u200b")
    assert response.status_code == 200
    reporter_a.refresh_from_db()
    assert not reporter_a.is_superuser


def test_task_units_changed_through_the_task_inline_carry_the_reason(admin_client_, quanzhou):
    task = Task.objects.filter(section__plan=quanzhou, task_units__isnull=False).first()
    url = f"/admin/plans/task/{task.pk}/change/"
    data = form_data(admin_client_.get(url))
    prefix = "task_units"
    first = f"{prefix}-0"
    assert f"{first}-id" in data
    data[f"{first}-DELETE"] = "on"
    data["change_reason"] = "按市政府通知调整分工"
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    record = TaskUnit.history.filter(task_id=task.pk, history_type="-").get()
    assert record.history_change_reason == "管理后台修改：按市政府通知调整分工"


def test_a_login_leaves_no_record_and_a_password_change_one_with_its_reason(client, reporter_a):
    before = reporter_a.history.count()
    assert client.post("/login/", {"username": "reporter_a", "password": "test-pass-123"}).status_code == 302
    assert reporter_a.history.count() == before
    strong = "Zhiquan#2026Q4"
    client.post(
        "/password/", {"old_password": "test-pass-123", "new_password1": strong, "new_password2": strong}
    )
    record = reporter_a.history.order_by("-history_id").first()
    assert record.history_change_reason == "本人修改密码" and record.history_user == reporter_a


def test_loading_the_plans_records_its_reason(quanzhou):
    for row in (
        quanzhou,
        quanzhou.region,
        quanzhou.sections.first(),
        Unit.objects.first(),
        Task.objects.first(),
    ):
        record = row.history.order_by("history_id").first()
        assert record.history_type == "+" and record.history_change_reason == LOAD_REASON, row


def test_the_new_history_is_append_only(quanzhou):
    record = Plan.history.filter(id=quanzhou.pk).first()
    assert REFUSAL in refused(lambda: Plan.history.filter(id=quanzhou.pk).update(behind_from=D(99)))
    assert REFUSAL in refused(lambda: Region.history.all().delete())
    assert REFUSAL in refused(lambda: Section.history.all().delete())
    assert Plan.history.filter(history_id=record.history_id).get().behind_from == record.behind_from
