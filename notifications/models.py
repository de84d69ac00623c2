"""Messages to people: a row per recipient (the bell), and the office's group-robot settings
(企业微信/钉钉)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Notification(models.Model):
    """One message to one user: what happened, where to look, and whether they have read it."""

    class Kind(models.TextChoices):
        RETURNED = "returned", "填报被退回"
        REOPENED = "reopened", "已审核数据被重新打开"
        REMINDER = "reminder", "催报"
        INSTRUCTION = "instruction", "批示"
        ISSUED = "supervision_issued", "督办下达"
        DUE = "supervision_due", "督办即将到期"
        OVERDUE = "supervision_overdue", "督办已逾期"
        ANSWERED = "supervision_answered", "督办已反馈"
        CLOSED = "supervision_closed", "督办已办结"
        REDO = "supervision_returned", "督办退回重办"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField("类别", max_length=32, choices=Kind.choices)
    text = models.CharField("内容", max_length=500)
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.text


class Webhook(models.Model):
    """The office's group robot: one row per platform, off unless the office turns it on. Every change is in
    the audit trail (who, why)."""

    class Platform(models.TextChoices):
        WECOM = "wecom", "企业微信群机器人"
        DINGTALK = "dingtalk", "钉钉群机器人"

    platform = models.CharField("平台", max_length=16, choices=Platform.choices, unique=True)
    url = models.URLField("Webhook地址", max_length=500, blank=True)
    enabled = models.BooleanField("启用", default=False)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    history = HistoricalRecords(verbose_name="群机器人设置变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "群机器人设置"
        ordering = ["platform"]

    def __str__(self) -> str:
        return self.get_platform_display()
