"""Indicators and their targets; the quarterly figures units report; the rolled-up progress leaders read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from audit.models import done_by
from indicators.models import FIGURE, Indicator
from ipcity.quarters import Quarter


class Period(models.Model):
    """A reporting quarter: opens on its first day, due (default) the 10th day after it ends, then locks."""

    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    opens_on = models.DateField("开始填报")
    due_on = models.DateField("截止日期")
    locks_on = models.DateField("锁定日期", help_text="此日起不再接受报送，除非办公室为单位开放例外")

    history = HistoricalRecords(table_name="indicators_historicalperiod", verbose_name="填报期变更记录")

    class Meta:
        db_table = "indicators_period"  # the table kept its name when the model moved here
        verbose_name = verbose_name_plural = "填报期"
        ordering = ["year", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["year", "quarter"], name="period_once"),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="period_quarter_1_4"
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("opens_on")) & Q(locks_on__gte=F("due_on")),
                name="period_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return str(self.at)

    @property
    def at(self) -> Quarter:
        return Quarter(self.year, self.quarter)


class PeriodException(models.Model):
    """The office lets one unit report into a locked period until a date."""

    period = models.ForeignKey(
        Period, verbose_name="填报期", on_delete=models.CASCADE, related_name="exceptions"
    )
    unit = models.ForeignKey("plans.Unit", verbose_name="单位", on_delete=models.CASCADE, related_name="+")
    until = models.DateField("开放至")
    reason = models.TextField("理由")
    granted_by = done_by("批准人")
    granted_at = models.DateTimeField("批准时间", auto_now_add=True)

    history = HistoricalRecords(
        table_name="indicators_historicalperiodexception", verbose_name="例外开放变更记录"
    )

    class Meta:
        db_table = "indicators_periodexception"  # the table kept its name when the model moved here
        verbose_name = verbose_name_plural = "例外开放"
        constraints = [
            models.UniqueConstraint(fields=["period", "unit"], name="period_exception_once"),
            models.CheckConstraint(condition=~Q(reason=""), name="period_exception_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.period} 开放至{self.until}"


class ReviewState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已报送"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已审核"


# A figure or task report the unit has handed to the office: no longer owed by the unit.
WITH_OFFICE = (ReviewState.SUBMITTED, ReviewState.APPROVED)


class Reviewed(models.Model):
    """What a submission of figures and a task progress report share: the review workflow and its lock."""

    unit = models.ForeignKey(
        "plans.Unit", verbose_name="填报单位", on_delete=models.PROTECT, related_name="%(class)ss"
    )
    period = models.ForeignKey(
        Period, verbose_name="填报期", on_delete=models.PROTECT, related_name="%(class)ss"
    )
    state = models.CharField("状态", max_length=16, choices=ReviewState.choices, default=ReviewState.DRAFT)
    # Optimistic lock: every write is `filter(pk=…, version=seen).update(version=seen + 1, …)`.
    version = models.PositiveIntegerField("版本", default=1)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报送人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_late = models.BooleanField("逾期报送", default=False)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_reason = models.TextField("退回理由", blank=True)
    is_demo = models.BooleanField("演示数据", default=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class Submission(Reviewed):
    """One unit's figure for one indicator and quarter."""

    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="submissions"
    )
    value = models.DecimalField("数值", null=True, blank=True, **FIGURE)
    numerator = models.DecimalField("分子", null=True, blank=True, **FIGURE)
    denominator = models.DecimalField("分母", null=True, blank=True, **FIGURE)
    done = models.BooleanField("已完成", null=True, blank=True)
    note = models.TextField("说明", blank=True)

    history = HistoricalRecords(table_name="indicators_historicalsubmission", verbose_name="填报变更记录")

    class Meta:
        db_table = "indicators_submission"  # the table kept its name when the model moved here
        verbose_name = verbose_name_plural = "指标填报"
        ordering = ["period", "unit", "indicator"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "unit", "period"], name="submission_once"),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0), name="submission_value_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True) | Q(numerator__gte=0), name="submission_numerator_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gte=0),
                name="submission_denominator_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True)
                | Q(denominator__isnull=True)
                | Q(numerator__lte=F("denominator")),
                name="submission_numerator_within_denominator",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(submitted_at__isnull=False), name="submission_sent_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["period", "state"], name="submission_period_state"),
            # The progress report's 备注 column reads each indicator's notes of a quarter: about one figure in
            # a hundred has one, so this index is small, and the report does not scan a national plan's
            # 30,000 figures per indicator to find them.
            models.Index(fields=["indicator", "period"], condition=~Q(note=""), name="submission_notes"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.indicator} {self.period}"


class TaskReport(Reviewed):
    """One unit's quarterly progress on one task it is named on."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "未启动"
        IN_PROGRESS = "in_progress", "推进中"
        DONE = "done", "已完成"
        LAGGING = "lagging", "滞后"

    task = models.ForeignKey(
        "plans.Task", verbose_name="任务", on_delete=models.PROTECT, related_name="reports"
    )
    status = models.CharField("推进状态", max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    progress = models.TextField("进展情况", blank=True)
    problems = models.TextField("存在问题", blank=True)
    next_steps = models.TextField("下步计划", blank=True)

    history = HistoricalRecords(table_name="indicators_historicaltaskreport", verbose_name="任务进展变更记录")

    class Meta:
        db_table = "indicators_taskreport"  # the table kept its name when the model moved here
        verbose_name = verbose_name_plural = "任务进展"
        ordering = ["period", "task", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit", "period"], name="task_report_once"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(submitted_at__isnull=False), name="task_report_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.task} {self.period}"


class Evidence(models.Model):
    """A file a unit attaches to a submission or a task report (佐证材料)."""

    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    task_report = models.ForeignKey(
        TaskReport, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField("文件", upload_to="evidence/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = done_by("上传人")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    # Adding and removing evidence is part of a submission's audit trail.
    history = HistoricalRecords(table_name="indicators_historicalevidence", verbose_name="佐证材料变更记录")

    class Meta:
        db_table = "indicators_evidence"  # the table kept its name when the model moved here
        verbose_name = verbose_name_plural = "佐证材料"
        constraints = [
            models.CheckConstraint(
                condition=Q(submission__isnull=False, task_report__isnull=True)
                | Q(submission__isnull=True, task_report__isnull=False),
                name="evidence_has_one_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Reminder(models.Model):
    """One reminder email sent to a unit for a period: the log that keeps a reminder from going out twice."""

    class Kind(models.TextChoices):
        BEFORE = "before", "截止前提醒"
        DUE = "due", "截止日提醒"
        OVERDUE = "overdue", "逾期催报"
        URGE = "urge", "办公室催报"  # one click on the review queue (reminders.urge_unit)

    unit = models.ForeignKey("plans.Unit", verbose_name="单位", on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(Period, verbose_name="填报期", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    sent_on = models.DateField("发送日期")
    recipients = models.TextField("收件人")
    owed = models.PositiveIntegerField("未报项数")
    sent_at = models.DateTimeField("发送时间", auto_now_add=True)

    # The office's 催报 is an action someone took: the audit trail keeps who sent it (urge_unit stamps it).
    history = HistoricalRecords(table_name="indicators_historicalreminder", verbose_name="催报记录变更记录")

    class Meta:
        db_table = "indicators_reminder"  # the table kept its name when the model moved here
        verbose_name = verbose_name_plural = "催报记录"
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "period", "kind", "sent_on"], name="reminder_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.period} {self.get_kind_display()}"
