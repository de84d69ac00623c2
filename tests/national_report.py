"""A national plan at the scale the Excel exports must hold (PRODUCT.md, issue 8), for the export speed and
memory tests: one plan whose region is the whole country; provinces → cities → one county-level unit per
county; 40 indicators of every measure kind (one computed from another) with a target of every comparator for
each of the plan's 3 years; every county unit assigned every reported indicator; a quarter's Timeliness row
per unit; the plan's Progress rows with every status (so the bulletin names units); approved notes; 18 tasks
named on central units (as a national plan names ministries; counties are a unit group) with their reports.

Written with bulk_create rather than factories: `build(units=5000)` takes seconds, not minutes. Only the
rows the report and the bulletin read are made (one quarter's submissions, not twelve): the timed part of the
tests is the export, and what it reads grows with the units exactly as the national data does."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from indicators.models import Assignment, Baseline, Indicator, Target
from plans.models import Plan, Region, Section, Task, TaskUnit, Unit
from progress.models import Progress, Timeliness
from reporting.models import Period, ReviewState, Submission, TaskReport
from tests import factories

YEAR, QUARTER = 2025, 3
INDICATORS = 40
MEASURES = ["stock", "flow", "cumulative", "ratio", "per_capita", "milestone"]
CATEGORIES = [value for value, _ in Indicator.Category.choices]
COMPARATORS = ["gte", "gt", "between", "lte", "growth"]
STATUSES = [value for value, _ in Progress.Status.choices]
TIMELINESS = ["on_time", "on_time", "on_time", "late", "missing", "returned", "on_time", "not_due"]
CENTRAL = ["国家知识产权局", "科学技术部", "工业和信息化部", "商务部", "市场监管总局", "最高人民法院"]
SECTIONS = 5
TASKS = 18
BATCH = 5000


@dataclass
class NationalPlan:
    plan: Plan
    year: int
    quarter: int
    units: int  # county units


def _regions(units: int) -> tuple[Region, list[Region]]:
    """The country, 31 provinces (fewer for a small case), ~8 counties per city, `units` counties."""
    tag = Region.objects.count()
    country = Region.objects.create(code=f"cn-{tag}", name=f"全国{tag}", level=Region.Level.PROVINCE)
    cities = max(1, units // 8)
    provinces = _level(min(31, cities), [country], "p", "省", Region.Level.PROVINCE, tag)
    cities = _level(cities, provinces, "c", "市", Region.Level.CITY, tag)
    return country, _level(units, cities, "k", "县", Region.Level.COUNTY, tag)


def _level(count: int, parents: list[Region], prefix: str, suffix: str, level: str, tag: int) -> list[Region]:
    return Region.objects.bulk_create(
        (
            Region(
                code=f"{prefix}-{tag}-{n}",
                name=f"第{n + 1}{suffix}",
                level=level,
                parent=parents[n % len(parents)],
            )
            for n in range(count)
        ),
        batch_size=BATCH,
    )


def period(year: int, quarter: int) -> Period:
    return Period.objects.get(year=year, quarter=quarter)


def _indicators(plan: Plan) -> list[Indicator]:
    indicators = []
    for n in range(INDICATORS):
        measure = MEASURES[n % len(MEASURES)]
        indicators.append(
            Indicator(
                plan=plan,
                code=f"n{n}",
                name=f"全国知识产权指标第{n + 1}项（{measure}）",
                unit="%" if measure == "ratio" else "件",
                measure=measure,
                category=CATEGORIES[n % len(CATEGORIES)],
                decimals=2 if measure in ("ratio", "per_capita") else 0,
                position=n,
                numerator_label="结案数" if measure == "ratio" else "",
                denominator_label="受理数" if measure == "ratio" else "",
                # Synthetic readings, taken as confirmed: the notes hold the units' notes alone.
                definition_state=Indicator.DefinitionState.CONFIRMED,
            )
        )
    indicators = Indicator.objects.bulk_create(indicators)
    # The last indicator is computed from the first (a stock): nobody reports it.
    computed = indicators[-1]
    computed.measure, computed.computed_from = "per_capita", indicators[0]
    computed.save(update_fields=["measure", "computed_from"])
    targets, baselines = [], []
    for n, indicator in enumerate(indicators):
        if indicator.measure != "milestone":
            baselines.append(
                Baseline(indicator=indicator, year=2023, value=Decimal(100 + n), source="统计年报")
            )
        for year in plan.years:
            comparator = "done" if indicator.measure == "milestone" else COMPARATORS[(n + year) % 5]
            low = Decimal(110 + n + 10 * (year - 2024))
            bounds = {
                "gte": (low, None),
                "gt": (low, None),
                "between": (low, low + 5),
                "lte": (None, low),
                "growth": (None, None),
                "done": (None, None),
            }[comparator]
            origin = [Target.Origin.DOCUMENT, Target.Origin.DERIVED, Target.Origin.OFFICE][(n + year) % 3]
            targets.append(
                Target(
                    indicator=indicator,
                    year=year,
                    comparator=comparator,
                    min=bounds[0],
                    max=bounds[1],
                    origin=origin,
                    source=f"{year}年目标依据",
                )
            )
    Target.objects.bulk_create(targets)
    Baseline.objects.bulk_create(baselines)
    return indicators


def build(units: int) -> NationalPlan:
    country, counties = _regions(units)
    plan = factories.PlanFactory(
        region=country,
        title="全国知识产权强国建设示范工作方案（2024—2026年）",
        short_title="全国示范工作方案",
    )
    central = Unit.objects.bulk_create(Unit(region=country, name=name) for name in CENTRAL)
    county_units = Unit.objects.bulk_create(
        (Unit(region=county, name=f"{county.name}市场监督管理局（知识产权局）") for county in counties),
        batch_size=BATCH,
    )
    indicators = _indicators(plan)
    reported = indicators[:-1]
    Assignment.objects.bulk_create(
        (
            Assignment(indicator=indicator, unit=unit, is_lead=index == 0)
            for indicator in reported
            for index, unit in enumerate(county_units)
        ),
        batch_size=BATCH,
    )
    periods = {
        (year, quarter): factories.PeriodFactory(year=year, quarter=quarter)
        for year in plan.years
        for quarter in range(1, 5)
    }
    period = periods[YEAR, QUARTER]
    now = timezone.now()
    Progress.objects.bulk_create(
        Progress(
            plan=plan,
            indicator=indicator,
            region=country,
            year=YEAR,
            quarter=QUARTER,
            status=STATUSES[n % len(STATUSES)],
            actual=None if STATUSES[n % len(STATUSES)] == "no_data" else Decimal("123.4567") + n,
            target_min=Decimal(130 + n),
            completion=Decimal("87.1234"),
            expected=Decimal("120.5") + n,
            forecast=Decimal("140.25") + n,
            computed_at=now,
        )
        for n, indicator in enumerate(indicators)
    )
    sent = timezone.make_aware(datetime.datetime(YEAR, 10, 8, 9, 30))
    # One approved figure in ten carries a note, some of them starting like a formula.
    Submission.objects.bulk_create(
        (
            Submission(
                indicator=indicator,
                unit=unit,
                period=period,
                state=ReviewState.APPROVED,
                submitted_at=sent,
                value=Decimal(10 + i),
                note=("=" if (i + n) % 30 == 0 else "") + f"{unit.name}：数据来自统计年报，已核对。",
            )
            for n, indicator in enumerate(reported)
            for i, unit in enumerate(county_units)
            if (i + n) % 10 == 0
        ),
        batch_size=BATCH,
    )
    Timeliness.objects.bulk_create(
        (
            Timeliness(
                plan=plan,
                unit=unit,
                period=period,
                expected=len(reported) + 1,
                submitted=len(reported) + 1 - (i % 3),
                on_time=len(reported) - (i % 5),
                late=i % 5,
                returned=i % 2,
                approved=len(reported) - 1,
                status=TIMELINESS[i % len(TIMELINESS)],
                computed_at=now,
            )
            for i, unit in enumerate([*central, *county_units])
        ),
        batch_size=BATCH,
    )
    sections = Section.objects.bulk_create(
        Section(plan=plan, number=n + 1, title=f"{'一二三四五'[n]}、第{n + 1}部分重点任务")
        for n in range(SECTIONS)
    )
    tasks = Task.objects.bulk_create(
        Task(
            section=sections[n % SECTIONS],
            number=n // SECTIONS + 1,
            title=f"重点任务{n + 1}：加强知识产权创造保护运用",
            text="任务内容。",
        )
        for n in range(TASKS)
    )
    task_units = [
        TaskUnit(task=task, unit=central[(n + k) % len(central)], position=k, role="lead" if k == 0 else "co")
        for n, task in enumerate(tasks)
        for k in range(3)
    ]
    TaskUnit.objects.bulk_create(task_units)
    statuses = [value for value, _ in TaskReport.Status.choices]
    TaskReport.objects.bulk_create(
        (
            TaskReport(
                task=task_unit.task,
                unit=task_unit.unit,
                period=period,
                state=ReviewState.APPROVED if i % 7 else ReviewState.SUBMITTED,
                submitted_at=sent,
                status=statuses[i % len(statuses)],
                progress=f"+本季度完成任务进度的{i % 100}%，组织培训{i % 9}场。",
                problems="" if i % 4 else "-经费不足",
                next_steps="继续推进。",
            )
            for i, task_unit in enumerate(task_units)
        ),
        batch_size=BATCH,
    )
    return NationalPlan(plan=plan, year=YEAR, quarter=QUARTER, units=units)
