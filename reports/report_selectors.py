"""Reads behind the progress report and the bulletin: one plan and quarter, a fixed number of queries.

Figures come from the roll-up (`progress_for`, `Timeliness`), never from raw submissions, so the report, the
progress API and the dashboards agree. Texts (notes, task progress) come from approved rows only: the report
goes upward and carries what the office has reviewed.

Sized for a national plan (thousands of units, each assigned every indicator): what grows with the units is
never held in memory. The lists of units and notes are joined into their cell text by the database, per
indicator, and streamed one indicator at a time; timeliness rows stream straight from a cursor; counts,
totals and column widths are aggregates. What is held is bounded by the plan: its indicators, and its tasks
with the units named on them (`reports.selectors.task_lines`, the one rule for a task's status)."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from celery import current_app
from celery.result import AsyncResult
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Concat

from accounts.permissions import is_reviewer
from indicators.models import (
    Assignment,
    Baseline,
    Indicator,
    Period,
    Progress,
    ReviewState,
    Submission,
    Target,
    TaskReport,
    Timeliness,
)
from indicators.selectors import progress_for
from plans.models import Plan, Section, Task, Unit
from reports.excel import CUT_MARK, EXCEL_CELL_MAX
from reports.models import ExportJob, period_text
from reports.selectors import TASK_STATUS_CHOICES, Quarter, TaskLine, task_lines

INDICATOR_STATUSES = Progress.Status
TIMELINESS_STATUSES = Timeliness.Status
TIMELINESS_COUNTS = ("expected", "submitted", "on_time", "late", "returned", "approved")
# Rows per round trip of a streamed cursor (two chunks are held while the next arrives): a line of joined
# texts may hold a few cells of 32,767 characters, a unit's line a few hundred.
TEXT_CHUNK = 1
ROW_CHUNK = 100
UNITS_SEPARATOR = "、"
K = TypeVar("K")
V = TypeVar("V")


# SQL pieces -----------------------------------------------------------------------------------------------


class Joined(Subquery):
    """The texts a one-column queryset yields, joined by `separator` in the queryset's order; NULL when it
    yields none (NULL texts are skipped). With `alone`, a group of exactly one row shows that expression
    instead (a note alone is shown without its unit's name). Each row is read once.

    PostgreSQL builds an array in the subquery's order; SQLite's GROUP_CONCAT reads an ordered subquery in
    order (it has no ORDER BY inside aggregates before 3.44; tests/test_reports_national.py checks the order
    on both). No more than a cell's worth leaves the database: a text longer than EXCEL_CELL_MAX comes back
    as the writer would store it (`reports.excel.neutralise`: line breaks as LF, cut, marked as cut)."""

    output_field = TextField()

    def __init__(self, rows: QuerySet, text: Any, separator: str, alone: Any = None) -> None:
        super().__init__(rows.annotate(joined_part=text).values("joined_part"))
        self.separator = separator
        self.alone = alone

    def get_source_expressions(self):
        return [self.query, self.alone]

    def set_source_expressions(self, exprs):
        self.query, self.alone = exprs

    @staticmethod
    def _cut(joined: str, *, length: str, substr: str) -> tuple[str, tuple]:
        """`neutralise`'s cut in SQL, for texts longer than a cell: line breaks as LF, then cut with the mark.
        A text that fits comes back untouched."""
        lf = "REPLACE(REPLACE(cut.joined_text, %s, %s), %s, %s)"
        lf_params = ("\r\n", "\n", "\r", "\n")
        case = f"CASE WHEN {length}(cut.joined_text) <= %s THEN cut.joined_text WHEN {length}({lf}) <= %s"
        case += f" THEN {lf} ELSE {substr}({lf}, 1, %s) || %s END"
        sql = f"(SELECT {case} FROM ({joined}) cut)"  # noqa: S608  # nosec B608
        limit = EXCEL_CELL_MAX
        return sql, (limit, *lf_params, limit, *lf_params, *lf_params, limit - len(CUT_MARK), CUT_MARK)

    def _sql(self, compiler, connection, *, joined: str, one: str, length: str, substr: str):
        """The SQL, from the vendor's `joined` text (with {one}: the test for a single row, {alone} and
        {rows}: the compiled subqueries) and its string functions. The SQL is compiled expressions and fixed
        words; every value is a parameter."""
        rows, rows_params = self.query.as_sql(compiler, connection)
        alone, alone_params = ("NULL", ()) if self.alone is None else compiler.compile(self.alone)
        one = one if self.alone is not None else "1 = 0"
        sql, cut_params = self._cut(
            joined.format(one=one, alone=alone, rows=rows), length=length, substr=substr
        )
        return sql, (*cut_params, *alone_params, self.separator, *rows_params)

    def as_sql(self, compiler, connection, template=None, **extra_context):
        joined = (
            "SELECT CASE WHEN {one} THEN {alone} ELSE GROUP_CONCAT(part.joined_part, %s) END"
            " AS joined_text FROM {rows} part"
        )
        return self._sql(
            compiler, connection, joined=joined, one="COUNT(*) = 1", length="LENGTH", substr="SUBSTR"
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        # OFFSET 0 keeps PostgreSQL from inlining the derived tables into each CASE branch: the array is
        # built once and joined once.
        joined = (
            "SELECT CASE WHEN {one} THEN {alone} ELSE NULLIF(ARRAY_TO_STRING(part.parts, %s), '') END"
            " AS joined_text FROM (SELECT ARRAY{rows} AS parts OFFSET 0) part OFFSET 0"
        )
        one = "CARDINALITY(part.parts) = 1"
        return self._sql(
            compiler, connection, joined=joined, one=one, length="CHAR_LENGTH", substr="SUBSTRING"
        )


class TextSpan(Func):
    """Twice `reports.excel.text_width` before rounding down: UTF-8 bytes + characters. Spans add up when
    texts are joined, so a column is fitted to a text the database never has to build."""

    output_field = IntegerField()
    arity = 1

    def as_sql(self, compiler, connection, **extra_context):
        text, params = compiler.compile(self.source_expressions[0])
        return f"(OCTET_LENGTH({text}) + CHAR_LENGTH({text}))", (*params, *params)

    def as_sqlite(self, compiler, connection, **extra_context):
        text, params = compiler.compile(self.source_expressions[0])
        return f"(LENGTH(CAST({text} AS BLOB)) + LENGTH({text}))", (*params, *params)


def _span(text: str) -> int:
    return len(text.encode("utf-8")) + len(text)


def _count(rows: QuerySet) -> Subquery:
    """COUNT(*) of `rows` as a scalar subquery (COUNT as a plain function: no GROUP BY, one row)."""
    counted = rows.order_by().annotate(counted=Func(F("pk"), function="COUNT")).values("counted")
    return Subquery(counted, output_field=IntegerField())


def _named(text: Any) -> Concat:
    """【unit】text: one unit's words among several in a cell."""
    return Concat(Value("【"), "unit__name", Value("】"), text, output_field=TextField())


