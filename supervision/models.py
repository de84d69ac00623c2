"""督查督办: a leader's or the office's 批示 (Instruction) on an indicator, a task or a unit's quarter, and
the 督办事项 (SupervisionItem) that turns it into an owner, a deadline and an answer the office verifies.

Both keep their whole history (django-simple-history, append-only in the database): a 批示 is never edited,
an item changes only through `supervision.services`, one audited transition at a time."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from audit.models import done_by
from ipcity.quarters import Quarter


class Subject(models.Model):
    """What a 批示 or a 督办 is about: an indicator, a task, or a unit (with a quarter: its 报送)."""

    indicator = models.ForeignKey(
        "indicators.Indicator", verbose_name="指标", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    task = models.ForeignKey(
        "plans.Task", verbose_name="任务", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "plans.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    quarter = models.PositiveSmallIntegerField("季度", null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def at(self) -> Quarter | None:
        return Quarter(self.year, self.quarter) if self.year and self.quarter else None

    @property
    def about(self) -> str:
        """指标“…” / 任务“…” / 某单位2026年第三季度报送 — the object in the words pages use."""
        at = str(self.at) if self.at else ""
        if self.indicator_id:
            return f"指标“{self.indicator.name}”{at}"
        if self.task_id:
            return f"任务“{self.task.title}”{at}"
        if self.unit_id:
            return f"{self.unit.name}{at}报送情况"
        return "（无）"


def _one_subject(prefix: str, *, required: bool) -> list[models.BaseConstraint]:
    one = (
        Q(indicator__isnull=False, task__isnull=True, unit__isnull=True)
        | Q(indicator__isnull=True, task__isnull=False, unit__isnull=True)
        | Q(indicator__isnull=True, task__isnull=True, unit__isnull=False)
    )
    if not required:
        one |= Q(indicator__isnull=True, task__isnull=True, unit__isnull=True)
    return [
        models.CheckConstraint(condition=one, name=f"{prefix}_one_subject"),
        models.CheckConstraint(
            condition=Q(unit__isnull=True) | Q(year__isnull=False, quarter__isnull=False),
            name=f"{prefix}_unit_has_quarter",
        ),
        models.CheckConstraint(
            condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4), name=f"{prefix}_quarter"
        ),
    ]


class Instruction(Subject):
    """批示: what a leader (or the office) wrote on an indicator, a task or a unit's quarter. Never edited."""

    author = done_by("批示人")
    text = models.TextField("批示内容")
    created_at = models.DateTimeField("批示时间", default=timezone.now)

    history = HistoricalRecords(verbose_name="批示记录")

    class Meta:
        verbose_name = verbose_name_plural = "批示"
        ordering = ["-created_at", "-id"]
        constraints = _one_subject("instruction", required=True)

    def __str__(self) -> str:
        return f"{self.about}：{self.text[:30]}"


class SupervisionItem(Subject):
    """督办事项. Its subject (indicator, task or late unit) is where it came from; `lead_unit` answers."""

    class State(models.TextChoices):
        ISSUED = "issued", "已下达"
        ANSWERED = "answered", "已反馈"
        CLOSED = "closed", "已办结"
        RETURNED = "returned", "退回重办"

    OPEN = (State.ISSUED, State.RETURNED)  # waiting for the lead unit

    title = models.CharField("督办事项", max_length=200)
    action = models.TextField("工作要求")
    criteria = models.TextField("完成标准")
    deadline = models.DateField("办理时限")
    lead_unit = models.ForeignKey(
        "plans.Unit", verbose_name="牵头单位", on_delete=models.PROTECT, related_name="supervision_items"
    )
    co_units = models.ManyToManyField(
        "plans.Unit", verbose_name="配合单位", blank=True, related_name="supervision_items_co"
    )
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.ISSUED)
    issued_by = done_by("督办人")
    issued_at = models.DateTimeField("下达时间", default=timezone.now)
    return_reason = models.TextField("退回理由", blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    history = HistoricalRecords(verbose_name="督办事项变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "督办事项"
        ordering = ["deadline", "id"]
        constraints = _one_subject("supervision", required=False)
        indexes = [models.Index(fields=["lead_unit", "state"], name="supervision_unit_state")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        """Past its deadline and still waiting for the unit (an answer the office has not checked is not)."""
        return self.is_open and self.deadline < (today or timezone.localdate())


class Response(models.Model):
    """The lead unit's answer to an item (a returned item is answered again: each answer is kept)."""

    item = models.ForeignKey(
        SupervisionItem, verbose_name="督办事项", on_delete=models.CASCADE, related_name="responses"
    )
    text = models.TextField("办理情况")
    answered_by = done_by("反馈人")
    answered_at = models.DateTimeField("反馈时间", default=timezone.now)

    history = HistoricalRecords(verbose_name="督办反馈记录")

    class Meta:
        verbose_name = verbose_name_plural = "督办反馈"
        ordering = ["answered_at", "id"]

    def __str__(self) -> str:
        return f"{self.item}：{self.text[:30]}"


class ResponseFile(models.Model):
    """An evidence file of an answer, checked as every evidence file is (reporting/evidence.py)."""

    response = models.ForeignKey(
        Response, verbose_name="反馈", on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField("文件", upload_to="supervision/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = done_by("上传人")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    history = HistoricalRecords(verbose_name="督办佐证材料变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "督办佐证材料"

    def __str__(self) -> str:
        return self.name


class ItemReminder(models.Model):
    """The log that makes the reminder job idempotent: one reminder per item, kind and day."""

    class Kind(models.TextChoices):
        DUE = "due", "即将到期"
        OVERDUE = "overdue", "已逾期"

    item = models.ForeignKey(SupervisionItem, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    sent_on = models.DateField("日期")

    class Meta:
        verbose_name = verbose_name_plural = "督办提醒记录"
        constraints = [models.UniqueConstraint(fields=["item", "kind", "sent_on"], name="item_reminder_once")]

    def __str__(self) -> str:
        return f"{self.item} {self.get_kind_display()} {self.sent_on}"
