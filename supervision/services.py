"""Writes of 督查督办: a 批示, issuing a 督办事项, the lead unit's answer, the office's 办结 or 退回重办,
and the reminders. Every write is audited (who, why) and tells the people concerned (notifications.notify)
once the transaction commits; each transition is taken under a row lock and the optimistic `version`, so
two clicks cannot move an item twice."""

from __future__ import annotations

import datetime
import logging
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import REVIEWERS, Role, ensure_reporter_of, ensure_reviewer, has_role
from audit.services import claim, reason_required, stamp
from indicators.models import Indicator
from notifications.models import Notification
from notifications.services import notify
from plans.models import Task, Unit
from reporting.evidence import MAX_FILES_PER_ROW, clean_name, evidence_problem
from supervision.models import Instruction, ItemReminder, Response, ResponseFile, SupervisionItem
from supervision.selectors import instruction_units

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)
ISSUERS = (*REVIEWERS, Role.LEADER)  # who may write a 批示 and issue a 督办
TITLE_LIMIT = 200
State = SupervisionItem.State


def ensure_issuer(user) -> None:
    if not has_role(user, ISSUERS):
        raise PermissionDenied("只有领导和办公室可以批示或下达督办。")


@dataclass(frozen=True)
class About:
    """The subject of a 批示 or a 督办: exactly one of indicator, task, unit (a unit with its quarter)."""

    indicator: Indicator | None = None
    task: Task | None = None
    unit: Unit | None = None
    year: int | None = None
    quarter: int | None = None

    def fields(self) -> dict:
        return {
            "indicator": self.indicator, "task": self.task, "unit": self.unit,
            "year": self.year, "quarter": self.quarter,
        }  # fmt: skip

    def check(self, *, required: bool) -> None:
        named = sum(part is not None for part in (self.indicator, self.task, self.unit))
        if named > 1 or (required and named == 0):
            raise ValidationError("请选择一个批示对象：指标、任务或单位的季度报送。")
        if self.unit is not None and not (self.year and self.quarter in (1, 2, 3, 4)):
            raise ValidationError("单位的季度报送须注明年度和季度。")


def _item_link(item: SupervisionItem) -> str:
    return reverse("supervision-item", kwargs={"pk": item.pk})


def _office() -> list:
    return list(get_user_model().objects.filter(role__in=REVIEWERS, is_active=True))


def instruction_write(*, by: User, text: str, about: About) -> Instruction:
    """Record a 批示 (leaders and the office), audited; the units concerned are told. Never edited later:
    a second thought is a second 批示."""
    ensure_issuer(by)
    text = reason_required(text, "批示内容")
    about.check(required=True)
    with transaction.atomic():
        instruction = Instruction(author=by, text=text, **about.fields())
        stamp(instruction, by, "批示")
        instruction.save()
        units = Unit.objects.filter(pk__in=instruction_units(instruction))
        notify(
            units=units,
            kind=Notification.Kind.INSTRUCTION,
            text=f"{by.get_full_name() or by.username}对{instruction.about}批示：{text}",
            link=reverse("instructions"),
        )
    return instruction


@dataclass
class ItemInput:
    title: str
    action: str
    criteria: str
    deadline: datetime.date
    lead_unit: Unit
    co_units: list[Unit] = field(default_factory=list)
    about: About = field(default_factory=About)


def item_issue(*, by: User, data: ItemInput, today: datetime.date | None = None) -> SupervisionItem:
    """下达 a 督办事项 (leaders and the office): subject, lead and co units, required action, deadline
    (today or later), 完成标准. Audited; the lead and co units are told. ValidationError (Chinese, by
    field) on bad input."""
    ensure_issuer(by)
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    texts = {}
    for name, label in (("title", "督办事项"), ("action", "工作要求"), ("criteria", "完成标准")):
        try:
            texts[name] = reason_required(getattr(data, name), label)
        except ValidationError as error:
            errors[name] = error.messages
    if "title" in texts and len(texts["title"]) > TITLE_LIMIT:
        errors["title"] = [f"督办事项不能超过{TITLE_LIMIT}字。"]
    if data.deadline < today:
        errors["deadline"] = ["办理时限不能早于今天。"]
    if any(unit.pk == data.lead_unit.pk for unit in data.co_units):
        errors["co_units"] = ["牵头单位不必再列为配合单位。"]
    if errors:
        raise ValidationError(errors)
    data.about.check(required=False)
    with transaction.atomic():
        item = SupervisionItem(
            title=texts["title"], action=texts["action"], criteria=texts["criteria"], deadline=data.deadline,
            lead_unit=data.lead_unit, issued_by=by, **data.about.fields(),
        )  # fmt: skip
        stamp(item, by, "下达督办")
        item.save()
        item.co_units.set(data.co_units)
        notify(
            units=[data.lead_unit, *data.co_units],
            kind=Notification.Kind.ISSUED,
            text=f"督办事项“{item.title}”已下达，牵头单位{data.lead_unit.name}，"
            f"请于{data.deadline:%Y年%m月%d日}前反馈办理情况。",
            link=_item_link(item),
        )
    return item


