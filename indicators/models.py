"""Indicators and their targets; the quarterly figures units report; the rolled-up progress leaders read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from indicators.figures import target_text

FIGURE = {"max_digits": 20, "decimal_places": 4}


class Indicator(models.Model):
    class Measure(models.TextChoices):
        STOCK = "stock", "存量（期末值）"
        FLOW = "flow", "当期新增"
        CUMULATIVE = "cumulative", "实施期内累计"
        RATIO = "ratio", "比率（Σ分子/Σ分母）"
        PER_CAPITA = "per_capita", "每万人口"
        MILESTONE = "milestone", "定性目标"

    class Category(models.TextChoices):
        CREATION = "creation", "创造"
        UTILIZATION = "utilization", "运用"
        PROTECTION = "protection", "保护"
        MANAGEMENT = "management", "管理"
        SERVICE = "service", "服务"
        TALENT = "talent", "人才"
        OVERALL = "overall", "综合"

    class Combine(models.TextChoices):
        SUM = "sum", "各单位数值相加"
        LEAD = "lead", "仅取牵头单位数值"

    plan = models.ForeignKey(
        "plans.Plan", verbose_name="方案", on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.SlugField("代码", max_length=64)
    name = models.CharField("指标", max_length=128)
    unit = models.CharField("计量单位", max_length=16, blank=True)
    measure = models.CharField("统计口径", max_length=16, choices=Measure.choices)
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    decimals = models.PositiveSmallIntegerField("小数位数", default=0)
    combine = models.CharField("多单位汇总方式", max_length=8, choices=Combine.choices, default=Combine.SUM)
    position = models.PositiveSmallIntegerField("排序", default=0)
    description = models.TextField("指标说明", blank=True)
    numerator_label = models.CharField("分子名称", max_length=64, blank=True)
    denominator_label = models.CharField("分母名称", max_length=64, blank=True)
    # An indicator the plan states twice (yearly and over the whole period) is reported once: the second
    # reads the first one's submissions instead of asking units for the same figure again.
    computed_from = models.ForeignKey(
        "self",
        verbose_name="数据取自指标",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="computed_views",
    )
    # The same idea across plans (e.g. high-value invention patents), for the plan comparison.
    theme = models.SlugField("可比主题", max_length=64, blank=True)

    history = HistoricalRecords(verbose_name="指标变更记录")

    class Meta:
        verbose_name = "指标"
        verbose_name_plural = "指标"
        ordering = ["plan", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicator_code_unique_in_plan"),
            models.UniqueConstraint(fields=["plan", "name"], name="indicator_name_unique_in_plan"),
            models.CheckConstraint(condition=Q(decimals__lte=4), name="indicator_decimals_at_most_4"),
            models.CheckConstraint(
                condition=~Q(measure="ratio") | (~Q(numerator_label="") & ~Q(denominator_label="")),
                name="indicator_ratio_has_labels",
            ),
            models.CheckConstraint(
                condition=~Q(computed_from=F("id")), name="indicator_not_computed_from_self"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def targets_by_year(self) -> list[Target | None]:
        """The target for each year of the plan, None where there is none (uses prefetched targets)."""
        by_year = {target.year: target for target in self.targets.all()}
        return [by_year.get(year) for year in self.plan.years]

    @property
    def latest_baseline(self) -> Baseline | None:
        """The newest baseline (uses prefetched baselines when present)."""
        return max(self.baselines.all(), key=lambda baseline: baseline.year, default=None)


class Target(models.Model):
    """What the plan asks of an indicator by the end of a year."""

    class Comparator(models.TextChoices):
        GTE = "gte", "达到（≥）"
        GT = "gt", "突破（>）"
        BETWEEN = "between", "区间（下限—上限）"
        LTE = "lte", "控制在（≤）"
        GROWTH = "growth", "保持增长（高于上年）"
        DONE = "done", "完成（定性）"

    class Origin(models.TextChoices):
        DOCUMENT = "document", "文件原文"
        DERIVED = "derived", "推算"
        OFFICE = "office", "办公室设定"

    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="targets"
    )
    year = models.PositiveSmallIntegerField("年度")
    comparator = models.CharField("比较方式", max_length=8, choices=Comparator.choices)
    min = models.DecimalField("下限", null=True, blank=True, **FIGURE)
    max = models.DecimalField("上限", null=True, blank=True, **FIGURE)
    origin = models.CharField("来源类型", max_length=8, choices=Origin.choices)
    source = models.TextField("依据", help_text="文件原文句子；推算或办公室设定时写明依据")

    history = HistoricalRecords(verbose_name="目标变更记录")

    class Meta:
        verbose_name = "目标"
        verbose_name_plural = "目标"
        ordering = ["indicator", "year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="target_one_per_year"),
            models.CheckConstraint(
                condition=(
                    (Q(comparator__in=["gte", "gt"]) & Q(min__isnull=False) & Q(max__isnull=True))
                    | (Q(comparator="lte") & Q(min__isnull=True) & Q(max__isnull=False))
                    | (
                        Q(comparator="between")
                        & Q(min__isnull=False)
                        & Q(max__isnull=False)
                        & Q(max__gte=F("min"))
                    )
                    | (Q(comparator__in=["growth", "done"]) & Q(min__isnull=True) & Q(max__isnull=True))
                ),
                name="target_bounds_match_comparator",
            ),
            models.CheckConstraint(condition=~Q(source=""), name="target_has_source"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year}年"

    @property
    def text(self) -> str:
        """The target as the plan writes it, e.g. ≥88万件 or 1—2场 (needs `indicator` loaded)."""
        return target_text(self.comparator, self.min, self.max, self.indicator.unit)


class Baseline(models.Model):
    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="baselines"
    )
    year = models.PositiveSmallIntegerField("年度")
    value = models.DecimalField("基期值", **FIGURE)
    source = models.TextField("来源（原文）")

    history = HistoricalRecords(verbose_name="基期值变更记录")

    class Meta:
        verbose_name = "基期值"
        verbose_name_plural = "基期值"
        ordering = ["indicator", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="baseline_one_per_year"),
            models.CheckConstraint(condition=~Q(source=""), name="baseline_has_source"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year}年 {self.value}"


class Assignment(models.Model):
    """The office's decision that a unit reports an indicator (a ratio: numerator and denominator)."""

    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(
        "plans.Unit", verbose_name="填报单位", on_delete=models.PROTECT, related_name="assignments"
    )
    # Whose figure counts when the indicator combines units as `lead` (仅取牵头单位数值).
    is_lead = models.BooleanField("牵头单位", default=False)

    history = HistoricalRecords(verbose_name="填报分工变更记录")

    class Meta:
        verbose_name = "填报分工"
        verbose_name_plural = "填报分工"
        ordering = ["indicator", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "unit"], name="assignment_once"),
            models.UniqueConstraint(
                fields=["indicator"], condition=Q(is_lead=True), name="assignment_one_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} → {self.indicator}"


class Period(models.Model):
    """A reporting quarter: opens on its first day, due (default) the 10th day after it ends, then locks."""

    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    opens_on = models.DateField("开始填报")
    due_on = models.DateField("截止日期")
    locks_on = models.DateField("锁定日期", help_text="此日起不再接受报送，除非办公室为单位开放例外")

    history = HistoricalRecords(verbose_name="填报期变更记录")

    class Meta:
        verbose_name = "填报期"
        verbose_name_plural = "填报期"
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
        return f"{self.year}年第{self.quarter}季度"


class PeriodException(models.Model):
    """The office lets one unit report into a locked period until a date."""

    period = models.ForeignKey(
        Period, verbose_name="填报期", on_delete=models.CASCADE, related_name="exceptions"
    )
    unit = models.ForeignKey("plans.Unit", verbose_name="单位", on_delete=models.CASCADE, related_name="+")
    until = models.DateField("开放至")
    reason = models.TextField("理由")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="批准人", on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField("批准时间", auto_now_add=True)

    history = HistoricalRecords(verbose_name="例外开放变更记录")

    class Meta:
        verbose_name = "例外开放"
        verbose_name_plural = "例外开放"
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

    history = HistoricalRecords(verbose_name="填报变更记录")

    class Meta:
        verbose_name = "指标填报"
        verbose_name_plural = "指标填报"
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

    history = HistoricalRecords(verbose_name="任务进展变更记录")

    class Meta:
        verbose_name = "任务进展"
        verbose_name_plural = "任务进展"
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
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    # Adding and removing evidence is part of a submission's audit trail.
    history = HistoricalRecords(verbose_name="佐证材料变更记录")

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        constraints = [
            models.CheckConstraint(
                condition=Q(submission__isnull=False, task_report__isnull=True)
                | Q(submission__isnull=True, task_report__isnull=False),
                name="evidence_has_one_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Progress(models.Model):
    """The roll-up's output: one row per indicator × region × year × quarter. Dashboards read only this.

    Derived rows only the roll-up writes, from the indicators, regions and plans it reads in the same
    statement: the database checks no foreign keys here (a national roll-up writes 1.5 million rows, and
    checking three keys on each took longer than computing them) and keeps no index of its own per key (the
    unique key leads with the indicator, `progress_plan_region_period` with the plan). Deleting an
    indicator, region or plan still removes its rows (Django's on_delete), and a full roll-up removes rows
    that no longer belong.
    """

    class Status(models.TextChoices):
        ACHIEVED = "achieved", "已完成"
        ON_TRACK = "on_track", "按序时推进"
        AT_RISK = "at_risk", "预警"
        BEHIND = "behind", "落后"
        NO_DATA = "no_data", "无数据"

    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="progress", db_constraint=False, db_index=False
    )
    region = models.ForeignKey(
        "plans.Region", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    actual = models.DecimalField("实际值", null=True, **FIGURE)
    target_min = models.DecimalField("目标下限", null=True, **FIGURE)
    target_max = models.DecimalField("目标上限", null=True, **FIGURE)
    completion = models.DecimalField("完成率（%）", null=True, **FIGURE)
    expected = models.DecimalField("序时进度值", null=True, **FIGURE)
    status = models.CharField("状态", max_length=16, choices=Status.choices)
    forecast = models.DecimalField("预计期末值", null=True, **FIGURE)
    needed_per_quarter = models.DecimalField("剩余每季度需完成", null=True, **FIGURE)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = "进度"
        verbose_name_plural = "进度"
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region", "year", "quarter"], name="progress_once"),
        ]
        indexes = [
            # What dashboards and the progress API read: the plan's own region at a quarter. Without the
            # region in the index a national plan's quarter scans every region's rows (127k instead of 40).
            # Every read names the region, so no (plan, year, quarter) index besides it: each index is paid
            # for on each of the 1.5 million rows a national roll-up writes.
            models.Index(fields=["plan", "region", "year", "quarter"], name="progress_plan_region_period"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.region} {self.year}Q{self.quarter}"


class Timeliness(models.Model):
    """The roll-up's view of one unit's reporting for one plan and quarter. The units heatmap, the bulletin
    and the 报送情况 sheet read this, never raw submissions."""

    class Status(models.TextChoices):
        ON_TIME = "on_time", "按时报送"
        LATE = "late", "逾期报送"
        MISSING = "missing", "未报送"
        RETURNED = "returned", "退回待修改"
        NOT_DUE = "not_due", "未到截止日"

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("plans.Unit", on_delete=models.CASCADE, related_name="timeliness")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="timeliness")
    # Items the unit owes for the quarter: assigned indicators plus tasks it is named on.
    expected = models.PositiveIntegerField("应报项数", default=0)
    submitted = models.PositiveIntegerField("已报项数", default=0)
    on_time = models.PositiveIntegerField("按时项数", default=0)
    late = models.PositiveIntegerField("逾期项数", default=0)
    returned = models.PositiveIntegerField("退回项数", default=0)
    approved = models.PositiveIntegerField("已审核项数", default=0)
    status = models.CharField("报送情况", max_length=16, choices=Status.choices)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = "报送及时性"
        verbose_name_plural = "报送及时性"
        constraints = [models.UniqueConstraint(fields=["plan", "unit", "period"], name="timeliness_once")]

    def __str__(self) -> str:
        return f"{self.unit} {self.period} {self.get_status_display()}"


class RollupRun(models.Model):
    class Kind(models.TextChoices):
        FULL = "full", "全量"
        INCREMENTAL = "incremental", "增量"

    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    plan = models.ForeignKey(
        "plans.Plan", verbose_name="方案", null=True, blank=True, on_delete=models.SET_NULL
    )
    scope = models.JSONField("范围", default=dict, blank=True)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    rows = models.PositiveIntegerField("写入行数", default=0)
    error = models.TextField("错误", blank=True)

    class Meta:
        verbose_name = "汇总运行记录"
        verbose_name_plural = "汇总运行记录"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"


class RollupPending(models.Model):
    """An indicator × year whose approved figures changed and whose roll-up has not run yet.

    Written in the transaction that approves, reopens or changes the figure, deleted by the run that
    recomputed it: if the broker is down when the change commits, the key waits here for the next run. Not
    unique on purpose: a run deletes exactly the rows it read, so a change committed meanwhile keeps its row.
    """

    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    # The unit whose reporting changed, when one did: the run then tallies only its timeliness. Without one
    # (a target changed), every unit's timeliness of the year is tallied again.
    unit = models.ForeignKey(
        "plans.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    queued_at = models.DateTimeField("加入时间", auto_now_add=True)

    class Meta:
        verbose_name = "待汇总"
        verbose_name_plural = "待汇总"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year}年"


class Reminder(models.Model):
    """One reminder email sent to a unit for a period: the log that keeps a reminder from going out twice."""

    class Kind(models.TextChoices):
        BEFORE = "before", "截止前提醒"
        DUE = "due", "截止日提醒"
        OVERDUE = "overdue", "逾期催报"

    unit = models.ForeignKey("plans.Unit", verbose_name="单位", on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(Period, verbose_name="填报期", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    sent_on = models.DateField("发送日期")
    recipients = models.TextField("收件人")
    owed = models.PositiveIntegerField("未报项数")
    sent_at = models.DateTimeField("发送时间", auto_now_add=True)

    class Meta:
        verbose_name = "催报记录"
        verbose_name_plural = "催报记录"
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "period", "kind", "sent_on"], name="reminder_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.period} {self.get_kind_display()}"
