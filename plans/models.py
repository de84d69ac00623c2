"""Plans and what they are made of: regions, responsible units (责任单位), sections, tasks."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords


class Region(models.Model):
    class Level(models.TextChoices):
        # A national plan (and the benchmark's synthetic one) is rolled up to the whole country.
        COUNTRY = "country", "全国"
        PROVINCE = "province", "省"
        CITY = "city", "设区市"
        COUNTY = "county", "县（市、区）"
        ZONE = "zone", "开发区/园区"

    code = models.SlugField("代码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    history = HistoricalRecords(verbose_name="地区变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "地区"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="region_name_unique_in_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="region_top_name_unique"
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="region_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A responsible unit (责任单位) as named in a plan's 责任单位 line."""

    class Kind(models.TextChoices):
        GOV_DEPT = "gov_dept", "政府部门"
        PARTY_DEPT = "party_dept", "党委部门"
        COURT = "court", "法院"
        PROCURATORATE = "procuratorate", "检察院"
        CUSTOMS = "customs", "海关"
        LOCAL_GOV = "local_gov", "县（市、区）政府"
        FINANCIAL_REGULATOR = "financial_regulator", "金融监管机构"
        BANK = "bank", "银行"
        GROUP = "group", "单位组"
        OTHER = "other", "其他"

    region = models.ForeignKey(
        Region, verbose_name="所属地区", on_delete=models.PROTECT, related_name="units"
    )
    name = models.CharField("名称", max_length=64)
    kind = models.CharField("类别", max_length=24, choices=Kind.choices, default=Kind.GOV_DEPT)
    email = models.EmailField("联系邮箱", blank=True, help_text="催报提醒发往此邮箱")

    history = HistoricalRecords(verbose_name="单位变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "责任单位"
        ordering = ["region", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="unit_name_unique_in_region"),
        ]

    def __str__(self) -> str:
        return self.name


class Plan(models.Model):
    slug = models.SlugField("标识", max_length=64, unique=True)
    title = models.CharField("方案名称", max_length=200)
    short_title = models.CharField("简称", max_length=64)
    region = models.ForeignKey(
        Region, verbose_name="实施地区", on_delete=models.PROTECT, related_name="plans"
    )
    issuer = models.CharField("印发单位", max_length=100)
    issued_on = models.DateField("印发日期", null=True, blank=True)
    start_year = models.PositiveSmallIntegerField("起始年度")
    end_year = models.PositiveSmallIntegerField("终止年度")
    goals = models.TextField("主要目标（原文）", blank=True)
    source_document = models.CharField("来源文件", max_length=100, blank=True)
    # Status thresholds, in percentage points of the year's planned increment behind the expected pace.
    at_risk_from = models.DecimalField("滞后阈值：预警（百分点）", max_digits=5, decimal_places=2, default=10)
    behind_from = models.DecimalField("滞后阈值：落后（百分点）", max_digits=5, decimal_places=2, default=30)

    history = HistoricalRecords(verbose_name="方案变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "工作方案"
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=Q(end_year__gte=F("start_year")), name="plan_years_ordered"),
            models.CheckConstraint(
                condition=Q(at_risk_from__gt=0)
                & Q(behind_from__gt=F("at_risk_from"))
                & Q(behind_from__lte=100),
                name="plan_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def years(self) -> range:
        return range(self.start_year, self.end_year + 1)


class Section(models.Model):
    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="sections")
    number = models.PositiveSmallIntegerField("序号")
    title = models.CharField("标题", max_length=200)

    history = HistoricalRecords(verbose_name="板块变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "任务板块"
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="section_number_unique_in_plan"),
            models.CheckConstraint(condition=Q(number__gte=1), name="section_number_positive"),
        ]

    def __str__(self) -> str:
        return f"（{self.chinese_number}）{self.title}"

    @property
    def chinese_number(self) -> str:
        return "零一二三四五六七八九十"[self.number] if self.number <= 10 else str(self.number)


class Task(models.Model):
    section = models.ForeignKey(Section, verbose_name="板块", on_delete=models.CASCADE, related_name="tasks")
    # The number the document gives: Quanzhou numbers tasks within each section, Zhenjiang across the plan.
    number = models.PositiveSmallIntegerField("序号")
    title = models.CharField("任务", max_length=200)
    text = models.TextField("任务内容（原文）")
    responsible_text = models.TextField(
        "责任单位（原文）", blank=True, help_text="文件原文的责任单位表述；文件未列明时为空，由办公室指定"
    )
    units = models.ManyToManyField(Unit, through="TaskUnit", verbose_name="责任单位", related_name="tasks")

    history = HistoricalRecords(verbose_name="任务变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "重点任务"
        ordering = ["section__plan", "section__number", "number"]
        constraints = [
            models.UniqueConstraint(fields=["section", "number"], name="task_number_unique_in_section"),
            models.CheckConstraint(condition=Q(number__gte=1), name="task_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class TaskUnit(models.Model):
    """A unit named on a task, in document order: the first is the lead (牵头), the rest co-units (配合)."""

    class Role(models.TextChoices):
        LEAD = "lead", "牵头"
        CO = "co", "配合"

    task = models.ForeignKey(Task, verbose_name="任务", on_delete=models.CASCADE, related_name="task_units")
    unit = models.ForeignKey(
        Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="task_units"
    )
    role = models.CharField("分工", max_length=8, choices=Role.choices)
    position = models.PositiveSmallIntegerField("排序")

    history = HistoricalRecords(verbose_name="任务分工变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "任务责任单位"
        ordering = ["task", "position"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit"], name="task_unit_once"),
            models.UniqueConstraint(fields=["task", "position"], name="task_unit_position_unique"),
            models.CheckConstraint(
                condition=(Q(position=0) & Q(role="lead")) | (Q(position__gt=0) & Q(role="co")),
                name="task_unit_first_is_lead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit}（{self.get_role_display()}）"