def _locked(item: SupervisionItem, version: int | None, allowed: Iterable[str], what: str) -> SupervisionItem:
    """The item re-read under a row lock; Conflict when the version the user saw is stale, ValidationError
    when its state does not allow `what`."""
    row = SupervisionItem.objects.select_for_update().select_related("lead_unit").get(pk=item.pk)
    if version is not None and version != row.version:
        claim(row, version)  # raises Conflict naming when it changed
    if row.state not in allowed:
        raise ValidationError(f"该督办事项当前为“{row.get_state_display()}”，不能{what}。")
    claim(row, row.version)
    return row


def item_respond(
    *,
    item: SupervisionItem,
    by: User,
    text: str,
    files: Iterable[UploadedFile] = (),
    version: int | None = None,
) -> Response:
    """The lead unit's reporter answers with text and evidence files (checked as every evidence file: type,
    content, size, macros). All or nothing: a refused file leaves no answer and no file. → 已反馈; the issuer
    and the office are told."""
    ensure_reporter_of(by, item.lead_unit)
    text = reason_required(text, "办理情况")
    files = list(files)
    problems = [
        problem for upload in files if (problem := evidence_problem(upload.name or "", upload.size, upload))
    ]
    if len(files) > MAX_FILES_PER_ROW:
        problems.append(f"每次反馈最多上传{MAX_FILES_PER_ROW}个佐证材料。")
    if problems:
        raise ValidationError({"files": problems})
    stored: list[str] = []
    try:
        with transaction.atomic():
            row = _locked(item, version, SupervisionItem.OPEN, "反馈")
            response = Response(item=row, text=text, answered_by=by)
            stamp(response, by, "督办反馈")
            response.save()
            for upload in files:
                name = clean_name(upload.name or "")
                kept = ResponseFile(response=response, name=name, size=upload.size, uploaded_by=by)
                kept.file.save(f"{uuid.uuid4().hex}{os.path.splitext(name)[1].lower()}", upload, save=False)
                stored.append(kept.file.name)
                stamp(kept, by, f"上传督办佐证材料：{name}")
                kept.save()
            row.state = State.ANSWERED
            stamp(row, by, "反馈办理情况")
            row.save()
            notify(
                users=[row.issued_by, *_office()],
                kind=Notification.Kind.ANSWERED,
                text=f"{row.lead_unit.name}已反馈督办事项“{row.title}”的办理情况，请核实。",
                link=_item_link(row),
            )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    item.refresh_from_db()
    return response


def item_close(*, item: SupervisionItem, by: User, version: int | None = None) -> SupervisionItem:
    """The office verifies the answer: 已反馈 → 已办结. The units and the issuer are told."""
    ensure_reviewer(by)
    with transaction.atomic():
        row = _locked(item, version, (State.ANSWERED,), "办结")
        row.state, row.closed_at = State.CLOSED, timezone.now()
        stamp(row, by, "办结")
        row.save()
        notify(
            users=[row.issued_by],
            units=[row.lead_unit, *row.co_units.all()],
            kind=Notification.Kind.CLOSED,
            text=f"督办事项“{row.title}”经办公室核实已办结。",
            link=_item_link(row),
        )
    return row


def item_return(
    *, item: SupervisionItem, by: User, reason: str, version: int | None = None
) -> SupervisionItem:
    """The office finds the answer short: 已反馈 → 退回重办 with a reason; the lead unit is told and answers
    again."""
    ensure_reviewer(by)
    reason = reason_required(reason, "退回理由")
    with transaction.atomic():
        row = _locked(item, version, (State.ANSWERED,), "退回重办")
        row.state, row.return_reason = State.RETURNED, reason
        stamp(row, by, f"退回重办：{reason}")
        row.save()
        notify(
            units=[row.lead_unit],
            kind=Notification.Kind.REDO,
            text=f"督办事项“{row.title}”被退回重办：{reason}",
            link=_item_link(row),
        )
    return row


def days_before() -> int:
    return int(getattr(settings, "IPCITY_SUPERVISION_REMIND_DAYS_BEFORE", 3))


def items_remind(*, today: datetime.date) -> int:
    """Remind the lead unit of each open item due within `days_before()` days (即将到期) or past its deadline
    (已逾期): at most one reminder per item, kind and day, however often it runs (the log's unique key).
    Returns how many reminders went out."""
    from supervision.selectors import items_due_for_reminder

    sent = 0
    for item in items_due_for_reminder(today, days_before()):
        late = item.deadline < today
        kind = ItemReminder.Kind.OVERDUE if late else ItemReminder.Kind.DUE
        days = (today - item.deadline).days if late else (item.deadline - today).days
        try:
            with transaction.atomic():
                ItemReminder.objects.create(item=item, kind=kind, sent_on=today)
                notify(
                    units=[item.lead_unit],
                    kind=Notification.Kind.OVERDUE if late else Notification.Kind.DUE,
                    text=f"督办事项“{item.title}”已逾期{days}天，请尽快反馈办理情况。"
                    if late
                    else f"督办事项“{item.title}”将于{item.deadline:%Y年%m月%d日}到期"
                    f"（还有{days}天），请按时反馈。",
                    link=_item_link(item),
                )
        except IntegrityError:
            continue  # another run reminded it today
        sent += 1
    return sent
