"""督查督办 (issue 14): 批示 and 督办事项 through their services and pages — who may issue, answer, close and
return; an item moves one step at a time under its lock; every step is audited and tells the people
concerned; another unit's item is a 404; overdue is computed; reminders go once per item, kind and day."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditRecord
from audit.services import Conflict
from indicators.models import Indicator
from notifications.models import Notification
from plans.models import Task
from supervision.models import ItemReminder, SupervisionItem
from supervision.selectors import instructions_visible, items_visible
from supervision.services import (
    About,
    ItemInput,
    instruction_write,
    item_close,
    item_issue,
    item_respond,
    item_return,
    items_remind,
)
from tests import factories
from tests.page import seen

TODAY = datetime.date(2026, 11, 21)
PDF = b"%PDF-1.4\n%test\n"


def pdf(name: str = "落实情况.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture(autouse=True)
def frozen(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(datetime.datetime(2026, 11, 21, 10, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def trademarks(quanzhou):
    return Indicator.objects.get(plan=quanzhou, code="trademarks")


@pytest.fixture
def item(leader, unit_a, unit_b, trademarks, reporter_a, reporter_b):
    return item_issue(
        by=leader,
        data=ItemInput(
            title="推进商标注册量",
            action="制定帮扶措施",
            criteria="提交措施文件",
            deadline=TODAY + datetime.timedelta(days=10),
            lead_unit=unit_a,
            co_units=[unit_b],
            about=About(indicator=trademarks),
        ),
        today=TODAY,
    )


def reasons(row) -> list[str]:
    records = AuditRecord.objects.filter(model=row._meta.label_lower, object_id=str(row.pk))
    return [record.history_change_reason for record in records.order_by("history_date", "history_id")]


# Services --------------------------------------------------------------------------------------------------


def test_it_issues_an_item_audited_and_tells_lead_and_co_units(item, reporter_a, reporter_b, leader):
    assert item.state == SupervisionItem.State.ISSUED and item.version == 1
    assert reasons(item) == ["下达督办"]
    assert (
        AuditRecord.objects.get(model="supervision.supervisionitem", object_id=str(item.pk)).history_user
        == leader
    )
    told = Notification.objects.filter(kind=Notification.Kind.ISSUED)
    assert {row.recipient for row in told} == {reporter_a, reporter_b}
    assert all(row.link == f"/supervision/{item.pk}/" for row in told)


def test_it_walks_the_whole_cycle_answer_return_answer_close(item, reporter_a, reviewer, leader):
    item_respond(item=item, by=reporter_a, text="已制定措施", files=[pdf()], version=1)
    item.refresh_from_db()
    assert (
        item.state == SupervisionItem.State.ANSWERED
        and item.responses.get().files.get().name == "落实情况.pdf"
    )
    assert (
        Notification.objects.filter(kind=Notification.Kind.ANSWERED, recipient__in=[leader, reviewer]).count()
        == 2
    )
    item_return(item=item, by=reviewer, reason="措施不具体", version=item.version)
    item.refresh_from_db()
    assert item.state == SupervisionItem.State.RETURNED and item.return_reason == "措施不具体"
    assert Notification.objects.filter(kind=Notification.Kind.REDO, recipient=reporter_a).exists()
    item_respond(item=item, by=reporter_a, text="补充了具体措施", version=item.version)
    item.refresh_from_db()
    item_close(item=item, by=reviewer, version=item.version)
    item.refresh_from_db()
    assert item.state == SupervisionItem.State.CLOSED and item.closed_at is not None
    assert item.responses.count() == 2
    assert reasons(item) == ["下达督办", "反馈办理情况", "退回重办：措施不具体", "反馈办理情况", "办结"]
    assert Notification.objects.filter(kind=Notification.Kind.CLOSED, recipient=leader).exists()


def test_two_clicks_on_one_step_move_it_once(item, reporter_a, reviewer):
    item_respond(item=item, by=reporter_a, text="已办", version=1)
    seen_version = SupervisionItem.objects.get(pk=item.pk).version
    item_close(item=item, by=reviewer, version=seen_version)
    with pytest.raises(Conflict):
        item_close(item=item, by=reviewer, version=seen_version)
    with pytest.raises(ValidationError, match="已办结"):
        item_close(item=item, by=reviewer)
    assert reasons(item).count("办结") == 1


def test_only_the_lead_units_reporter_answers_and_only_the_office_checks(
    item, reporter_b, leader, reporter_a
):
    with pytest.raises(PermissionDenied):
        item_respond(item=item, by=reporter_b, text="配合单位不能反馈")
    with pytest.raises(PermissionDenied):
        item_respond(item=item, by=leader, text="领导不能反馈")
    item_respond(item=item, by=reporter_a, text="已办")
    for user in (leader, reporter_a):
        with pytest.raises(PermissionDenied):
            item_close(item=item, by=user)
        with pytest.raises(PermissionDenied):
            item_return(item=item, by=user, reason="不行")


def test_a_refused_file_leaves_no_answer_and_no_file(item, reporter_a, settings):
    fake = SimpleUploadedFile("伪装.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        item_respond(item=item, by=reporter_a, text="附件", files=[pdf(), fake])
    assert "伪装.pdf" in str(refused.value) and "不是有效的PDF" in str(refused.value)
    item.refresh_from_db()
    assert item.state == SupervisionItem.State.ISSUED and not item.responses.exists()
    assert not (settings.MEDIA_ROOT / "supervision").exists()


def test_issuing_needs_texts_a_future_deadline_and_one_subject(
    leader, reporter_a, unit_a, trademarks, quanzhou
):
    with pytest.raises(PermissionDenied):
        item_issue(by=reporter_a, data=ItemInput("x", "y", "z", TODAY, unit_a), today=TODAY)
    with pytest.raises(ValidationError) as refused:
        item_issue(
            by=leader, data=ItemInput(" ", "", "z", TODAY - datetime.timedelta(days=1), unit_a, [unit_a]),
            today=TODAY,
        )  # fmt: skip
    errors = refused.value.message_dict
    assert errors["title"] == ["请填写督办事项。"] and errors["action"] == ["请填写工作要求。"]
    assert errors["deadline"] == ["办理时限不能早于今天。"] and errors["co_units"] == [
        "牵头单位不必再列为配合单位。"
    ]
    task = Task.objects.filter(section__plan=quanzhou).first()
    with pytest.raises(ValidationError, match="请选择一个"):
        both = About(indicator=trademarks, task=task)
        item_issue(by=leader, data=ItemInput("x", "y", "z", TODAY, unit_a, about=both), today=TODAY)
    assert not SupervisionItem.objects.exists()


def test_overdue_is_computed_from_the_deadline_while_the_unit_owes_the_answer(item, reporter_a):
    assert not item.is_overdue(TODAY)
    assert item.is_overdue(item.deadline + datetime.timedelta(days=1))
    item_respond(item=item, by=reporter_a, text="已办")
    item.refresh_from_db()
    assert not item.is_overdue(item.deadline + datetime.timedelta(days=1))  # the office owes the check now


def test_reminders_go_before_and_after_the_deadline_once_per_item_kind_and_day(item, reporter_a):
    Notification.objects.all().delete()
    assert items_remind(today=TODAY) == 0  # ten days ahead: nothing yet
    due_soon = item.deadline - datetime.timedelta(days=2)
    assert items_remind(today=due_soon) == 1
    assert items_remind(today=due_soon) == 0  # run twice: nobody hears twice
    late = item.deadline + datetime.timedelta(days=4)
    assert items_remind(today=late) == 1 and items_remind(today=late) == 0
    kinds = list(Notification.objects.filter(recipient=reporter_a).order_by("id").values_list("kind", "text"))
    assert kinds[0][0] == Notification.Kind.DUE and "还有2天" in kinds[0][1]
    assert kinds[1][0] == Notification.Kind.OVERDUE and "已逾期4天" in kinds[1][1]
    assert ItemReminder.objects.count() == 2
    item_respond(item=item, by=reporter_a, text="已办")
    assert items_remind(today=late + datetime.timedelta(days=1)) == 0  # answered: no more reminders


def test_a_reporter_sees_only_items_and_instructions_of_its_own_unit(
    item, reporter_a, reporter_b, leader, quanzhou
):
    other = factories.UnitFactory(name="其他单位")
    outsider = factories.UserFactory(role="reporter", unit=other, username="outsider")
    assert list(items_visible(reporter_a)) == [item] and list(items_visible(reporter_b)) == [item]  # co unit
    assert not items_visible(outsider).exists()
    factories.AssignmentFactory(indicator=item.indicator, unit=reporter_a.unit)
    on_unit = instruction_write(by=leader, text="抓紧报送", about=About(unit=other, year=2026, quarter=3))
    on_indicator = instruction_write(by=leader, text="加快进度", about=About(indicator=item.indicator))
    assert set(instructions_visible(reporter_a)) == {on_indicator}
    assert set(instructions_visible(outsider)) == {on_unit}
    assert set(instructions_visible(leader)) == {on_unit, on_indicator}


def test_an_instruction_is_audited_and_tells_the_units_concerned(leader, reporter_a, reporter_b, quanzhou):
    task = Task.objects.get(section__plan=quanzhou, section__number=1, number=1)
    instruction = instruction_write(by=leader, text="请牵头单位加快推进", about=About(task=task))
    assert reasons(instruction) == ["批示"]
    named = set(task.task_units.values_list("unit_id", flat=True))
    told = Notification.objects.filter(kind=Notification.Kind.INSTRUCTION)
    assert {row.recipient.unit_id for row in told} <= named and told.filter(recipient=reporter_a).exists()
    with pytest.raises(PermissionDenied):
        instruction_write(by=reporter_a, text="填报员不能批示", about=About(task=task))
    with pytest.raises(ValidationError, match="请填写批示内容"):
        instruction_write(by=leader, text="\u200b ", about=About(task=task))
    with pytest.raises(ValidationError, match="年度和季度"):
        instruction_write(by=leader, text="x", about=About(unit=reporter_a.unit))


def test_the_emails_go_out_after_commit_to_the_units_address(
    leader, unit_a, reporter_a, trademarks, django_capture_on_commit_callbacks
):
    unit_a.email = "zscqj@example.cn"
    unit_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        data = ItemInput("补报", "补报数据", "报送", TODAY, unit_a, about=About(indicator=trademarks))
        item_issue(by=leader, data=data, today=TODAY)
    assert [message.to for message in mail.outbox] == [["zscqj@example.cn"]]
    assert "督办下达" in mail.outbox[0].subject and "补报" in mail.outbox[0].body


# Pages -----------------------------------------------------------------------------------------------------


def test_the_reporter_lands_on_its_open_items_and_answers_with_a_file(client, item, reporter_a):
    client.force_login(reporter_a)
    assert client.get("/start/")["Location"] == "/supervision/?state=open"
    page = seen(client.get("/supervision/?state=open"))
    assert "推进商标注册量" in page.text and "已下达" in page.text
    detail = client.get(f"/supervision/{item.pk}/")
    assert "反馈办理情况" in detail.content.decode()
    response = client.post(
        f"/supervision/{item.pk}/respond/", {"text": "已制定措施", "version": 1, "files": [pdf()]}
    )
    assert response.status_code == 302
    page = seen(client.get(f"/supervision/{item.pk}/"))
    assert "办理情况已反馈" in page.text and "落实情况.pdf" in page.text
    kept = item.responses.get().files.get()
    download = client.get(f"/supervision/files/{kept.pk}/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert client.get("/start/")["Location"] == "/report/"


def test_another_units_item_and_file_are_404(client, item, reporter_a):
    other = factories.UnitFactory(name="其他单位")
    outsider = factories.UserFactory(role="reporter", unit=other, username="outsider")
    item_respond(item=item, by=reporter_a, text="已办", files=[pdf()])
    client.force_login(outsider)
    assert client.get(f"/supervision/{item.pk}/").status_code == 404
    assert client.post(f"/supervision/{item.pk}/respond/", {"text": "x", "version": 2}).status_code == 404
    assert client.get(f"/supervision/files/{item.responses.get().files.get().pk}/").status_code == 404
    assert "推进商标注册量" not in client.get("/supervision/").content.decode()


def test_a_bad_answer_is_told_in_chinese_and_nothing_changes(client, item, reporter_a):
    client.force_login(reporter_a)
    response = client.post(f"/supervision/{item.pk}/respond/", {"text": " ", "version": 1}, follow=True)
    assert "办理情况" in seen(response).text
    stale = client.post(f"/supervision/{item.pk}/respond/", {"text": "已办", "version": 7}, follow=True)
    assert "已被他人" in seen(stale).text
    item.refresh_from_db()
    assert item.state == SupervisionItem.State.ISSUED


def test_the_office_closes_or_returns_from_the_items_page(client, item, reporter_a, reviewer):
    item_respond(item=item, by=reporter_a, text="已办")
    client.force_login(reviewer)
    page = client.get(f"/supervision/{item.pk}/").content.decode()
    assert "核实办结" in page and "退回重办" in page
    refused = client.post(f"/supervision/{item.pk}/return/", {"reason": "", "version": 2}, follow=True)
    assert "退回理由" in seen(refused).text
    assert client.post(f"/supervision/{item.pk}/close/", {"version": 2}).status_code == 302
    item.refresh_from_db()
    assert item.state == SupervisionItem.State.CLOSED


def test_a_hand_edited_issue_link_gets_a_message_not_a_server_error(client, leader, unit_a, trademarks):
    client.force_login(leader)
    for query, message in (
        (f"unit={unit_a.pk}", "单位的季度报送须注明年度和季度。"),  # the quarter lost from the link
        (f"unit={unit_a.pk}&period=2026-9", "链接中的督办对象不正确"),
        (f"unit={unit_a.pk}&indicator={trademarks.pk}&period=2026-3", "请选择一个"),
    ):
        response = client.get(f"/supervision/new/?{query}")
        assert response.status_code == 400 and message in response.content.decode(), query
        assert seen(response).find("form", id="issue-form")  # an empty form to start again


def test_a_leader_issues_prefilled_from_an_indicator(client, leader, trademarks, unit_a, unit_b, reporter_a):
    factories.AssignmentFactory(indicator=trademarks, unit=unit_a, is_lead=True)
    factories.AssignmentFactory(indicator=trademarks, unit=unit_b)
    client.force_login(leader)
    form = (
        seen(client.get(f"/supervision/new/?indicator={trademarks.pk}"))
        .find("form", id="issue-form")
        .fields()
    )
    assert form["lead_unit"] == str(unit_a.pk) and form["indicator"] == str(trademarks.pk)
    assert "商标有效注册量" in form["title"]
    bad = client.post(
        "/supervision/new/", {**form, "deadline": "2026-01-01", "action": "做", "criteria": "完成"}
    )
    assert bad.status_code == 400 and "办理时限不能早于今天" in bad.content.decode()
    response = client.post(
        "/supervision/new/",
        {
            **form,
            "deadline": "2026-12-31",
            "action": "制定措施",
            "criteria": "提交文件",
            "co_units": [unit_b.pk],
        },
    )
    item = SupervisionItem.objects.get()
    assert response["Location"] == f"/supervision/{item.pk}/"
    assert item.indicator == trademarks and list(item.co_units.all()) == [unit_b]


def test_a_leader_writes_an_instruction_on_a_late_unit(client, leader, unit_a, reporter_a):
    client.force_login(leader)
    page = seen(client.get(f"/instructions/new/?unit={unit_a.pk}&period=2026-3"))
    assert "市知识产权局2026年第三季度报送情况" in page.text
    assert client.get("/instructions/new/").status_code == 400
    response = client.post(
        "/instructions/new/", {"unit": unit_a.pk, "period": "2026-3", "text": "请尽快补报"}
    )
    assert response.status_code == 302
    client.force_login(reporter_a)
    assert "请尽快补报" in seen(client.get("/instructions/")).text


@pytest.mark.parametrize("role", ["reporter", "leader"])
def test_who_may_not_open_the_office_and_issuer_pages(client, role, unit_a):
    user = factories.UserFactory(role=role, unit=unit_a if role == "reporter" else None, username=f"x-{role}")
    client.force_login(user)
    if role == "reporter":
        assert client.get("/supervision/new/").status_code == 403
        assert client.get("/instructions/new/?unit=1&period=2026-3").status_code == 403
    assert client.post("/supervision/1/close/", {"version": 1}).status_code == 403


def test_an_instruction_shows_on_its_indicators_page_to_the_units_that_report_it(
    client, leader, reporter_a, trademarks, unit_a
):
    factories.AssignmentFactory(indicator=trademarks, unit=unit_a, is_lead=True)
    instruction_write(by=leader, text="请加快商标品牌培育", about=About(indicator=trademarks))
    url = f"/plans/quanzhou-2024-2026/indicators/{trademarks.code}/"
    client.force_login(reporter_a)
    shown = seen(client.get(url)).find("section", id="instructions")
    assert "请加快商标品牌培育" in shown.text and "写批示" not in shown.text
    client.force_login(leader)
    assert "写批示" in seen(client.get(url)).find("section", id="instructions").text
