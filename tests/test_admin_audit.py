"""Changes made in the Django admin are audited like any other: the admin user, a reason typed into the
required 修改原因 field, old and new values; an approved figure changed there is rolled up again."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from indicators import admin as indicators_admin
from indicators.models import Assignment, Target
from reporting import admin as reporting_admin
from reporting.models import Submission
from tests import factories

D = Decimal
SENT = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)


def form_data(response) -> dict:
    """What the admin change page would post back unchanged: its form's and its inlines' current values."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None:
                data[form.add_prefix(name)] = value
    return data


@pytest.fixture
def rollups(monkeypatch):
    scheduled = []
    for module in (indicators_admin, reporting_admin):
        monkeypatch.setattr(module, "rollup_schedule", lambda **key: scheduled.append(key))
    return scheduled


@pytest.fixture
def approved(desk, reviewer):
    return factories.SubmissionFactory(
        indicator=desk.count, unit=desk.unit_a, period=desk.period, value=D(70), state="approved",
        submitted_at=SENT, reviewed_by=reviewer,
    )  # fmt: skip


def change(client, row, **changes):
    url = f"/admin/{row._meta.app_label}/{row._meta.model_name}/{row.pk}/change/"
    data = form_data(client.get(url))
    data.update(changes)
    return client.post(url, data)


def test_an_approved_figure_changed_in_the_admin_is_audited_and_rolled_up(
    admin_client_, approved, admin_user, rollups
):
    response = change(admin_client_, approved, value="72", change_reason="统计局更正年报数据")
    assert response.status_code == 302
    row = Submission.objects.get()
    assert (row.value, row.version, row.state) == (D(72), 2, "approved")
    newest, before = row.history.order_by("-history_id")[:2]
    assert (newest.history_user, newest.history_change_reason) == (
        admin_user,
        "管理后台修改：统计局更正年报数据",
    )
    changes = newest.diff_against(before, included_fields=["value"]).changes
    assert [(c.field, c.old, c.new) for c in changes] == [("value", D(70), D(72))]
    assert rollups == [{"indicator_id": row.indicator_id, "year": 2026, "unit_id": row.unit_id}]


def test_the_reason_is_required(admin_client_, approved):
    response = change(admin_client_, approved, value="72", change_reason="")
    assert response.status_code == 200 and "该字段是必填项" in response.content.decode()
    assert Submission.objects.get().value == D(70)


@pytest.mark.parametrize(("value", "message"), [("-1", "不能为负数"), ("70.5", "应为整数")])
def test_the_admin_obeys_the_figure_rules(admin_client_, approved, value, message):
    response = change(admin_client_, approved, value=value, change_reason="x")
    assert message in response.content.decode()
    assert Submission.objects.get().value == D(70)


def test_a_stale_admin_form_does_not_overwrite_a_newer_change(admin_client_, approved, reporter_a):
    url = f"/admin/reporting/submission/{approved.pk}/change/"
    data = form_data(admin_client_.get(url))
    Submission.objects.filter(pk=approved.pk).update(version=5, value=D(71))
    data.update(value="72", change_reason="更正")
    assert "已被他人修改" in admin_client_.post(url, data).content.decode()
    assert Submission.objects.get().value == D(71)


def test_the_admin_corrects_content_never_the_review_state(admin_client_, approved):
    change(admin_client_, approved, state="draft", change_reason="x")
    assert Submission.objects.get().state == "approved"
    assert admin_client_.get("/admin/reporting/submission/add/").status_code == 403
    assert admin_client_.get(f"/admin/reporting/submission/{approved.pk}/delete/").status_code == 403


def test_a_task_report_changed_in_the_admin_is_audited(admin_client_, desk, admin_user):
    report = factories.TaskReportFactory(task=desk.unit_a.tasks.first(), unit=desk.unit_a, period=desk.period)
    change(admin_client_, report, progress="更正后的进展", change_reason="错别字")
    record = report.history.order_by("-history_id").first()
    assert (record.progress, record.history_user, record.history_change_reason) == (
        "更正后的进展", admin_user, "管理后台修改：错别字",
    )  # fmt: skip


def test_a_target_changed_in_the_admin_is_audited_and_rolled_up(admin_client_, desk, admin_user, rollups):
    target = Target.objects.get(indicator=desk.stock, year=2026)
    change(admin_client_, target, min="90", origin="office", change_reason="市政府调高目标")
    target.refresh_from_db()
    assert target.min == D(90)
    assert (
        target.history.order_by("-history_id").first().history_change_reason == "管理后台修改：市政府调高目标"
    )
    assert rollups == [{"indicator_id": desk.stock.pk, "year": 2026}]


def test_an_assignment_removed_through_its_indicator_is_audited(admin_client_, desk, admin_user):
    url = f"/admin/indicators/indicator/{desk.count.pk}/change/"
    data = form_data(admin_client_.get(url))
    prefix = "assignments"
    index = next(
        i for i in range(int(data[f"{prefix}-TOTAL_FORMS"])) if data[f"{prefix}-{i}-unit"] == desk.unit_b.pk
    )
    data.update({f"{prefix}-{index}-DELETE": "on", "change_reason": "市科技局不再填报"})
    assert admin_client_.post(url, data).status_code == 302
    assert not Assignment.objects.filter(indicator=desk.count, unit=desk.unit_b).exists()
    record = Assignment.history.get(history_type="-")
    assert (record.history_user, record.history_change_reason) == (
        admin_user,
        "管理后台修改：市科技局不再填报",
    )


def test_the_bulk_approval_goes_through_the_review_service(admin_client_, desk, admin_user):
    rows = [
        factories.SubmissionFactory(
            indicator=indicator, unit=desk.unit_a, period=desk.period, state="submitted", submitted_at=SENT
        )
        for indicator in (desk.stock, desk.count)
    ]
    draft = factories.SubmissionFactory(indicator=desk.milestone, unit=desk.unit_a, period=desk.period)
    response = admin_client_.post(
        "/admin/reporting/submission/",
        {"action": "approve_selected", "_selected_action": [row.pk for row in [*rows, draft]]},
        follow=True,
    )
    assert "已审核通过2项，1项未处理" in response.content.decode()
    for row in rows:
        record = Submission.objects.get(pk=row.pk).history.order_by("-history_id").first()
        assert (record.state, record.history_user, record.history_change_reason) == (
            "approved", admin_user, "审核通过",
        )  # fmt: skip
    assert Submission.objects.get(pk=draft.pk).state == "draft"
