"""The roll-up's tables: progress per indicator × region × quarter, each unit's timeliness, and the runs."""

from __future__ import annotations

from django.db import models

from indicators.models import FIGURE, Indicator
from ipcity.quarters import Quarter
from reporting.models import Period


class Progress(models.Model):
    """The roll-up's output: one row per indicator × region × year × quarter. Dashboards read only this.

    Derived rows only the roll-up writes, from the indicators, regions and plans it reads in the same
    statement: the database checks no foreign keys here (a national roll-up writes 1.5 million rows, and
    checking three keys on each took longer than computing them), no signs (the counts are plain integer
    columns: ten CHECKs cost 7% of writing a row) and keeps one index besides the primary key, the unique
    key (indicator, region, year, quarter): each index cost about a third of the time a first roll-up spends
    writing its rows. Reads name the plan's indicators (`indicator__plan`) with the region and the quarter,
    so that they probe that key once per indicator. Deleting an indicator, region or plan still removes its
    rows (Django's on_delete), and a full roll-up removes rows that no longer belong.
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
    year = models.SmallIntegerField("年度")
    quarter = models.SmallIntegerField("季度")
    actual = models.DecimalField("实际值", null=True, **FIGURE)
    target_min = models.DecimalField("目标下限", null=True, **FIGURE)
    target_max = models.DecimalField("目标上限", null=True, **FIGURE)
    completion = models.DecimalField("完成率（%）", null=True, **FIGURE)
    expected = models.DecimalField("序时进度值", null=True, **FIGURE)
    status = models.CharField("状态", max_length=16, choices=Status.choices)
    forecast = models.DecimalField("预计期末值", null=True, **FIGURE)
    needed_per_quarter = models.DecimalField("剩余每季度需完成", null=True, **FIGURE)
    # The forecast and the pace still needed stand on complete quarters only (progress/pace.py, `basis`):
    # how many quarters of the year they stand on ("按前2个季度推算"); null when there is neither.
    forecast_basis = models.SmallIntegerField("预计所依据的完整季度数", null=True, blank=True)
    # Coverage: what the quarter's figure stands on (PRODUCT.md, "Figures must say what they stand on"). Of
    # the units owing this indicator's figure in this region (reporting.selectors.owed_figures), how many are
    # approved, awaiting review, returned, and missing after the due date; the rest are not due yet.
    owed = models.IntegerField("应报单位数", default=0, db_default=0)
    approved = models.IntegerField("已审核单位数", default=0, db_default=0)
    awaiting_review = models.IntegerField("待审核单位数", default=0, db_default=0)
    returned = models.IntegerField("已退回单位数", default=0, db_default=0)
    missing = models.IntegerField("逾期未报送单位数", default=0, db_default=0)
    # The last quarter through which every owed figure of every quarter since the plan's start is approved.
    complete_year = models.SmallIntegerField("数据完整截至年度", null=True, blank=True)
    complete_quarter = models.SmallIntegerField("数据完整截至季度", null=True, blank=True)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        db_table = "indicators_progress"  # the table kept its name when the model moved here
        verbose_name = verbose_name_plural = "进度"
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region", "year", "quarter"], name="progress_once"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.region} {self.year}Q{self.quarter}"

    @property
    def coverage(self) -> dict[str, int]:
        return {
            "owed": self.owed,
            "approved": self.approved,
            "awaiting_review": self.awaiting_review,
            "returned": self.returned,
            "missing": self.missing,
        }

    @property
    def is_partial(self) -> bool:
        """Some owed figure of the quarter is not approved: the figure, its status and anything drawn from
        it are provisional (暂定)."""
        return self.approved < self.owed

    @property
    def complete_through(self) -> Quarter | None:
        if self.complete_year is None or self.complete_quarter is None:
            return None
        return Quarter(self.complete_year, self.complete_quarter)


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
        db_table = "indicators_timeliness"  # the table kept its name when the model moved here
        verbose_name = verbose_name_plural = "报送及时性"
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
        db_table = "indicators_rolluprun"  # the table kept its name when the model moved here
        verbose_name = verbose_name_plural = "汇总运行记录"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"
