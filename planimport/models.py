"""A plan read from its document, waiting for the office's review before it becomes a plan."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Draft(models.Model):
    """The document's text and what the parser read from it (planimport.draft), as the office edits it.

    `data` has the shape of a plan fixture plus each item's spans into `text`, its confidence and its
    待确认 questions; publishing hands it to the same loaders the fixtures use."""

    class Status(models.TextChoices):
        DRAFT = "draft", "待审核"
        PUBLISHED = "published", "已发布"

    title = models.CharField("方案名称", max_length=200)
    filename = models.CharField("文件名", max_length=200, blank=True)
    text = models.TextField("文件文字")
    data = models.JSONField("识别结果")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    plan = models.ForeignKey(
        "plans.Plan",
        verbose_name="发布为方案",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField("导入时间", auto_now_add=True)

    history = HistoricalRecords(verbose_name="方案草稿变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "方案草稿"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title or f"方案草稿{self.pk}"
