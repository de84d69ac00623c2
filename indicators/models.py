"""The catalogue: indicators with their targets and baselines, the population per-capita figures divide by,
the office's reporting assignments, and the roll-up's queue of keys to recompute."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from indicators.measures import Key, measure_of
from indicators.measures import Measure as MeasureKind
from ipcity.figures import target_text
from plans.models import Region

FIGURE = {"max_digits": 20, "decimal_places": 4}
# The open question of an indicator nobody has read against its document yet (one created by hand).
DEFINITION_UNREAD = "口径尚未依据文件核定：请办公室确认统计什么、自何时起算、依据哪句原文。"


class Indicator(models.Model):
    # The kinds' keys and labels live with their rules, in the measure registry.
    Measure = Key

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

    class DefinitionState(models.TextChoices):
        PENDING = "pending", "待确认"
        CONFIRMED = "confirmed", "已确认"

    plan = models.ForeignKey(
        "plans.Plan", verbose_name="方案", on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.SlugField("代码", max_length=64)
    name = models.CharField("指标", max_length=128)
    unit = models.CharField("计量单位", max_length=16, blank=True)
    measure = models.CharField("统计方式", max_length=16, choices=Measure.choices)
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
    # The same idea across plans (e.g. high-value invention patents): shown side by side on the comparison.
    theme = models.SlugField("可比主题", max_length=64, blank=True)
    # The definition (口径): what is counted, from when, and the sentences it rests on. Level or flow is the
    # measure kind's. A reading the documents leave open stays 待确认, its question written out, until the
    # office confirms or changes it (`indicators.services.definition_change`).
    definition = models.TextField("口径", blank=True, help_text="统计什么（范围、对象），可附参考数")
    counts_from = models.CharField(
        "起算", max_length=200, blank=True, help_text="时点值写明时点；累计写明自何时起算"
    )
    definition_source = models.TextField("口径依据", blank=True, help_text="所依据的文件原文句子")
    definition_state = models.CharField(
        "口径状态", max_length=16, choices=DefinitionState.choices, default=DefinitionState.PENDING
    )
    definition_question = models.TextField("待确认问题", blank=True, default=DEFINITION_UNREAD)
    # Set once the office confirmed or changed the definition: reloading the fixtures then leaves the
    # definition, the measure kind and the baselines as the office left them.
    definition_by_office = models.BooleanField("口径经办公室确认", default=False)
    # Plans' indicators with the same key count the same thing and may be divided into each other (per
    # resident) on the comparison page; the office sets it.
    comparable_key = models.SlugField("可比口径", max_length=64, blank=True)

    history = HistoricalRecords(verbose_name="指标变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "指标"
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
            models.CheckConstraint(
                condition=~Q(definition_state="pending") | ~Q(definition_question=""),
                name="indicator_pending_definition_has_question",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def definition_pending(self) -> bool:
        return self.definition_state == self.DefinitionState.PENDING

    @property
    def kind(self) -> MeasureKind:
        """The rules of the indicator's measure kind (`indicators.measures`), for code and templates."""
        return measure_of(self)

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
        verbose_name = verbose_name_plural = "目标"
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
        """The target as the plan writes it, e.g. ≥88万件, 1—2场 or >6件/万人 (needs `indicator` loaded)."""
        indicator = self.indicator
        return target_text(self.comparator, self.min, self.max, indicator.kind.display_unit(indicator))


class Baseline(models.Model):
    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="baselines"
    )
    year = models.PositiveSmallIntegerField("年度")
    value = models.DecimalField("基期值", **FIGURE)
    source = models.TextField("来源（原文）")

    history = HistoricalRecords(verbose_name="基期值变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "基期值"
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
        verbose_name = verbose_name_plural = "填报分工"
        ordering = ["indicator", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "unit"], name="assignment_once"),
            models.UniqueConstraint(
                fields=["indicator"], condition=Q(is_lead=True), name="assignment_one_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} → {self.indicator}"


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
        verbose_name = verbose_name_plural = "待汇总"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year}年"


class Population(models.Model):
    """Resident population in 万人, the reference series for 每万人口 indicators."""

    region = models.ForeignKey(
        Region, verbose_name="地区", on_delete=models.PROTECT, related_name="populations"
    )
    year = models.PositiveSmallIntegerField("年度")
    value = models.DecimalField("常住人口（万人）", max_digits=12, decimal_places=4)
    source = models.TextField("来源", blank=True)
    is_demo = models.BooleanField("演示数据", default=False)

    history = HistoricalRecords(table_name="plans_historicalpopulation", verbose_name="人口数据变更记录")

    class Meta:
        db_table = "plans_population"  # the table kept its name when the model moved here
        verbose_name = verbose_name_plural = "人口数据"
        ordering = ["region", "year"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="population_one_per_region_year"),
            models.CheckConstraint(condition=Q(value__gt=0), name="population_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}年 {self.value}万人"