def _aligned(keys: Iterable[K], stream: Iterable[tuple[K, V]]) -> Iterator[V]:
    """Each of `keys` with its value from `stream`, which yields (key, value) in the same order."""
    stream = iter(stream)
    for key in keys:
        found, value = next(stream, (None, None))
        if found != key:
            raise RuntimeError(f"报表数据顺序不一致：应为{key}，读到{found}")
        yield value


# The progress report --------------------------------------------------------------------------------------


@dataclass(slots=True)
class IndicatorEntry:
    indicator: Indicator
    progress: Progress | None
    baseline: Decimal | None  # the latest baseline's value
    targets: list[Target | None]  # one per plan year

    @property
    def status(self) -> str:
        return self.progress.status if self.progress else Progress.Status.NO_DATA


@dataclass(slots=True)
class IndicatorTexts:
    units: str | None  # assigned reporting units, the lead first: 市知识产权局、市科技局
    notes: str | None  # notes of the quarter's approved figures: the note alone, or 【unit】note lines


@dataclass(slots=True)
class TaskEntry:
    line: TaskLine  # the task's status by the one rule of `task_lines`
    reports: list[TaskReport]  # approved reports of the quarter, lead first, then document order

    @property
    def task(self) -> Task:
        return self.line.task

    @property
    def section(self) -> Section:
        return self.line.section

    @property
    def lead(self) -> Unit | None:
        return self.line.lead

    @property
    def co(self) -> list[Unit]:
        return self.line.co

    @property
    def status(self) -> str:
        return self.line.status

    @property
    def awaiting(self) -> bool:
        return self.line.awaiting


