"""One quarter of Quanzhou as the roll-up would leave it, for the report, bulletin and export-job tests:
every indicator status, praised and named units, approved and pending task reports, hostile notes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from indicators.models import Indicator
from plans.models import Plan, Task, Unit
from progress.models import Progress, Timeliness
from reporting.models import ReviewState, TaskReport
from tests import factories

YEAR, QUARTER = 2025, 3
STATUSES = ["achieved", "on_track", "at_risk", "behind", "no_data"]
FORMULA_NOTE = "=1+1"
PLUS_PROGRESS = "+完成年度任务的七成"


@dataclass
class Scenario:
    plan: Plan
    year: int
    quarter: int
    indicators: list[Indicator]
    progress: list[Progress]
    first_task: Task
    second_task: Task
    units: dict[str, Unit]


def _unit(name: str, plan: Plan) -> Unit:
    return Unit.objects.get(name=name, region=plan.region)


def build(plan: Plan) -> Scenario:
    period = factories.PeriodFactory(year=YEAR, quarter=QUARTER)
    factories.PeriodFactory(year=YEAR, quarter=QUARTER + 1)
    # Every reading confirmed: the notes column then holds the units' notes alone (the 待确认 mark that opens
    # it otherwise is tests/test_definitions.py's).
    plan.indicators.update(definition_state=Indicator.DefinitionState.CONFIRMED)
    indicators = list(plan.indicators.order_by("position"))
    progress = []
    for index, indicator in enumerate(indicators):
        status = STATUSES[index % len(STATUSES)]
        if status == "no_data":
            row = factories.ProgressFactory(
                indicator=indicator,
                year=YEAR,
                quarter=QUARTER,
                status=status,
                actual=None,
                target_min=None,
                completion=None,
                expected=None,
                forecast=None,
            )
        else:
            row = factories.ProgressFactory(
                indicator=indicator,
                year=YEAR,
                quarter=QUARTER,
                status=status,
                actual=Decimal("12.3456") + index,
                target_min=Decimal("20") + index,
                completion=Decimal("61.7280") + index,
                expected=Decimal("15.5") + index,
                forecast=Decimal("21.25") + index,
            )
        progress.append(row)
    names = ["市知识产权局", "市科技局", "市工信局", "市教育局", "市发改委"]
    units = {name: _unit(name, plan) for name in names}
    ipo, tech, industry = units["市知识产权局"], units["市科技局"], units["市工信局"]
    # 市知识产权局 leads the achieved and on-track indicators, 市工信局 the one at risk,
    # 市科技局 the one behind.
    factories.AssignmentFactory(indicator=indicators[0], unit=ipo, is_lead=True)
    factories.AssignmentFactory(indicator=indicators[1], unit=ipo, is_lead=True)
    factories.AssignmentFactory(indicator=indicators[2], unit=industry, is_lead=True)
    factories.AssignmentFactory(indicator=indicators[3], unit=tech, is_lead=True)
    factories.AssignmentFactory(indicator=indicators[3], unit=ipo)
    sent = timezone.make_aware(datetime.datetime(YEAR, 10, 8, 9, 30))
    factories.SubmissionFactory(
        indicator=indicators[0],
        unit=ipo,
        period=period,
        state=ReviewState.APPROVED,
        submitted_at=sent,
        note=FORMULA_NOTE,
    )
    factories.SubmissionFactory(
        indicator=indicators[3],
        unit=tech,
        period=period,
        state=ReviewState.APPROVED,
        submitted_at=sent,
        note="@备注：数据来自统计年报",
    )
    factories.SubmissionFactory(
        indicator=indicators[3],
        unit=ipo,
        period=period,
        state=ReviewState.SUBMITTED,
        submitted_at=sent,
        note="待审核的说明不进报表",
    )
    timeliness = [
        (ipo, Timeliness.Status.ON_TIME, {}),
        (tech, Timeliness.Status.ON_TIME, {}),
        (industry, Timeliness.Status.LATE, {"expected": 5}),
        (units["市教育局"], Timeliness.Status.MISSING, {"expected": 3, "submitted": 1, "on_time": 1}),
        (units["市发改委"], Timeliness.Status.ON_TIME, {"expected": 2}),
    ]
    for unit, status, counts in timeliness:
        factories.TimelinessFactory(plan=plan, unit=unit, period=period, status=status, **counts)
    tasks = list(Task.objects.filter(section__plan=plan).order_by("section__number", "number")[:2])
    first, second = tasks
    factories.TaskReportFactory(
        task=first,
        unit=ipo,
        period=period,
        state=ReviewState.APPROVED,
        submitted_at=sent,
        status=TaskReport.Status.LAGGING,
        progress=PLUS_PROGRESS,
        problems="-审批流程较长",
        next_steps="加快推进",
    )
    factories.TaskReportFactory(
        task=first,
        unit=tech,
        period=period,
        state=ReviewState.APPROVED,
        submitted_at=sent,
        progress="配合开展调研",
        problems="",
        next_steps="",
    )
    factories.TaskReportFactory(
        task=second, unit=industry, period=period, state=ReviewState.SUBMITTED, submitted_at=sent
    )
    return Scenario(
        plan=plan,
        year=YEAR,
        quarter=QUARTER,
        indicators=indicators,
        progress=progress,
        first_task=first,
        second_task=second,
        units=units,
    )
