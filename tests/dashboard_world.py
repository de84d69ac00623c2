"""A small dashboard world built with factories, and a way to grow it, for the pages' tests."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from indicators.models import Indicator
from plans.models import Plan, Task, Unit
from progress.models import Progress, Timeliness
from reporting.models import ReviewState, TaskReport
from tests import factories
from tests.page import parse

STATUSES = list(Progress.Status.values)


@dataclass
class World:
    plan: Plan
    unit_a: Unit
    unit_b: Unit
    indicators: dict[str, Indicator]
    periods: list
    other_units: list[Unit] = field(default_factory=list)

    @classmethod
    def build(cls, plan: Plan, unit_a: Unit, unit_b: Unit) -> World:
        periods = [factories.PeriodFactory(year=2024, quarter=quarter) for quarter in (1, 2, 3, 4)]
        indicators = {indicator.code: indicator for indicator in plan.indicators.all()}
        world = cls(plan, unit_a, unit_b, indicators, periods)
        for position, indicator in enumerate(indicators.values()):
            for period in periods:
                numeric = indicator.measure != Indicator.Measure.MILESTONE
                factories.ProgressFactory(
                    indicator=indicator,
                    year=2024,
                    quarter=period.quarter,
                    actual=Decimal("70.1234") + period.quarter + position if numeric else None,
                    target_min=Decimal("78.51") if numeric else None,
                    expected=Decimal("72.5") + period.quarter if numeric else None,
                    forecast=Decimal("86.25") if numeric else None,
                    needed_per_quarter=Decimal("1.6667") if numeric else None,
                    status=STATUSES[(position + period.quarter) % len(STATUSES)],
                )
        factories.AssignmentFactory(indicator=indicators["trademarks"], unit=unit_a, is_lead=True)
        factories.AssignmentFactory(indicator=indicators["copyright-registrations"], unit=unit_b)
        for period in periods:
            factories.SubmissionFactory(
                indicator=indicators["trademarks"],
                unit=unit_a,
                period=period,
                value=Decimal("65.5") + period.quarter,
                state=ReviewState.APPROVED,
                submitted_at=sent_at(period),
            )
        for unit in (unit_a, unit_b):
            for period in periods:
                factories.TimelinessFactory(plan=plan, unit=unit, period=period, status="on_time")
        task = world.task
        factories.TaskReportFactory(
            task=task,
            unit=unit_a,
            period=periods[-1],
            status=TaskReport.Status.LAGGING,
            progress="市知识产权局第四季度进展",
            problems="审批进度滞后",
            state=ReviewState.APPROVED,
            submitted_at=sent_at(periods[-1]),
        )
        factories.TaskReportFactory(
            task=task,
            unit=unit_b,
            period=periods[0],
            status=TaskReport.Status.IN_PROGRESS,
            progress="市科技局第一季度进展",
            state=ReviewState.APPROVED,
            submitted_at=sent_at(periods[0]),
        )
        return world

    @property
    def task(self) -> Task:
        """Task (一)1 树导向: 市知识产权局 leads, 市科技局 co-operates."""
        return Task.objects.get(section__plan=self.plan, section__number=1, number=1)

    def grow(self, units: int = 3) -> None:
        """More units reporting trademarks and on the task, every quarter, with timeliness rows: pages must
        not run more queries for them."""
        for _ in range(units):
            unit = factories.UnitFactory(region=self.plan.region)
            self.other_units.append(unit)
            factories.AssignmentFactory(indicator=self.indicators["trademarks"], unit=unit)
            factories.TaskUnitFactory(task=self.task, unit=unit, position=10 + len(self.other_units))
            for period in self.periods:
                factories.SubmissionFactory(
                    indicator=self.indicators["trademarks"],
                    unit=unit,
                    period=period,
                    value=Decimal("1.25"),
                    state=ReviewState.SUBMITTED,
                    submitted_at=sent_at(period),
                )
                factories.TaskReportFactory(
                    task=self.task,
                    unit=unit,
                    period=period,
                    status=TaskReport.Status.IN_PROGRESS,
                    state=ReviewState.APPROVED,
                    submitted_at=sent_at(period),
                )
                factories.TimelinessFactory(
                    plan=self.plan, unit=unit, period=period, status=Timeliness.Status.LATE
                )


def sent_at(period):
    return timezone.make_aware(datetime.datetime.combine(period.due_on, datetime.time(9)))


def marked(html: str, attribute: str) -> dict[str, dict[str, str]]:
    """The attributes of every element carrying `attribute` (e.g. data-indicator), keyed by its value."""
    return {element.attrs[attribute]: element.attrs for element in parse(html).find_all(**{attribute: True})}


def chart_json(html: str, dom_id: str) -> dict:
    """The Plotly figure a page carries for the chart `dom_id`."""
    script = parse(html).find("script", id=f"{dom_id}-data", type="application/json")
    return json.loads("".join(script.children))