@dataclass(slots=True)
class UnitSummary:
    """The quarter's Timeliness rows in aggregate: count per status, column sums, widest unit name."""

    counts: dict[str, int]
    totals: dict[str, int]
    widest_name: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(slots=True)
class ReportData:
    plan: Plan
    year: int
    quarter: int
    period: Period | None
    indicators: list[IndicatorEntry]
    tasks: list[TaskEntry]
    units: UnitSummary
    units_width: int  # text width of the widest 责任单位 cell of the indicator sheet
    next_period: Period | None = None

    @property
    def period_text(self) -> str:
        return period_text(self.year, self.quarter)

    def indicator_counts(self) -> list[tuple[str, str, int]]:
        """(status, label, count) for every indicator status, in the order of Progress.Status."""
        return _counted(Counter(line.status for line in self.indicators), INDICATOR_STATUSES.choices)

    def task_counts(self) -> list[tuple[str, str, int]]:
        return _counted(Counter(line.status for line in self.tasks), TASK_STATUS_CHOICES)

    @property
    def tasks_awaiting(self) -> int:
        """Tasks whose report of the quarter is still with the office (counted beside the statuses)."""
        return sum(line.awaiting for line in self.tasks)

    def unit_counts(self) -> list[tuple[str, str, int]]:
        return _counted(Counter(self.units.counts), TIMELINESS_STATUSES.choices)

    def category_counts(self) -> list[tuple[str, dict[str, int]]]:
        """(category label, {status: count}) for the categories the plan's indicators use, in choice order."""
        by_category: dict[str, Counter] = defaultdict(Counter)
        for line in self.indicators:
            by_category[line.indicator.category][line.status] += 1
        return [
            (label, {status: by_category[value][status] for status in INDICATOR_STATUSES.values})
            for value, label in Indicator.Category.choices
            if value in by_category
        ]

    def indicator_texts(self) -> Iterator[IndicatorTexts]:
        """The texts of each line of `indicators`, in order, streamed (one query)."""
        rows = _indicator_texts(self.plan, self.period).iterator(chunk_size=TEXT_CHUNK)
        return _aligned((line.indicator.pk for line in self.indicators), _keyed(rows, IndicatorTexts))

    def timeliness_rows(self) -> Iterator[tuple]:
        """(unit name, *TIMELINESS_COUNTS, status) of each unit by name, streamed (one query)."""
        if self.period is None:
            return iter(())
        rows = Timeliness.objects.filter(plan=self.plan, period=self.period).order_by("unit__name", "unit_id")
        return rows.values_list("unit__name", *TIMELINESS_COUNTS, "status").iterator(chunk_size=ROW_CHUNK)


