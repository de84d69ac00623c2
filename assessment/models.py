"""目标考核: the weights the office sets per plan for ranking its units (the ranking itself is a read:
assessment/selectors.py)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

# The defaults README documents (目标考核): results weigh most, then timeliness, tasks, quality.
DEFAULT_WEIGHTS = {"results": 40, "tasks": 20, "timeliness": 25, "quality": 15}
PARTS = tuple(DEFAULT_WEIGHTS)


def _weight(label: str, part: str, meaning: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label,
        default=DEFAULT_WEIGHTS[part],
        validators=[MaxValueValidator(100)],
        help_text=f"0—100，默认{DEFAULT_WEIGHTS[part]}。{meaning}",
    )


class RankingWeights(models.Model):
    """How much each part of a unit's score counts in a plan's 目标考核 ranking. A plan without a row ranks
    with DEFAULT_WEIGHTS. The score is the weighted mean of the parts that apply to the unit, so the weights
    need not add up to 100."""

    plan = models.OneToOneField(
        "plans.Plan", verbose_name="方案", on_delete=models.CASCADE, related_name="ranking_weights"
    )
    results = _weight("指标成效", "results", "本单位已审核的指标数据对照序时进度的得分。")
    tasks = _weight("任务推进", "tasks", "本单位本期已审核的任务进展状态的得分。")
    timeliness = _weight("报送及时", "timeliness", "按时、逾期、未报送的应报项目。")
    quality = _weight("数据质量", "quality", "已报送项目中被办公室退回的比例。")
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    history = HistoricalRecords(verbose_name="考核权重变更记录")

    class Meta:
        verbose_name = verbose_name_plural = "考核权重"
        constraints = [
            models.CheckConstraint(
                condition=Q(results__lte=100, tasks__lte=100, timeliness__lte=100, quality__lte=100),
                name="ranking_weights_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(results__gt=0) | Q(tasks__gt=0) | Q(timeliness__gt=0) | Q(quality__gt=0),
                name="ranking_weights_not_all_zero",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} 考核权重"

    def as_dict(self) -> dict[str, int]:
        return {part: getattr(self, part) for part in PARTS}
