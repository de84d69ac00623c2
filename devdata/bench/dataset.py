"""The synthetic national dataset `manage.py bench` measures against.

One plan whose region is the whole country: provinces → cities → county-level regions, one reporting unit per
county, indicators of every measure kind (two of them computed from another indicator's figures) with targets
of every comparator for each year, population for every region and year, every county unit assigned every
reported indicator, and four quarters a year of approved submissions. The large tables are filled with
PostgreSQL COPY (psycopg 3 `cursor.copy`), the small ones with `bulk_create`.

A second, small plan of the same shape (1/128 of the counties, ≈10,000 submissions at full size) lets the
pages be timed at two sizes in one run; a third plan gives one unit 10,000 indicators for the Excel import.
Every value comes from seeded random generators: the same shape always gives the same rows.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.utils import timezone
from psycopg import sql

from accounts.models import User
from indicators.models import Assignment, Baseline, Indicator, Population, Target
from plans.models import Plan, Region, Section, Task, TaskUnit, Unit
from reporting.models import Period, ReviewState, Submission, TaskReport
from reporting.services.calendar import periods_ensure

FULL = {"provinces": 31, "cities": 340, "counties": 2800}
INDICATORS = 40
START_YEAR = 2024
YEARS = 3
SMALL_DIVISOR = 128  # the small plan has this many times fewer counties: ≈10,000 submissions at full size
IMPORT_ROWS = 10_000
PENDING = 8  # submissions left awaiting review, one approved before each incremental roll-up measured
SEED = 20240101
# Measures of the reported indicators, in turn; the last two indicators are computed from the first flow
# (its running sum, as a plan states a yearly figure again over the whole period) and the first stock (per
# 10,000 residents).
CYCLE = ["stock", "flow", "cumulative", "ratio", "per_capita", "milestone"]
COMPARATORS = {  # one per year, in turn, so that every comparator occurs
    "stock": ["gte", "gt", "between"],
    "flow": ["gte", "growth", "between"],
    "cumulative": ["gte", "gte", "gt"],
    "ratio": ["gte", "between", "lte"],
    "per_capita": ["gt", "gte", "gte"],
    "milestone": ["done", "done", "done"],
}
MEASURE_NAMES = {
    "stock": ("有效注册量", "件"),
    "flow": ("当年新增量", "件"),
    "cumulative": ("实施期内累计新增", "件"),
    "ratio": ("按期办结率", "%"),
    "per_capita": ("每万人口拥有量", "件"),
    "milestone": ("体系建设完成情况", ""),
}
SOURCE = "基准测试合成数据（manage.py bench），非真实数据"
NOTE_EVERY = 97  # about one submission in a hundred carries a note, as real reports do
LATE_EVERY = 23


@dataclass(frozen=True)
class Shape:
    """The size of one synthetic plan."""

    provinces: int
    cities: int
    counties: int
    indicators: int = INDICATORS
    years: int = YEARS

    @classmethod
    def scaled(cls, scale: float, *, indicators: int = INDICATORS, years: int = YEARS) -> Shape:
        """The national shape with every region level multiplied by `scale` (at least one of each)."""
        provinces, cities, counties = (max(1, round(FULL[level] * scale)) for level in FULL)
        cities = max(cities, provinces)
        return cls(provinces, cities, max(counties, cities), indicators, years)

    def smaller(self, divisor: int = SMALL_DIVISOR) -> Shape:
        counties = max(1, round(self.counties / divisor))
        cities = max(1, min(counties, round(self.cities / divisor)))
        return Shape(1, cities, counties, self.indicators, self.years)

    @property
    def measures(self) -> list[str]:
        """Each indicator's measure: the reported ones in turn, then the two computed ones."""
        return [CYCLE[index % len(CYCLE)] for index in range(self.reported)] + ["cumulative", "per_capita"]

    @property
    def reported(self) -> int:
        return self.indicators - 2

    @property
    def regions(self) -> int:
        return 1 + self.provinces + self.cities + self.counties

    @property
    def submissions(self) -> int:
        return self.counties * self.reported * self.years * 4

    @property
    def progress_rows(self) -> int:
        return self.regions * self.indicators * self.years * 4

    def check(self) -> None:
        if self.indicators < len(CYCLE) + 2:
            raise ValueError(f"指标数至少为{len(CYCLE) + 2}（每种统计口径一个，另加两个取数指标）。")
        if self.years < 1:
            raise ValueError("年数至少为1。")