def _counted(counter: Counter, choices: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    return [(value, label, counter[value]) for value, label in choices]


def _keyed(rows: Iterable[tuple], make: Callable[..., V]) -> Iterator[tuple[Any, V]]:
    for key, *values in rows:
        yield key, make(*values)


def report_data(plan: Plan, year: int, quarter: int) -> ReportData:
    """Everything the progress report shows for a plan and quarter, in document order: 8 queries now and one
    for each of `indicator_texts` and `timeliness_rows` when read, whatever the number of indicators,
    units or submissions.

    Every indicator of the plan has a line; one the roll-up has not reached shows as 无数据. A task's status
    is the dashboards' (`task_lines`: the most worrying of its units' latest approved reports); its texts are
    the quarter's approved reports."""
    progress = {row.indicator_id: row for row in progress_for(plan, year, quarter)}
    # The text width of an indicator's 责任单位 cell: its names and the separators between them.
    assigned = Assignment.objects.filter(indicator=OuterRef("pk")).order_by().values("indicator")
    units_span = Sum(TextSpan("unit__name")) + (Count("pk") - 1) * _span(UNITS_SEPARATOR)
    units_width = Subquery(
        assigned.annotate(width=units_span / 2).values("width"), output_field=IntegerField()
    )
    latest = Baseline.objects.filter(indicator=OuterRef("pk")).order_by("-year").values("value")[:1]
    indicators = list(
        Indicator.objects.filter(plan=plan)
        .prefetch_related(Prefetch("targets", queryset=Target.objects.order_by("year")))
        .annotate(units_width=units_width, baseline=Subquery(latest))
        .order_by("position", "code")
    )
    period, next_period = _period_and_next(year, quarter)
    return ReportData(
        plan=plan,
        year=year,
        quarter=quarter,
        period=period,
        indicators=[
            IndicatorEntry(
                indicator=indicator,
                progress=progress.get(indicator.pk),
                baseline=indicator.baseline,
                targets=_targets_by_year(indicator, plan),
            )
            for indicator in indicators
        ],
        tasks=[_task_entry(line, year, quarter) for line in task_lines(plan, Quarter(year, quarter))],
        units=_unit_summary(plan, period),
        units_width=max((indicator.units_width or 0 for indicator in indicators), default=0),
        next_period=next_period,
    )


def _indicator_texts(plan: Plan, period: Period | None) -> QuerySet:
    """(indicator id, units, notes) per indicator in document order; the texts are joined by the database."""
    assigned = Assignment.objects.filter(indicator=OuterRef("pk")).order_by("-is_lead", "unit__name")
    units = Joined(assigned, F("unit__name"), UNITS_SEPARATOR)
    rows = Indicator.objects.filter(plan=plan).order_by("position", "code")
    if period is None:
        return rows.annotate(units=units, notes=Value(None, TextField())).values_list("pk", "units", "notes")
    notes = (
        Submission.objects.filter(indicator=OuterRef("pk"), period=period, state=ReviewState.APPROVED)
        .exclude(note="")
        .order_by()
    )
    # One note shows as written; several as 【unit】note lines by unit name.
    alone = Subquery(notes.values("note")[:1])
    named = Joined(notes.order_by("unit__name"), _named("note"), "\n", alone=alone)
    return rows.annotate(units=units, notes=named).values_list("pk", "units", "notes")


def _targets_by_year(indicator: Indicator, plan: Plan) -> list[Target | None]:
    by_year = {target.year: target for target in indicator.targets.all()}
    return [by_year.get(year) for year in plan.years]


def _period_and_next(year: int, quarter: int) -> tuple[Period | None, Period | None]:
    following = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    found = {
        (p.year, p.quarter): p
        for p in Period.objects.filter(year__in={year, following[0]}, quarter__in={quarter, following[1]})
    }
    return found.get((year, quarter)), found.get(following)


def _task_entry(line: TaskLine, year: int, quarter: int) -> TaskEntry:
    """The task with the texts of its units' approved reports of this quarter, in the line's unit order."""
    reports = [
        unit.report
        for unit in line.units
        if unit.report and (unit.report.period.year, unit.report.period.quarter) == (year, quarter)
    ]
    return TaskEntry(line=line, reports=reports)


def _unit_summary(plan: Plan, period: Period | None) -> UnitSummary:
    statuses = TIMELINESS_STATUSES.values
    if period is None:
        return UnitSummary(
            counts=dict.fromkeys(statuses, 0), totals=dict.fromkeys(TIMELINESS_COUNTS, 0), widest_name=0
        )
    found = Timeliness.objects.filter(plan=plan, period=period).aggregate(
        **{f"status_{status}": Count("pk", filter=Q(status=status)) for status in statuses},
        **{f"sum_{name}": Sum(name) for name in TIMELINESS_COUNTS},
        widest=Max(TextSpan("unit__name")),
    )
    return UnitSummary(
        counts={status: found[f"status_{status}"] for status in statuses},
        totals={name: found[f"sum_{name}"] or 0 for name in TIMELINESS_COUNTS},
        widest_name=(found["widest"] or 0) // 2,
    )


# The bulletin (通报) -------------------------------------------------------------------------------------


@dataclass(slots=True)
class UnitFacts:
    name: str
    facts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "；".join(self.facts)


class UnitList:
    """The bulletin's units, counted when the bulletin is made and read from the database each time they are
    iterated: the page and the sheet list thousands of units without holding them. Compares equal to the
    list of the same UnitFacts."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, count: int, rows: Callable[[], Iterable[UnitFacts]]) -> None:
        self._count = count
        self._rows = rows

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[UnitFacts]:
        return iter(self._rows())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UnitList | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"<UnitList: {self._count}家单位>"


@dataclass(slots=True)
class Bulletin:
    plan: Plan
    year: int
    quarter: int
    title: str
    office: str
    date: datetime.date
    opening: str
    overview: list[str]
    praised: UnitList
    named: UnitList
    requirements: list[str]

    @property
    def period_text(self) -> str:
        return period_text(self.year, self.quarter)

    @property
    def date_text(self) -> str:
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"

    @property
    def praised_lead(self) -> str:
        if not self.praised:
            return "本季度无符合表扬条件的单位。"
        return f"以下{len(self.praised)}家单位按时报送，所负责指标达到序时进度要求，予以通报表扬："

    @property
    def named_lead(self) -> str:
        if not self.named:
            return "本季度无需通报的单位。"
        return f"以下{len(self.named)}家单位存在逾期报送、未报送或指标落后于序时进度等情况，予以通报："


_GOVERNMENT_SUFFIXES = ("人民政府办公室", "人民政府办公厅", "人民政府", "管委会", "管理委员会")
GOOD = (Progress.Status.ACHIEVED, Progress.Status.ON_TRACK)


def office_name(plan: Plan) -> str:
    """The leading-group office that issues bulletins, named after the plan's issuer as the plans name it:
    泉州市人民政府 → 泉州市知识产权工作领导小组办公室,
    镇江经开区管委会 → 镇江经开区知识产权工作领导小组办公室."""
    place = plan.issuer
    for suffix in _GOVERNMENT_SUFFIXES:
        if place.endswith(suffix):
            place = place[: -len(suffix)]
            break
    return f"{place}知识产权工作领导小组办公室"


def bulletin_title(plan: Plan, year: int, quarter: int) -> str:
    """关于2025年第三季度泉州市示范城市建设工作推进情况的通报 — from the plan's short title."""
    name = plan.short_title
    subject = f"{name[: -len('工作方案')]}建设" if name.endswith("工作方案") else f"《{name}》"
    return f"关于{period_text(year, quarter)}{subject}工作推进情况的通报"


def _joined(parts: list[str]) -> str:
    return "，".join(parts)


def _count_phrases(counts: list[tuple[str, str, int]], phrases: dict[str, str]) -> list[str]:
    return [phrases[value].format(n=n) for value, _label, n in counts if n and value in phrases]


_INDICATOR_PHRASES = {
    "achieved": "已完成年度目标{n}项",
    "on_track": "按序时进度推进{n}项",
    "at_risk": "略低于序时进度（预警）{n}项",
    "behind": "落后于序时进度{n}项",
    "no_data": "暂无数据{n}项",
}
_TASK_PHRASES = {
    "lagging": "进展滞后{n}项",
    "not_started": "尚未启动{n}项",
    "in_progress": "正在推进{n}项",
    "done": "已完成{n}项",
    "no_report": "尚无已审核进展{n}项",
}
_UNIT_PHRASES = {
    "on_time": "按时报送{n}家",
    "late": "逾期报送{n}家",
    "missing": "未报送或未报齐{n}家",
    "returned": "退回待修改{n}家",
    "not_due": "未到截止日{n}家",
}


def _behind(names: str | None) -> list[str]:
    """The fact naming a unit for its indicators behind their pace (“A”、“B”), if any."""
    return [f"负责的{names}落后于序时进度"] if names else []


@dataclass(frozen=True)
class _Judged:
    """Which indicators make a unit praised or named, and the SQL that asks it of each unit."""

    behind: list[Indicator]  # in document order
    not_good: list[int]

    def assigned(self, unit: str) -> QuerySet[Assignment]:
        return Assignment.objects.filter(unit=OuterRef(unit))

    def behind_names(self, unit: str) -> Joined | Value:
        """The names of the unit's indicators behind their pace, in document order: “A”、“B”."""
        if not self.behind:
            return Value(None, TextField())
        rows = (
            self.assigned(unit)
            .filter(indicator__in=self.behind)
            .order_by("indicator__position", "indicator__code")
        )
        return Joined(rows, Concat(Value("“"), "indicator__name", Value("”"), output_field=TextField()), "、")

    def has_behind(self, unit: str) -> Q:
        return (
            Q(Exists(self.assigned(unit).filter(indicator__in=self.behind))) if self.behind else Q(pk__in=[])
        )

    def praised(self, unit: str) -> Q:
        on_time = Q(status=Timeliness.Status.ON_TIME)
        if not self.not_good:
            return on_time
        return on_time & ~Q(Exists(self.assigned(unit).filter(indicator_id__in=self.not_good)))

    def named(self, unit: str) -> Q:
        unsent = Q(late__gt=0) | Q(expected__gt=F("submitted"))
        late = Q(status__in=[Timeliness.Status.LATE, Timeliness.Status.MISSING]) & unsent
        return late | self.has_behind(unit)


def _bulletin_units(plan: Plan, period: Period | None, data: ReportData) -> tuple[UnitList, UnitList]:
    """The praised and the named units, counted in one query and streamed when read (one query for the
    praised, one or two for the named; none for a list counted empty).

    Both read the quarter's Timeliness rows by unit name; units reporting an indicator behind its pace but
    owing nothing this quarter (no Timeliness row) are named after them, in the order the indicator lines
    first list them."""
    judged = _Judged(
        behind=[line.indicator for line in data.indicators if line.status == Progress.Status.BEHIND],
        not_good=[line.indicator.pk for line in data.indicators if line.status not in GOOD],
    )
    plans_assignments = Assignment.objects.filter(indicator__plan=plan)
    rows = (
        Timeliness.objects.none() if period is None else Timeliness.objects.filter(plan=plan, period=period)
    )
    rows = rows.order_by("unit__name", "unit_id")
    unrated = Unit.objects.filter(judged.has_behind("pk")).exclude(Exists(rows.filter(unit=OuterRef("pk"))))
    praised_count, named_count, unrated_count = (
        Plan.objects.filter(pk=plan.pk)
        .annotate(
            praised=_count(rows.filter(judged.praised("unit_id"))),
            named=_count(rows.filter(judged.named("unit_id"))),
            unrated=_count(unrated),
        )
        .values_list("praised", "named", "unrated")
        .get()
    )
    praised_count, named_count, unrated_count = praised_count or 0, named_count or 0, unrated_count or 0

    def praised() -> Iterator[UnitFacts]:
        if not praised_count:
            return
        count = plans_assignments.filter(unit=OuterRef("unit_id")).values("unit").annotate(n=Count("pk"))
        found = rows.filter(judged.praised("unit_id")).annotate(assigned=Subquery(count.values("n")))
        for name, expected, assigned in found.values_list("unit__name", "expected", "assigned").iterator(
            chunk_size=ROW_CHUNK
        ):
            facts = [f"按时报送本季度应报的{expected}项数据和进展"]
            if assigned:
                facts.append(f"负责的{assigned}项指标均已完成年度目标或达到序时进度")
            yield UnitFacts(name, facts)

    def named() -> Iterator[UnitFacts]:
        yield from rated() if named_count else ()
        yield from unreported() if unrated_count else ()

    def rated() -> Iterator[UnitFacts]:
        found = rows.filter(judged.named("unit_id")).annotate(behind=judged.behind_names("unit_id"))
        fields = ("unit__name", "status", "late", "expected", "submitted", "behind")
        for name, status, late, expected, submitted, behind in found.values_list(*fields).iterator(
            chunk_size=ROW_CHUNK
        ):
            facts = []
            if status in (Timeliness.Status.LATE, Timeliness.Status.MISSING):
                if late:
                    facts.append(f"逾期报送{late}项")
                if expected - submitted > 0:
                    facts.append(f"应报{expected}项，未报送{expected - submitted}项")
            yield UnitFacts(name, facts + _behind(behind))

    def unreported() -> Iterator[UnitFacts]:
        # Units with an indicator behind but no reporting duty this quarter are named for the indicator alone.
        first = plans_assignments.filter(unit=OuterRef("pk")).order_by(
            "indicator__position", "indicator__code"
        )
        found = unrated.annotate(
            first_position=Subquery(first.values("indicator__position")[:1]),
            first_code=Subquery(first.values("indicator__code")[:1]),
            first_lead=Subquery(first.values("is_lead")[:1]),
            behind=judged.behind_names("pk"),
        ).order_by("first_position", "first_code", "-first_lead", "name", "pk")
        for name, behind in found.values_list("name", "behind").iterator(chunk_size=ROW_CHUNK):
            yield UnitFacts(name, _behind(behind))

    return (
        UnitList(praised_count, praised),
        UnitList(named_count + unrated_count, named),
    )


def bulletin_for(plan: Plan, year: int, quarter: int, *, today: datetime.date) -> Bulletin:
    """The quarter's bulletin, every statement taken from the roll-up's figures (report_data's queries),
    in a fixed number of queries; the praised and named units are read when iterated.

    Praised: units that reported on time and none of whose assigned indicators is at risk or behind.
    Named: units that reported late or not at all, and units with an assigned indicator behind its pace."""
    data = report_data(plan, year, quarter)
    praised, named = _bulletin_units(plan, data.period, data)

    overview = []
    if data.indicators:
        phrases = _count_phrases(data.indicator_counts(), _INDICATOR_PHRASES)
        overview.append(
            f"截至{data.period_text}末，《{plan.title}》确定的{len(data.indicators)}项指标中，{_joined(phrases)}。"
        )
    if data.tasks:
        phrases = _count_phrases(data.task_counts(), _TASK_PHRASES)
        awaiting = f"；另有{data.tasks_awaiting}项任务的本季度进展待审核" if data.tasks_awaiting else ""
        overview.append(f"{len(data.tasks)}项重点任务中，{_joined(phrases)}{awaiting}。")
    if data.units.total:
        phrases = _count_phrases(data.unit_counts(), _UNIT_PHRASES)
        overview.append(f"本季度应报送数据和进展的{data.units.total}家责任单位中，{_joined(phrases)}。")
    else:
        overview.append("本季度尚无责任单位报送情况统计。")

    requirements = [
        f"各责任单位要对照《{plan.title}》确定的目标任务和职责分工，压实工作责任，确保各项指标按序时进度推进。"
    ]
    if named:
        requirements.append(
            "被通报单位要认真分析原因，逾期未报、退回待修改的数据要尽快补报、修改，"
            "落后于序时进度的指标要制定针对性措施，加快工作进度。"
        )
    if data.next_period is not None:
        due = data.next_period.due_on
        requirements.append(
            f"{period_text(data.next_period.year, data.next_period.quarter)}数据和进展请于"
            f"{due.year}年{due.month}月{due.day}日前报送。"
        )
    return Bulletin(
        plan=plan,
        year=year,
        quarter=quarter,
        title=bulletin_title(plan, year, quarter),
        office=office_name(plan),
        date=today,
        opening=f"根据《{plan.title}》有关要求，现将{data.period_text}工作推进情况通报如下：",
        overview=overview,
        praised=praised,
        named=named,
        requirements=requirements,
    )


# Export jobs ---------------------------------------------------------------------------------------------


def export_jobs_visible(user) -> QuerySet[ExportJob]:
    """Jobs a user may see: its own; the office (reviewers, admins) sees everyone's."""
    jobs = ExportJob.objects.select_related("plan", "requested_by")
    return jobs if is_reviewer(user) else jobs.filter(requested_by=user)


def export_job_progress(job: ExportJob) -> dict:
    """The job's state for the polling page. A finished job answers from its row; a running one from the
    PROGRESS meta its Celery task reports (`update_state`), read from the result backend."""
    done = total = job.rows if job.state == ExportJob.State.DONE else 0
    state = job.state
    if state in (ExportJob.State.PENDING, ExportJob.State.RUNNING) and not current_app.conf.task_always_eager:
        # Without a broker the task ran inside the request that started it: there is nothing to ask.
        result = AsyncResult(str(job.pk), app=current_app)
        if result.state == "PROGRESS" and isinstance(result.info, dict):
            state = ExportJob.State.RUNNING
            done, total = int(result.info.get("done", 0)), int(result.info.get("total", 0))
        elif result.state == "FAILURE":
            state = ExportJob.State.FAILED
    percent = 100 if state == ExportJob.State.DONE else (min(99, done * 100 // total) if total else 0)
    return {
        "state": state,
        "label": ExportJob.State(state).label,
        "done": done,
        "total": total,
        "percent": percent,
        "rows": job.rows,
        "error": job.error,
    }
