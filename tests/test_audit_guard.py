"""The audit trail is append-only in the database: no UPDATE, DELETE or TRUNCATE of a history record from any
code path, every history table guarded, users in the trail kept, history never reverted through the admin;
the 审计记录 admin page reads the whole trail and writes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from simple_history.admin import SimpleHistoryAdmin

from audit.admin import HistoryAdmin
from audit.guard import REFUSAL, guarded_tables, history_models
from indicators.measures import Figure
from reporting.models import Submission
from reporting.services.calendar import period_update
from reporting.services.entry import FigureInput, figures_save
from tests import factories

SENT = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)


def refused(action) -> str:
    """Run `action` in its own savepoint; return the database's message, or fail if it was allowed."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        action()
    return str(caught.value)


@pytest.fixture
def stamped(desk, reporter_a):
    """A figure whose one history record names reporter_a."""
    row = factories.SubmissionFactory.build(
        indicator=desk.count, unit=desk.unit_a, period=desk.period, value=D(3)
    )
    row._history_user, row._change_reason = reporter_a, "新建草稿"
    row.save()
    return row


def test_it_guards_every_history_table(db):
    expected = {"UPDATE", "DELETE"} | ({"TRUNCATE"} if connection.vendor == "postgresql" else set())
    guarded = guarded_tables(connection)
    tables = [model._meta.db_table for model in history_models()]
    # every model carrying figures, targets, assignments, calendars, evidence, plan-document drafts, bulletin
    # releases, the office's 公文 settings and wording; regions, units, plans, sections, tasks, users; login
    # unlocks; the office's 催报 (reminders) and 目标考核 weights; 批示, 督办事项, their answers and evidence;
    # the group-robot settings
    assert len(tables) == 28
    for table in tables:
        assert guarded.get(table) == expected, table


@pytest.mark.parametrize(
    "tamper",
    [
        lambda row: row.history.update(value=D(300)),
        lambda row: row.history.update(history_change_reason="无"),
        lambda row: row.history.first().delete(),
        lambda row: row.history.all().delete(),
        lambda row: Submission.history.model.objects.filter(id=row.pk).update(history_user=None),
    ],
    ids=["value", "reason", "one-record", "all-records", "user"],
)
def test_no_code_path_can_rewrite_or_remove_a_record(stamped, tamper):
    assert REFUSAL in refused(lambda: tamper(stamped))
    record = stamped.history.get()
    assert (record.value, record.history_change_reason, record.history_user.username) == (
        D(3), "新建草稿", "reporter_a",
    )  # fmt: skip


def test_raw_sql_is_refused_too(stamped):
    table = Submission.history.model._meta.db_table

    def run(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)

    assert REFUSAL in refused(lambda: run(f'UPDATE "{table}" SET value = 0'))  # noqa: S608
    assert REFUSAL in refused(lambda: run(f'DELETE FROM "{table}"'))  # noqa: S608
    if connection.vendor == "postgresql":
        run("SET CONSTRAINTS ALL IMMEDIATE")  # PostgreSQL will not truncate under pending deferred checks
        assert REFUSAL in refused(lambda: run(f'TRUNCATE "{table}"'))
    assert stamped.history.count() == 1


def test_a_flush_outside_the_test_settings_is_refused_whole(stamped, settings):
    settings.AUDIT_ALLOW_FLUSH = False
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as outside a test's transaction
    with pytest.raises(CommandError) as caught, transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
    assert REFUSAL in str(caught.value.__cause__)
    assert Submission.objects.filter(pk=stamped.pk).exists()
    assert stamped.history.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's session settings and roles")
def test_no_session_setting_the_application_can_set_lets_it_delete_history(stamped):
    """Issue 17, finding 6: `SET ipcity.audit_purge = 'on'` (any role may set a custom setting) once switched
    the guard off. Now the triggers refuse whatever the session sets; the one way round them, for the
    test suite's flush, is session_replication_role, which only a superuser may set, not the app's role."""
    table = Submission.history.model._meta.db_table

    def run(*statements):
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    run("SET CONSTRAINTS ALL IMMEDIATE")
    for setting in ("SET ipcity.audit_purge = 'on'", "SET LOCAL ipcity.audit_purge = 'on'"):
        assert REFUSAL in refused(lambda setting=setting: run(setting, f'DELETE FROM "{table}"'))  # noqa: S608
        assert REFUSAL in refused(lambda setting=setting: run(setting, f'TRUNCATE "{table}"'))
    run("RESET ipcity.audit_purge")
    # The application's role (not a superuser, as README 安全 asks) cannot switch the triggers off either.
    app_role = f"ipcity_app_{connection.settings_dict['NAME']}"[:60]
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        run(
            f'CREATE ROLE "{app_role}" NOSUPERUSER NOLOGIN',
            f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON "{table}" TO "{app_role}"',
            f'SET LOCAL ROLE "{app_role}"',
            "SET LOCAL session_replication_role = replica",
        )
    assert "session_replication_role" in str(caught.value)
    assert stamped.history.count() == 1


def test_a_user_in_the_trail_cannot_be_deleted_only_deactivated(stamped, reporter_a, admin_client_):
    assert REFUSAL in refused(reporter_a.delete)
    assert stamped.history.get().history_user_id == reporter_a.pk
    assert admin_client_.get(f"/admin/accounts/user/{reporter_a.pk}/delete/").status_code == 403


