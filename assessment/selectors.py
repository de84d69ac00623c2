"""目标考核: a plan's units ranked for a quarter or a year by a score whose parts are all shown.

The rules (README 目标考核 says them in Chinese; tests/test_ranking.py computes a small world by hand):

- Scope. A quarter is ranked once its due date has passed; a year on its quarters already due. The results
  quarter is the quarter itself, or the year's latest due quarter; timeliness and quality add up every due
  quarter in scope.
- Results (指标成效): each figure the unit owes (`owed_figures`) at the results quarter. Only the unit's
  own approved figure is judged: it earns the points of the indicator's status at that quarter (the
  roll-up's `Progress` in the plan's region: 已完成 and 按序时推进 100, 预警 60, 落后 0). Where the
  indicator's figure is the unit's figure alone (the only unit owing it, or the lead unit of a
  仅取牵头单位数值 indicator) that status is the unit's own figure against the pace (`own`); where several
  units add up, it is the status of the figure the unit contributes to (`shared`). A figure past due and
  not sent counts 0 (`missing`). A figure the roll-up cannot judge (no target that year: 无数据), or a
  co-unit's of a lead-only indicator, is not counted (`unjudged`).
- Tasks (任务推进): each task the unit is named on, by its approved report of the results quarter: 已完成 and
  推进中 100, 未启动 50, 滞后 0; not sent past due 0.
- Timeliness (报送及时): the roll-up's `Timeliness` of the due quarters: (on time + ½ late) ÷ owed.
- Quality (数据质量): 1 − items the office returned (or reopened) at least once, as the audit trail keeps
  them, ÷ items sent.
- Score: the weighted mean of the parts that apply (a unit owing no figures has no results part), weights
  the office sets per plan (`RankingWeights`). One decimal, half up; equal scores share a rank (1, 2, 2, 4).
- A unit with any item of the results quarter awaiting review or returned is not ranked: its score would stand
  on figures nobody approved. It is listed after the ranked units as 待审核, with its parts so far.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from assessment.models import DEFAULT_WEIGHTS, PARTS, RankingWeights
from indicators.models import Indicator
from ipcity.quarters import Quarter
from plans.models import Plan
from progress.models import Progress, Timeliness
from reporting.models import Period, ReviewState, Submission, TaskReport
from reporting.selectors import owed_figures, owed_tasks

INDICATOR_POINTS = {
    Progress.Status.ACHIEVED: 100,
    Progress.Status.ON_TRACK: 100,
    Progress.Status.AT_RISK: 60,
    Progress.Status.BEHIND: 0,
}
TASK_POINTS = {
    TaskReport.Status.DONE: 100,
    TaskReport.Status.IN_PROGRESS: 100,
    TaskReport.Status.NOT_STARTED: 50,
    TaskReport.Status.LAGGING: 0,
}
LATE_CREDIT = Decimal("0.5")
PART_LABELS = {"results": "指标成效", "tasks": "任务推进", "timeliness": "报送及时", "quality": "数据质量"}
ONE_PLACE = Decimal("0.1")


def rounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def ranking_weights(plan: Plan) -> RankingWeights:
    """The plan's weights, or the defaults (unsaved) when the office never set them. One query."""
    return RankingWeights.objects.filter(plan=plan).first() or RankingWeights(plan=plan, **DEFAULT_WEIGHTS)


def weight_list(weights: RankingWeights) -> list[tuple[str, int]]:
    """Each part's Chinese name and weight, in the order pages show them."""
    return [(PART_LABELS[part], getattr(weights, part)) for part in PARTS]


@dataclass
class Items:
    """A unit's figures or task reports of the results quarter, as the results or tasks part counts them."""

    points: int = 0
    scored: int = 0  # approved and judged
    missing: int = 0  # past due, not sent: counted as 0
    pending: int = 0  # awaiting review or returned
    unjudged: int = 0  # approved, but nothing to judge it against
    own: int = 0  # scored on the unit's own figure against the pace
    shared: int = 0  # scored on the figure several units add up to

    @property
    def score(self) -> Decimal | None:
        counted = self.scored + self.missing
        return rounded(Decimal(self.points) / counted) if counted else None

    def add(self, points: int | None, *, own: bool = False) -> None:
        if points is None:
            self.unjudged += 1
            return
        self.points += points
        self.scored += 1
        if own:
            self.own += 1
        else:
            self.shared += 1


@dataclass
class Reporting:
    """A unit's items over the due quarters in scope: the timeliness and quality parts."""

    owed: int = 0
    on_time: int = 0
    late: int = 0
    sent: int = 0
    returned: int = 0  # items the office returned at least once

    @property
    def missing(self) -> int:
        return max(0, self.owed - self.sent)

    @property
    def timeliness(self) -> Decimal | None:
        if not self.owed:
            return None
        return rounded((self.on_time + LATE_CREDIT * self.late) * 100 / self.owed)

    @property
    def quality(self) -> Decimal | None:
        if not self.sent:
            return None
        return rounded(max(Decimal(0), (1 - Decimal(self.returned) / self.sent) * 100))