@dataclass(frozen=True)
class Dataset:
    """What the benchmark database holds, stored in it so that `--keep` can tell whether it may be reused."""

    full: Shape
    small: Shape
    import_rows: int

    def as_dict(self) -> dict[str, Any]:
        return {"full": asdict(self.full), "small": asdict(self.small), "import_rows": self.import_rows}


@dataclass
class World:
    """The rows the measurements need, found again in a kept database by their slugs and usernames."""

    full: Plan
    small: Plan
    imports: Plan
    import_unit: Unit
    leader: User
    office: User
    pending: list[int]  # submissions awaiting review in the full plan's last quarter

    @property
    def last_quarter(self) -> tuple[int, int]:
        return self.full.end_year, 4


FULL_SLUG, SMALL_SLUG, IMPORT_SLUG = "bench-national", "bench-national-small", "bench-import"
LEADER, OFFICE = "bench-leader", "bench-office"


def world_get() -> World:
    plans = Plan.objects.in_bulk([FULL_SLUG, SMALL_SLUG, IMPORT_SLUG], field_name="slug")
    imports = plans[IMPORT_SLUG]
    return World(
        full=plans[FULL_SLUG],
        small=plans[SMALL_SLUG],
        imports=imports,
        import_unit=Unit.objects.get(region=imports.region),
        leader=User.objects.get(username=LEADER),
        office=User.objects.get(username=OFFICE),
        pending=list(
            Submission.objects.filter(indicator__plan=plans[FULL_SLUG], note=PENDING_NOTE)
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
    )


PENDING_NOTE = "基准测试：待审核"


def pending_reset(world: World) -> None:
    """Put the submissions the incremental measurement approves back to awaiting review (a kept dataset)."""
    Submission.objects.filter(pk__in=world.pending).update(
        state=ReviewState.SUBMITTED, reviewed_at=None, reviewed_by=None
    )


# --- COPY -----------------------------------------------------------------------------------------


def copy_rows(model: type[models.Model], fields: list[str], rows: Iterable[tuple]) -> int:
    """COPY rows (tuples of `fields`, already text or None) into the model's table; returns the row count."""
    columns = [model._meta.get_field(name).column for name in fields]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


# --- building -------------------------------------------------------------------------------------


def build(dataset: Dataset, *, say=print) -> World:
    """Fill an empty, migrated database with the dataset. Returns the world the measurements use."""
    years = range(START_YEAR, START_YEAR + dataset.full.years)
    periods = {(p.year, p.quarter): p for p in periods_ensure(years=years)}
    # No password: the benchmark logs them in with force_login, nobody can sign in as them.
    office = User.objects.create_user(OFFICE, role=User.Role.REVIEWER, first_name="基准测试办公室")
    User.objects.create_user(LEADER, role=User.Role.LEADER, first_name="基准测试领导")
    _plan(FULL_SLUG, "全国", dataset.full, periods, office, pending=PENDING, say=say)
    _plan(SMALL_SLUG, "全国（万条样本）", dataset.small, periods, office, pending=0, say=say)
    _import_plan(dataset.import_rows, years, periods[(years[-1], 4)])
    say(f"  导入测试：1个单位、{dataset.import_rows:,}个指标的草稿")
    return world_get()


def _plan(
    slug: str,
    country: str,
    shape: Shape,
    periods: dict[tuple[int, int], Period],
    office: User,
    *,
    pending: int,
    say,
) -> Plan:
    top, counties = _regions(slug, country, shape)
    plan = Plan.objects.create(
        slug=slug,
        title=f"{country}知识产权强国建设示范工作方案（基准测试合成数据）",
        short_title=f"{country}基准测试",
        region=top,
        issuer="基准测试",
        start_year=START_YEAR,
        end_year=START_YEAR + shape.years - 1,
        source_document=SOURCE,
    )
    rng = random.Random(f"{SEED}-{slug}")  # nosec B311
    office_unit = Unit.objects.create(region=top, name="国家知识产权局", kind=Unit.Kind.GOV_DEPT)
    units = Unit.objects.bulk_create(
        Unit(region=county, name=f"{county.name}人民政府", kind=Unit.Kind.LOCAL_GOV) for county in counties
    )
    indicators = _indicators(plan, shape, rng)
    reported = indicators[: shape.reported]
    copy_rows(
        Assignment,
        ["indicator", "unit", "is_lead"],
        ((str(i.pk), str(u.pk), "f") for i in reported for u in units),
    )
    _populations(top, counties, plan)
    _tasks(plan, office_unit, periods, office)
    chosen = _pending_pairs(len(units), len(reported), pending)
    rows = copy_rows(
        Submission,
        SUBMISSION_FIELDS,
        _submissions(plan, shape, units, reported, periods, office, chosen),
    )
    say(
        f"  {plan.short_title}：{shape.regions:,}个地区、{len(units):,}个填报单位、{len(indicators)}个指标、"
        f"{rows:,}条报送"
    )
    return plan


def _regions(slug: str, country: str, shape: Shape) -> tuple[Region, list[Region]]:
    """The country, its provinces, cities spread over the provinces, counties spread over the cities."""
    top = Region.objects.create(code=slug, name=country, level=Region.Level.COUNTRY)
    parents = [top]
    for level, letter, name, count in (
        (Region.Level.PROVINCE, "p", "省份", shape.provinces),
        (Region.Level.CITY, "c", "城市", shape.cities),
        (Region.Level.COUNTY, "x", "区县", shape.counties),
    ):
        parents = Region.objects.bulk_create(
            Region(
                code=f"{slug}-{letter}{n:04d}",
                name=f"{name}{n:04d}",
                level=level,
                parent=parents[(n - 1) % len(parents)],
            )
            for n in range(1, count + 1)
        )
    return top, parents


# Per county and quarter, the synthetic figures grow from these ranges (see _series).
STOCK_BASE, STOCK_GROWTH = (100, 1000), (0.005, 0.03)
FLOW_BASE, CUMULATIVE_BASE = (10, 100), (5, 50)
DENOMINATOR, RATE = (50, 200), (0.8, 0.99)
POPULATION = (20, 150)  # 万人


def _mean(bounds: tuple[float, float]) -> float:
    return (bounds[0] + bounds[1]) / 2


def _indicators(plan: Plan, shape: Shape, rng: random.Random) -> list[Indicator]:
    categories = [value for value, _ in Indicator.Category.choices]
    indicators = []
    for index, measure in enumerate(shape.measures):
        name, unit = MEASURE_NAMES[measure]
        computed = index >= shape.reported
        indicators.append(
            Indicator(
                plan=plan,
                code=f"n{index + 1:02d}",
                name=f"{'取数' if computed else ''}{name}{index + 1:02d}",
                unit=unit,
                measure=measure,
                category=categories[index % len(categories)],
                decimals={"ratio": 1, "per_capita": 2}.get(measure, 0),
                position=index + 1,
                numerator_label="按期办结件数" if measure == "ratio" else "",
                denominator_label="应办结件数" if measure == "ratio" else "",
                description=SOURCE,
                definition=SOURCE,
                definition_state=Indicator.DefinitionState.CONFIRMED,  # synthetic: no document to read
            )
        )
    indicators = Indicator.objects.bulk_create(indicators)
    measures = shape.measures
    sources = {"cumulative": measures.index("flow"), "per_capita": measures.index("stock")}
    for indicator in indicators[shape.reported :]:
        indicator.computed_from = indicators[sources[indicator.measure]]
    Indicator.objects.bulk_update(indicators[shape.reported :], ["computed_from"])
    targets, baselines = [], []
    for index, indicator in enumerate(indicators):
        factor = rng.choice([0.9, 0.97, 1.0, 1.04, 1.1])
        for year_index in range(shape.years):
            comparator = COMPARATORS[indicator.measure][year_index % 3]
            low = _target(indicator.measure, shape, year_index, factor)
            bounds = {
                "gte": (low, None),
                "gt": (low, None),
                "between": (low, low * Decimal("1.1")),
                "lte": (None, low),
                "growth": (None, None),
                "done": (None, None),
            }[comparator]
            targets.append(
                Target(
                    indicator=indicator,
                    year=plan.start_year + year_index,
                    comparator=comparator,
                    min=_rounded(bounds[0]),
                    max=_rounded(bounds[1]),
                    origin=Target.Origin.OFFICE,
                    source=SOURCE,
                )
            )
        if indicator.measure in ("stock", "flow", "per_capita") and index < shape.reported:
            baselines.append(
                Baseline(
                    indicator=indicator,
                    year=plan.start_year - 1,
                    value=_rounded(_target(indicator.measure, shape, -1, 1.0)),
                    source=SOURCE,
                )
            )
    Target.objects.bulk_create(targets)
    Baseline.objects.bulk_create(baselines)
    return indicators


def _rounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def _target(measure: str, shape: Shape, year_index: int, factor: float) -> Decimal:
    """A figure near what the synthetic data reaches at the end of the year, so that statuses vary."""
    quarters = 4 * (year_index + 1)
    growth = (1 + _mean(STOCK_GROWTH)) ** quarters
    value = {
        "stock": shape.counties * _mean(STOCK_BASE) * growth,
        "flow": shape.counties * _mean(FLOW_BASE) * 4 * (1 + 0.05 * year_index),
        "cumulative": shape.counties * _mean(CUMULATIVE_BASE) * quarters,
        "ratio": 86 + 2 * year_index,
        "per_capita": _mean(STOCK_BASE) * growth / _mean(POPULATION),
        "milestone": 0,
    }[measure]
    return Decimal(str(round(value * factor, 2)))


def _populations(top: Region, counties: list[Region], plan: Plan) -> None:
    """Every county a population, each region above it the sum of its own, for every year of the plan."""
    rng = random.Random(f"{SEED}-{plan.slug}-population")  # nosec B311
    parents = dict(
        Region.objects.filter(pk__in=[c.parent_id for c in counties]).values_list("pk", "parent_id")
    )
    totals: dict[tuple[int, int], float] = {}
    for county in counties:
        base = rng.uniform(*POPULATION)
        for year in plan.years:
            value = round(base * (1 + 0.005 * (year - plan.start_year)), 4)
            chain = [county.pk, county.parent_id, parents[county.parent_id], top.pk]
            for region_id in chain:
                totals[(region_id, year)] = totals.get((region_id, year), 0.0) + value
    copy_rows(
        Population,
        ["region", "year", "value", "source", "is_demo"],
        ((str(r), str(y), f"{v:.4f}", SOURCE, "t") for (r, y), v in totals.items()),
    )


SECTIONS = 5
TASKS_PER_SECTION = 4


def _tasks(plan: Plan, lead: Unit, periods: dict[tuple[int, int], Period], office: User) -> None:
    """A few sections and tasks, led by the national office, with an approved report every quarter."""
    sections = Section.objects.bulk_create(
        Section(plan=plan, number=n, title=f"重点任务板块{n}") for n in range(1, SECTIONS + 1)
    )
    tasks = Task.objects.bulk_create(
        Task(
            section=section,
            number=n,
            title=f"任务{section.number}.{n}",
            text=SOURCE,
            responsible_text=lead.name,
        )
        for section in sections
        for n in range(1, TASKS_PER_SECTION + 1)
    )
    TaskUnit.objects.bulk_create(TaskUnit(task=task, unit=lead, role="lead", position=0) for task in tasks)
    reports = []
    for (year, quarter), period in sorted(periods.items()):
        if not plan.start_year <= year <= plan.end_year:
            continue
        sent, reviewed = _stamps(period, late=False)
        for task in tasks:
            reports.append(
                TaskReport(
                    task=task,
                    unit=lead,
                    period=period,
                    state=ReviewState.APPROVED,
                    submitted_at=sent,
                    reviewed_at=reviewed,
                    reviewed_by=office,
                    status=TaskReport.Status.IN_PROGRESS if quarter < 4 else TaskReport.Status.DONE,
                    progress=f"{year}年第{quarter}季度按计划推进。",
                    is_demo=True,
                )
            )
    TaskReport.objects.bulk_create(reports)


def _stamps(period: Period, *, late: bool) -> tuple[datetime.datetime, datetime.datetime]:
    day = period.due_on + datetime.timedelta(days=3 if late else -2)
    sent = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    return sent, sent + datetime.timedelta(days=2)


def _pending_pairs(units: int, indicators: int, count: int) -> set[tuple[int, int]]:
    """(unit index, indicator index) of the submissions left awaiting review, spread over the plan."""
    total = units * indicators
    count = min(count, total)
    step = max(1, total // max(count, 1))
    return {(p % units, p // units) for p in range(0, step * count, step)}


SUBMISSION_FIELDS = [
    "indicator", "unit", "period", "state", "version", "submitted_at", "is_late", "reviewed_at",
    "reviewed_by", "return_reason", "is_demo", "created_at", "updated_at", "value", "numerator",
    "denominator", "done", "note",
]  # fmt: skip


def _submissions(
    plan: Plan,
    shape: Shape,
    units: list[Unit],
    indicators: list[Indicator],
    periods: dict[tuple[int, int], Period],
    office: User,
    pending: set[tuple[int, int]],
) -> Iterator[tuple]:
    """Every county unit's figure for every reported indicator and quarter, as COPY text."""
    quarters = [(year, quarter) for year in plan.years for quarter in (1, 2, 3, 4)]
    last = quarters[-1]
    stamps = {}
    for key in quarters:
        for late in (False, True):
            sent, reviewed = _stamps(periods[key], late=late)
            stamps[key, late] = (sent.isoformat(), reviewed.isoformat())
    period_ids = {key: str(periods[key].pk) for key in quarters}
    office_id, approved, submitted = str(office.pk), ReviewState.APPROVED.value, ReviewState.SUBMITTED.value
    count = 0
    for unit_index, unit in enumerate(units):
        rng = random.Random(f"{SEED}-{plan.slug}-{unit_index}")  # nosec B311
        unit_id = str(unit.pk)
        for indicator_index, indicator in enumerate(indicators):
            series = _series(indicator.measure, len(quarters), rng)
            indicator_id = str(indicator.pk)
            for position, key in enumerate(quarters):
                count += 1
                late = count % LATE_EVERY == 0
                sent, reviewed = stamps[key, late]
                waiting = key == last and (unit_index, indicator_index) in pending
                note = (
                    PENDING_NOTE
                    if waiting
                    else ("较上季度变化较大，已核实。" if count % NOTE_EVERY == 0 else "")
                )
                yield (
                    indicator_id, unit_id, period_ids[key], submitted if waiting else approved, "1", sent,
                    "t" if late else "f", None if waiting else reviewed, None if waiting else office_id,
                    "", "t", sent, reviewed, *series[position], note,
                )  # fmt: skip


def _series(measure: str, quarters: int, rng: random.Random) -> list[tuple[str | None, ...]]:
    """One unit's (value, numerator, denominator, done) for each quarter of the plan, as COPY text."""
    if measure in ("stock", "per_capita"):
        level, growth = rng.uniform(*STOCK_BASE), rng.uniform(*STOCK_GROWTH)
        return [(str(round(level * (1 + growth) ** (q + 1))), None, None, None) for q in range(quarters)]
    if measure == "flow":
        return [
            (str(round(rng.uniform(*FLOW_BASE) * (1 + 0.05 * (q // 4)))), None, None, None)
            for q in range(quarters)
        ]
    if measure == "cumulative":
        return [(str(round(rng.uniform(*CUMULATIVE_BASE))), None, None, None) for q in range(quarters)]
    if measure == "ratio":
        rows = []
        for _ in range(quarters):
            denominator = rng.randint(*DENOMINATOR)
            rows.append((None, str(round(denominator * rng.uniform(*RATE))), str(denominator), None))
        return rows
    done_from = rng.randint(1, quarters)  # milestone: done from a quarter on
    return [(None, None, None, "t" if q + 1 >= done_from else "f") for q in range(quarters)]


# --- the Excel import's unit ----------------------------------------------------------------------


def _import_plan(rows: int, years: range, period: Period) -> tuple[Plan, Unit]:
    """A unit reporting `rows` indicators (stocks, ratios and milestones) with a stored draft each, as
    tests/test_excel_template.py measures the import."""
    region = Region.objects.create(code=IMPORT_SLUG, name="导入测试地区", level=Region.Level.CITY)
    plan = Plan.objects.create(
        slug=IMPORT_SLUG,
        title="Excel导入基准测试方案（合成数据）",
        short_title="导入基准测试",
        region=region,
        issuer="基准测试",
        start_year=years[0],
        end_year=years[-1],
        source_document=SOURCE,
    )
    unit = Unit.objects.create(region=region, name="导入测试单位")
    kinds = ["stock"] * 8 + ["ratio", "milestone"]
    indicators = Indicator.objects.bulk_create(
        Indicator(
            plan=plan,
            code=f"i{n}",
            name=f"指标{n}",
            unit="件",
            measure=kinds[n % 10],
            category=Indicator.Category.CREATION,
            position=n,
            numerator_label="分子" if kinds[n % 10] == "ratio" else "",
            denominator_label="分母" if kinds[n % 10] == "ratio" else "",
        )
        for n in range(rows)
    )
    copy_rows(
        Assignment, ["indicator", "unit", "is_lead"], ((str(i.pk), str(unit.pk), "f") for i in indicators)
    )
    now = timezone.now().isoformat()
    copy_rows(
        Submission, SUBMISSION_FIELDS, (_draft(n, i, unit, period, now) for n, i in enumerate(indicators))
    )
    return plan, unit


def _draft(n: int, indicator: Indicator, unit: Unit, period: Period, now: str) -> tuple:
    figure = {
        "stock": (str(n), None, None, None),
        "ratio": (None, str(n % 50), "50", None),
        "milestone": (None, None, None, "f"),
    }[indicator.measure]
    draft = ReviewState.DRAFT.value
    return (str(indicator.pk), str(unit.pk), str(period.pk), draft, "1", None, "f", None, None, "", "t", now,
            now, *figure, "")  # fmt: skip


def import_drafts_move_on(world: World) -> None:
    """After the template is written: every draft changes, so every row of the template reads as a change."""
    Submission.objects.filter(unit=world.import_unit).update(
        value=models.F("value") + 1, numerator=0, done=True
    )
