"""What the quarterly progress report states, read from the roll-up and the units' approved texts.

Streams at national size: the texts are joined in the database per indicator and read in chunks, so the
number of queries does not grow with units or rows."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import (
    Case,
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
    When,
)
from django.db.models.functions import Concat
from django.utils import timezone

from indicators.models import Assignment, Baseline, Indicator, Target
from ipcity.quarters import Quarter, period_text
from ipcity.typography import chinese_text
from ipcity.workbook import CUT_MARK, EXCEL_CELL_MAX
from plans.models import Plan, Section, Task, Unit
from progress import coverage
from progress.models import Progress, Timeliness
from progress.selectors import TASK_STATUS_CHOICES, TaskLine, progress_for, task_lines
from reporting.models import Period, ReviewState, Submission, TaskReport
from reporting.states import Awaiting, awaiting_review

INDICATOR_STATUSES = Progress.Status
TIMELINESS_STATUSES = Timeliness.Status
TIMELINESS_COUNTS = ("expected", "submitted", "on_time", "late", "returned", "approved")
# Rows per round trip of a streamed cursor (two chunks are held while the next arrives): a line of joined
# texts holds at most one cell of 32,767 characters (the notes; the 责任单位 cell names UNITS_NAMED units), a
# unit's line a few hundred. Each round trip is a FETCH of its own: at 4 lines a trip the national report's
# 40 lines of texts take 10 trips instead of 40, and at most 8 notes cells are held.
TEXT_CHUNK = 4
ROW_CHUNK = 100
UNITS_SEPARATOR = "、"
# The widest 责任单位 column of the report (books.indicator_sheet): a wider cell wraps. Each separator is 2
# wide, so a cell of UNITS_COUNTED names or more is wider than that whatever the names.
UNITS_WIDTH_SHOWN = 18
UNITS_COUNTED = UNITS_WIDTH_SHOWN // 2 + 1
# The 责任单位 cell names the lead and the first units by name, then counts the rest (等2800家单位): a list of
# every county of a national plan is a cell no one can read or print, and, cut at Excel's cell limit, the
# largest text of the export (BENCHMARKS.md: it alone made the national report's peak memory 1.3×).
UNITS_NAMED = 20
K = TypeVar("K")
V = TypeVar("V")


# SQL pieces -----------------------------------------------------------------------------------------------


class Joined(Subquery):
    """The texts a one-column queryset yields, joined by `separator` in the queryset's order; NULL when it
    yields none (NULL texts are skipped). With `alone`, a group of exactly one row shows that expression
    instead (a note alone is shown without its unit's name); with `limit`, only the first `limit` rows are
    joined. Each row is read once.

    PostgreSQL builds an array in the subquery's order; SQLite's GROUP_CONCAT reads an ordered subquery in
    order (it has no ORDER BY inside aggregates before 3.44; tests/test_reports_national.py checks the order
    on both). No more than a cell's worth leaves the database: a text longer than EXCEL_CELL_MAX comes back
    as the writer would store it (`ipcity.workbook.neutralise`: line breaks as LF, cut, marked as cut)."""

    output_field = TextField()

    def __init__(
        self, rows: QuerySet, text: Any, separator: str, alone: Any = None, limit: int | None = None
    ) -> None:
        parts = rows.annotate(joined_part=text).values("joined_part")
        super().__init__(parts[:limit] if limit else parts)
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
    """Twice `ipcity.workbook.text_width` before rounding down: UTF-8 bytes + characters. Spans add up when
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

    @property
    def status_label(self) -> str:
        """The status as a reader should take it: 落后（暂定） when the quarter's figures are partial."""
        return coverage.status_text(self.progress, INDICATOR_STATUSES(self.status).label)

    @property
    def coverage_text(self) -> str | None:
        """第三季度：3/4单位已审核，1单位未报送；数据截至第二季度 — what the line's actual stands on."""
        return coverage.coverage_note(self.progress) or None


@dataclass(slots=True)
class IndicatorTexts:
    units: str | None  # assigned reporting units, the lead first: 市知识产权局、市科技局 (…等25家单位)
    notes: str | None  # notes of the quarter's approved figures: the note alone, or 【unit】note lines

    @classmethod
    def read(cls, units: str | None, count: int | None, notes: str | None) -> IndicatorTexts:
        """From the database's row: the first UNITS_NAMED units' names, how many there are, the notes."""
        if units and count and count > UNITS_NAMED:
            units = f"{units}等{count}家单位"
        return cls(units, notes)


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
    units_width: int  # text width of the widest 责任单位 cell (UNITS_WIDTH_SHOWN when it is at least that)
    next_period: Period | None = None
    today: datetime.date = field(default_factory=timezone.localdate)
    awaiting: Awaiting = field(default_factory=lambda: Awaiting(0, []))  # the quarter's items with the office

    @property
    def period_text(self) -> str:
        return period_text(self.year, self.quarter)

    @property
    def pending_line(self) -> str:
        """数据截至2026年10月20日，尚有3项待审核: printed on the first page."""
        return coverage.pending_text(self.today, self.awaiting.count)

    @property
    def awaiting_lines(self) -> list[str]:
        """Which items await review (the first AWAITING_SHOWN, then how many more): 【unit】指标“name”."""
        return awaiting_lines(self.awaiting)

    @property
    def units_line(self) -> str:
        """本季度应报送数据和进展的22家责任单位中，按时报送19家，逾期报送2家: what the figures stand on."""
        if not self.units.total:
            return "本季度尚无责任单位报送情况统计。"
        phrases = "，".join(count_phrases(self.unit_counts(), UNIT_PHRASES))
        return f"本季度应报送数据和进展的{self.units.total}家责任单位中，{phrases}。"

    def indicator_counts(self) -> list[tuple[str, str, int]]:
        """(status, label, count) for every indicator status, in the order of Progress.Status."""
        return _counted(Counter(line.status for line in self.indicators), INDICATOR_STATUSES.choices)

    @property
    def provisional_count(self) -> int:
        """Indicators whose quarter lacks some owed unit's approved figure: their status is 暂定."""
        return sum(coverage.is_provisional(line.progress) for line in self.indicators)

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
        """The texts of each line of `indicators`, in order, streamed (one query); a definition (口径) the
        office has not confirmed opens the line's notes with its mark and question."""
        rows = _indicator_texts(self.plan, self.period).iterator(chunk_size=TEXT_CHUNK)
        texts = _aligned((line.indicator.pk for line in self.indicators), _keyed(rows, IndicatorTexts.read))
        for line, text in zip(self.indicators, texts, strict=True):
            mark = definition_mark(line.indicator)
            if mark:
                text.notes = f"{mark}\n{text.notes}" if text.notes else mark
            yield text

    def timeliness_rows(self) -> Iterator[tuple]:
        """(unit name, *TIMELINESS_COUNTS, status) of each unit by name, streamed (one query)."""
        if self.period is None:
            return iter(())
        rows = Timeliness.objects.filter(plan=self.plan, period=self.period).order_by("unit__name", "unit_id")
        return rows.values_list("unit__name", *TIMELINESS_COUNTS, "status").iterator(chunk_size=ROW_CHUNK)


def definition_mark(indicator: Indicator) -> str | None:
    """【口径待确认】and the open question, for an indicator whose reading the office has not confirmed."""
    if not indicator.definition_pending:
        return None
    return f"【口径待确认】{indicator.definition_question}"


def _counted(counter: Counter, choices: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    return [(value, label, counter[value]) for value, label in choices]


def _keyed(rows: Iterable[tuple], make: Callable[..., V]) -> Iterator[tuple[Any, V]]:
    for key, *values in rows:
        yield key, make(*values)


UNIT_PHRASES = {
    "on_time": "按时报送{n}家",
    "late": "逾期报送{n}家",
    "missing": "未报送或未报齐{n}家",
    "returned": "退回待修改{n}家",
    "not_due": "未到截止日{n}家",
}


def count_phrases(counts: list[tuple[str, str, int]], phrases: dict[str, str]) -> list[str]:
    """The non-zero counts as phrases ("按时报送{n}家"), in the counts' order."""
    return [phrases[value].format(n=n) for value, _label, n in counts if n and value in phrases]


def plan_subject(plan: Plan) -> str:
    """What a document about the plan's work calls it: 泉州市示范城市工作方案 → 泉州市示范城市建设, any other
    short title in 《》."""
    name = plan.short_title
    return f"{name[: -len('工作方案')]}建设" if name.endswith("工作方案") else f"《{name}》"


def report_title(plan: Plan, year: int, quarter: int) -> str:
    """关于泉州市示范城市建设2026年第三季度工作进展情况的报告."""
    return chinese_text(f"关于{plan_subject(plan)}{period_text(year, quarter)}工作进展情况的报告")


def awaiting_lines(awaiting: Awaiting) -> list[str]:
    """The items awaiting review as a document lists them: one line of 【unit】指标“name”, then 等N项."""
    if not awaiting.count:
        return []
    items = "；".join(f"【{item.unit}】{item.kind}“{item.name}”" for item in awaiting.items)
    more = f"等，共{awaiting.count}项" if awaiting.more else ""
    return [chinese_text(f"待审核事项：{items}{more}。")]


def report_data(plan: Plan, year: int, quarter: int, *, today: datetime.date | None = None) -> ReportData:
    """Everything the progress report shows for a plan and quarter, in document order: 11 queries now and
    one for each of `indicator_texts` and `timeliness_rows` when read, whatever the number of indicators,
    units or submissions. `awaiting` holds the quarter's figures and task reports still with the office,
    as of `today` (the document's date).

    Every indicator of the plan has a line; one the roll-up has not reached shows as 无数据. A task's status
    is the dashboards' (`task_lines`: the most worrying of its units' latest approved reports); its texts are
    the quarter's approved reports."""
    progress = {row.indicator_id: row for row in progress_for(plan, year, quarter)}
    # The text width of an indicator's 责任单位 cell: its names and the separators between them, added up
    # only where the cell could fit the column; with UNITS_COUNTED names or more, its separators alone are
    # wider than the column shows (a national indicator's thousands of names were summed only to be capped).
    assigned = Assignment.objects.filter(indicator=OuterRef("pk")).order_by().values("indicator")
    units_span = Sum(TextSpan("unit__name")) + (Count("pk") - 1) * _span(UNITS_SEPARATOR)
    units_width = Case(
        When(crowded=True, then=Value(UNITS_WIDTH_SHOWN)),
        default=Subquery(assigned.annotate(width=units_span / 2).values("width")),
        output_field=IntegerField(),
    )
    latest = Baseline.objects.filter(indicator=OuterRef("pk")).order_by("-year").values("value")[:1]
    indicators = list(
        Indicator.objects.filter(plan=plan)
        .prefetch_related(Prefetch("targets", queryset=Target.objects.order_by("year")))
        .alias(crowded=Exists(assigned[UNITS_COUNTED - 1 : UNITS_COUNTED]))
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
        today=today or timezone.localdate(),
        awaiting=awaiting_review(plan, Quarter(year, quarter)),
    )


def _indicator_texts(plan: Plan, period: Period | None) -> QuerySet:
    """(indicator id, units, notes) per indicator in document order; the texts are joined by the database."""
    assigned = Assignment.objects.filter(indicator=OuterRef("pk")).order_by("-is_lead", "unit__name")
    units = Joined(assigned, F("unit__name"), UNITS_SEPARATOR, limit=UNITS_NAMED)
    rows = (
        Indicator.objects.filter(plan=plan)
        .order_by("position", "code")
        .annotate(units=units, unit_count=_count(Assignment.objects.filter(indicator=OuterRef("pk"))))
    )
    if period is None:
        return rows.annotate(notes=Value(None, TextField())).values_list("pk", "units", "unit_count", "notes")
    notes = (
        Submission.objects.filter(indicator=OuterRef("pk"), period=period, state=ReviewState.APPROVED)
        .exclude(note="")
        .order_by()
    )
    # One note shows as written; several as 【unit】note lines by unit name.
    alone = Subquery(notes.values("note")[:1])
    named = Joined(notes.order_by("unit__name"), _named("note"), "\n", alone=alone)
    return rows.annotate(notes=named).values_list("pk", "units", "unit_count", "notes")


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