@dataclass
class UnitScore:
    unit_id: int
    unit: str
    results: Items = field(default_factory=Items)
    tasks: Items = field(default_factory=Items)
    reporting: Reporting = field(default_factory=Reporting)
    score: Decimal | None = None
    rank: int | None = None

    @property
    def pending(self) -> int:
        return self.results.pending + self.tasks.pending

    @property
    def parts(self) -> dict[str, Decimal | None]:
        return {
            "results": self.results.score,
            "tasks": self.tasks.score,
            "timeliness": self.reporting.timeliness,
            "quality": self.reporting.quality,
        }

    @property
    def state(self) -> str:
        return "ranked" if self.rank is not None else "pending"

    @property
    def state_label(self) -> str:
        if self.rank is not None:
            return "已排名"
        if self.pending:
            return f"{self.pending}项待审核或已退回，暂不排名"
        return "无计权的可计分项，不排名"


@dataclass
class Ranking:
    plan: Plan
    year: int
    quarter: int | None  # None: the whole year
    weights: RankingWeights
    at: Quarter | None  # the results quarter; None when nothing in scope is due yet
    quarters: list[Quarter]  # the due quarters timeliness and quality add up
    units: list[UnitScore]  # ranked best first, then the unranked by name

    @property
    def label(self) -> str:
        return f"{self.year}年{Quarter(self.year, self.quarter).name}" if self.quarter else f"{self.year}年度"

    @property
    def ranked(self) -> list[UnitScore]:
        return [unit for unit in self.units if unit.rank is not None]

    @property
    def unranked(self) -> list[UnitScore]:
        return [unit for unit in self.units if unit.rank is None]

    @property
    def basis(self) -> str:
        """What the ranking stands on, in one sentence for pages and the Excel sheet."""
        if self.at is None:
            return f"{self.label}尚未到报送截止日，暂不排名。"
        through = "、".join(quarter.name for quarter in self.quarters)
        said = f"指标成效与任务推进按{self.at}已审核数据；报送及时与数据质量按{self.year}年{through}"
        if self.unranked:
            said += f"；{len(self.unranked)}个单位尚有数据待审核或已退回，暂不排名"
        return said + "。"


def competition_rank(rows: list, value) -> None:
    """Give each row (already sorted best first) a rank in `rows[i].rank`: 1, 2, 2, 4 — rows with the same
    `value(row)` share a rank."""
    previous, previous_rank = object(), 0
    for position, row in enumerate(rows, start=1):
        if value(row) != previous:
            previous, previous_rank = value(row), position
        row.rank = previous_rank


def _scope(year: int, quarter: int | None, today: datetime.date) -> list[Period]:
    periods = Period.objects.filter(year=year, due_on__lt=today).order_by("quarter")
    if quarter is not None:
        periods = periods.filter(quarter=quarter)
    return list(periods)


def ranking(
    plan: Plan, year: int, quarter: int | None = None, *, today: datetime.date | None = None
) -> Ranking:
    """The plan's units that owe anything in `year`, scored and ranked for the quarter (or, without one, the
    year) by the rules of this module's docstring. Ten queries however many units and indicators."""
    today = today or timezone.localdate()
    weights = ranking_weights(plan)
    periods = _scope(year, quarter, today)
    if not periods:
        return Ranking(plan, year, quarter, weights, None, [], [])
    at = periods[-1]
    figures = list(
        owed_figures(year=year, plan=plan).values_list(
            "unit_id", "unit__name", "indicator_id", "indicator__combine", "is_lead"
        )
    )
    tasks = list(owed_tasks(year=year, plan=plan).values_list("unit_id", "unit__name", "task_id"))
    units = {unit_id: UnitScore(unit_id, name) for unit_id, name, *_ in [*figures, *tasks]}
    _results(units, figures, plan, at)
    _tasks(units, tasks, plan, at)
    _reporting(units, plan, periods)
    _score(units.values(), weights.as_dict())
    ranked = sorted(
        (unit for unit in units.values() if unit.score is not None), key=lambda u: (-u.score, u.unit)
    )
    competition_rank(ranked, lambda unit: unit.score)
    rest = sorted((unit for unit in units.values() if unit.score is None), key=lambda unit: unit.unit)
    for unit in rest:
        unit.rank = None
    quarters = [period.at for period in periods]
    return Ranking(plan, year, quarter, weights, at.at, quarters, [*ranked, *rest])


