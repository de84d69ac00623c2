"""Export jobs: an Excel file someone asked for, generated in the background, downloaded by its id."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from audit.models import done_by
from ipcity.quarters import period_text


class ExportJob(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", "进展情况报告"
        BULLETIN = "bulletin", "工作推进情况通报"

    class State(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "生成失败"

    # The id is also the Celery task id and the only handle a browser ever gets: unguessable, no file paths.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    plan = models.ForeignKey("plans.Plan", verbose_name="方案", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    requested_by = done_by("申请人")

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel 工作簿"
        DOCX = "docx", "Word 公文"
        PDF = "pdf", "PDF"

    format = models.CharField("格式", max_length=8, choices=Format.choices, default=Format.XLSX)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.PENDING)
    file = models.FileField("文件", upload_to="exports/", blank=True)
    rows = models.PositiveIntegerField("行数", default=0)
    error = models.TextField("错误信息", blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        db_table = "reports_exportjob"  # the table kept its name when the model moved here
        verbose_name = verbose_name_plural = "导出任务"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="export_job_quarter_1_4"
            ),
            models.CheckConstraint(condition=~Q(state="done") | ~Q(file=""), name="export_job_done_has_file"),
        ]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="export_job_by_user")]

    def __str__(self) -> str:
        return f"{self.plan} {self.period_text}{self.get_kind_display()}"

    @property
    def period_text(self) -> str:
        return period_text(self.year, self.quarter)

    @property
    def download_name(self) -> str:
        """The file name a browser saves: plan, period and kind, in Chinese."""
        return f"{self.plan.short_title}{self.period_text}{self.get_kind_display()}.{self.format}"


class BulletinRelease(models.Model):
    """The office's decision that a quarter's bulletin (通报) is 正式: when nothing of the quarter awaited
    review, or with the reason it gave for releasing it while some did. Audited like every office write."""

    plan = models.ForeignKey("plans.Plan", verbose_name="方案", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    pending = models.PositiveIntegerField("发布时待审核项数", default=0)
    reason = models.TextField("发布说明", blank=True)
    released_by = done_by("发布人")
    released_at = models.DateTimeField("发布时间", auto_now_add=True)

    history = HistoricalRecords(verbose_name="通报发布记录")

    class Meta:
        verbose_name = verbose_name_plural = "通报发布"
        constraints = [
            models.UniqueConstraint(fields=["plan", "year", "quarter"], name="bulletin_release_once"),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="bulletin_release_quarter_1_4"
            ),
            # Released while items awaited review: only with a reason.
            models.CheckConstraint(condition=Q(pending=0) | ~Q(reason=""), name="bulletin_release_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {period_text(self.year, self.quarter)}通报（正式）"


class OfficialDocument(models.Model):
    """What the office sets and writes in one outgoing document (公文) of a plan's quarter: the report or the
    通报. The settings (文号, 主送 …) are its own; a wording field left empty means the generated draft's
    words, so only what the office changed is kept and a re-export keeps it. Figures are never stored here:
    the sentences that carry them are generated at every export. Audited like every office write."""

    plan = models.ForeignKey("plans.Plan", verbose_name="方案", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    kind = models.CharField("公文", max_length=16, choices=ExportJob.Kind.choices)
    number = models.CharField("文号", max_length=60, blank=True)
    recipients = models.CharField("主送", max_length=200, blank=True)
    copy_to = models.CharField("抄送", max_length=400, blank=True)
    printed_by = models.CharField("印发机关", max_length=100, blank=True)
    contact = models.CharField("联系人", max_length=40, blank=True)
    phone = models.CharField("电话", max_length=40, blank=True)
    signed_on = models.DateField("成文日期", null=True, blank=True)
    common_fonts = models.BooleanField("使用通用字体", default=False)
    opening = models.TextField("开头语", blank=True)
    overall = models.TextField("总体情况（开头）", blank=True)
    problems = models.TextField("存在问题", blank=True)
    next_steps = models.TextField("下步计划", blank=True)
    requirements = models.TextField("工作要求", blank=True)
    version = models.PositiveIntegerField("版本", default=0)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    history = HistoricalRecords(verbose_name="公文设置与措辞记录")

    class Meta:
        verbose_name = verbose_name_plural = "公文设置与措辞"
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "year", "quarter", "kind"], name="official_document_once"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="official_document_quarter_1_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {period_text(self.year, self.quarter)}{self.get_kind_display()}"