def test_every_admin_with_history_refuses_reverts(stamped, admin_client_):
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert isinstance(model_admin, HistoryAdmin), model
    record = stamped.history.get()
    url = f"/admin/reporting/submission/{stamped.pk}/history/{record.history_id}/"
    assert admin_client_.get(url).status_code == 200  # the old version may be looked at
    response = admin_client_.post(url, {"value": "999", "note": "", "change_reason": "回退"})
    assert response.status_code == 405
    assert Submission.objects.get(pk=stamped.pk).value == D(3)
    assert stamped.history.count() == 1


# The 审计记录 page ------------------------------------------------------------------------------------------


@pytest.fixture
def trail(desk, reporter_a, reviewer):
    """A figure saved, changed and approved, and a period moved: records in two history tables."""
    row = figures_save(
        unit=desk.unit_a, period=desk.period, by=reporter_a,
        inputs=[FigureInput(desk.count.pk, Figure(value=D(3)))], today=desk.today,
    )[0]  # fmt: skip
    figures_save(
        unit=desk.unit_a, period=desk.period, by=reporter_a, today=desk.today,
        inputs=[FigureInput(desk.count.pk, Figure(value=D(5), note="更正"), row.version)],
    )  # fmt: skip
    period_update(
        period=desk.period, due_on=desk.period.due_on + datetime.timedelta(days=5),
        locks_on=desk.period.locks_on + datetime.timedelta(days=5), by=reviewer, reason="春节顺延",
    )  # fmt: skip
    return row


def test_the_audit_page_shows_who_when_what_old_and_new_and_why(admin_client_, trail, reviewer):
    page = admin_client_.get("/admin/audit/auditrecord/?model=reporting.submission").content.decode()
    assert "数值：3 → 5" in page and "说明：— → 更正" in page and "修改草稿" in page
    assert "reporter_a" in page and "reviewer" in page
    assert "调整填报期" not in page
    periods = admin_client_.get("/admin/audit/auditrecord/?model=reporting.period").content.decode()
    assert "调整填报期：春节顺延" in periods and "截止日期：2027-01-10 → 2027-01-15" in periods
    assert "修改草稿" not in periods
    by_user = admin_client_.get(f"/admin/audit/auditrecord/?history_user__id__exact={reviewer.pk}")
    assert [record.history_change_reason for record in by_user.context["cl"].result_list] == [
        "调整填报期：春节顺延"
    ]


def test_the_audit_page_reads_a_page_in_a_fixed_number_of_queries(
    admin_client_, trail, desk, reporter_a, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30) as few:
        admin_client_.get("/admin/audit/auditrecord/")
    for indicator in (desk.stock, desk.milestone):
        factories.SubmissionFactory(indicator=indicator, unit=desk.unit_a, period=desk.period)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client_.get("/admin/audit/auditrecord/")


def test_the_audit_page_is_read_only_for_everyone(admin_client_, trail):
    record_id = admin_client_.get("/admin/audit/auditrecord/").context["cl"].result_list[0].pk
    assert admin_client_.get("/admin/audit/auditrecord/add/").status_code == 403
    assert admin_client_.post(f"/admin/audit/auditrecord/{record_id}/delete/").status_code == 403
    url = f"/admin/audit/auditrecord/{record_id}/change/"
    assert admin_client_.post(url, {"history_change_reason": "x"}).status_code == 403


def test_leaders_and_reporters_do_not_see_the_audit_page(client, trail, reporter_a):
    leader = factories.UserFactory(role="leader", is_staff=True)
    for user in (leader, reporter_a):
        client.force_login(user)
        assert client.get("/admin/audit/auditrecord/").status_code in (302, 403)


def test_the_office_reads_the_audit_page(client, trail):
    client.force_login(factories.UserFactory(role="reviewer", is_staff=True))
    page = client.get("/admin/audit/auditrecord/?model=reporting.submission").content.decode()
    assert "修改草稿" in page


@pytest.fixture
def unit_recorded(desk):
    """unit_a with a history record under its first name, before the trail's figure is saved."""
    desk.unit_a._change_reason = "核对单位名称"
    desk.unit_a.save()
    return desk.unit_a.name


def test_the_audit_page_names_related_objects_as_they_were(admin_client_, desk, unit_recorded, trail):
    unit_then = unit_recorded
    with time_machine.travel(SENT + datetime.timedelta(days=5), tick=False):
        desk.unit_a.name, desk.unit_a._change_reason = "改名后的单位", "机构改革更名"
        desk.unit_a.save()
    page = admin_client_.get("/admin/audit/auditrecord/?model=reporting.submission").content.decode()
    # the figure was created under the unit's old name: that is what the record says, not its id
    assert f"填报单位：— → {unit_then}" in page
    assert f"指标：— → {desk.count.name}" in page
    assert "改名后的单位" not in page
    assert f"→ {desk.unit_a.pk}<" not in page


def test_the_audit_page_wraps_reasons_and_changes(admin_client_, trail):
    page = admin_client_.get("/admin/audit/auditrecord/").content.decode()
    assert "css/admin-audit.css" in page
    css = admin_client_.get("/static/css/admin-audit.css")
    assert b"td.field-history_change_reason" in b"".join(css.streaming_content)