def _results(units: dict[int, UnitScore], figures: list[tuple], plan: Plan, at: Period) -> None:
    states = {
        (unit_id, indicator_id): state
        for unit_id, indicator_id, state in Submission.objects.filter(
            period=at, indicator__plan=plan
        ).values_list("unit_id", "indicator_id", "state")
    }
    statuses = dict(
        Progress.objects.filter(
            plan=plan, indicator__plan=plan, region_id=plan.region_id, year=at.year, quarter=at.quarter
        ).values_list("indicator_id", "status")
    )
    owing = Counter(indicator_id for _, _, indicator_id, _, _ in figures)
    for unit_id, _, indicator_id, combine, is_lead in figures:
        items = units[unit_id].results
        state = states.get((unit_id, indicator_id), ReviewState.DRAFT)
        if state in (ReviewState.SUBMITTED, ReviewState.RETURNED):
            items.pending += 1
        elif state == ReviewState.DRAFT:
            items.missing += 1
        elif combine == Indicator.Combine.LEAD and not is_lead:
            items.add(None)  # its figure is not the one that counts
        else:
            own = owing[indicator_id] == 1 or combine == Indicator.Combine.LEAD
            items.add(INDICATOR_POINTS.get(statuses.get(indicator_id)), own=own)


def _tasks(units: dict[int, UnitScore], tasks: list[tuple], plan: Plan, at: Period) -> None:
    reports = {
        (unit_id, task_id): (state, status)
        for unit_id, task_id, state, status in TaskReport.objects.filter(
            period=at, task__section__plan=plan
        ).values_list("unit_id", "task_id", "state", "status")
    }
    for unit_id, _, task_id in tasks:
        items = units[unit_id].tasks
        state, status = reports.get((unit_id, task_id), (ReviewState.DRAFT, None))
        if state in (ReviewState.SUBMITTED, ReviewState.RETURNED):
            items.pending += 1
        elif state == ReviewState.DRAFT:
            items.missing += 1
        else:
            items.add(TASK_POINTS[status], own=True)


def _reporting(units: dict[int, UnitScore], plan: Plan, periods: list[Period]) -> None:
    tallies = (
        Timeliness.objects.filter(plan=plan, period__in=periods, unit_id__in=units)
        .values("unit_id")
        .annotate(owed=Sum("expected"), on_time=Sum("on_time"), late=Sum("late"), sent=Sum("submitted"))
    )
    for row in tallies:
        reporting = units[row["unit_id"]].reporting
        reporting.owed, reporting.on_time = row["owed"], row["on_time"]
        reporting.late, reporting.sent = row["late"], row["sent"]
    returned: Counter[int] = Counter()
    returns = {"period__in": periods, "state": ReviewState.RETURNED}
    for history, plan_lookup in (
        (Submission.history, "indicator__plan"),
        (TaskReport.history, "task__section__plan"),
    ):
        rows = history.filter(**returns, **{plan_lookup: plan}).values("unit_id")
        for unit_id, count in rows.annotate(n=Count("id", distinct=True)).values_list("unit_id", "n"):
            returned[unit_id] += count
    for unit_id, count in returned.items():
        if unit_id in units:
            units[unit_id].reporting.returned = count


def _score(units, weights: dict[str, int]) -> None:
    for unit in units:
        if unit.pending:
            continue
        parts = unit.parts
        applying = [part for part in PARTS if parts[part] is not None]
        total = sum(weights[part] for part in applying)
        if total:
            unit.score = rounded(sum(weights[part] * parts[part] for part in applying) / total)


@dataclass
class PartRow:
    part: str
    label: str
    weight: int
    score: Decimal | None
    basis: str


def part_rows(ranking_: Ranking, unit: UnitScore) -> list[PartRow]:
    """Each part of a unit's score as pages, the API and the Excel sheet show it: its weight, its score and
    what it stands on."""
    weights = ranking_.weights.as_dict()
    results, tasks, reporting = unit.results, unit.tasks, unit.reporting
    said = {
        "results": _items_text(results, "项指标")
        + (f"（本单位数据{results.own}项，多单位合计{results.shared}项）" if results.scored else ""),
        "tasks": _items_text(tasks, "项任务"),
        "timeliness": f"应报{reporting.owed}项：按时{reporting.on_time}，逾期{reporting.late}，"
        f"未报送{reporting.missing}",
        "quality": f"已报送{reporting.sent}项，被退回{reporting.returned}项",
    }
    return [PartRow(part, PART_LABELS[part], weights[part], unit.parts[part], said[part]) for part in PARTS]


def _items_text(items: Items, what: str) -> str:
    if not (items.scored or items.missing or items.pending or items.unjudged):
        return f"本期无应报{what.removeprefix('项')}"
    said = [f"已审核计分{items.scored}{what}"]
    said += [f"{label}{n}项" for label, n in (("未报送", items.missing), ("待审核或已退回", items.pending),
                                             ("无目标不计", items.unjudged)) if n]  # fmt: skip
    return "，".join(said)
