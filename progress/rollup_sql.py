"""The roll-up's statements: sent submissions → one Progress row per indicator × region × quarter.

`gathered` is the part both databases run: the plan's regions (a recursive walk down from the plan's region),
the submissions the office has (an ORM queryset, `rollup.counted`), each unit's reports of a year side by side
(a column per quarter: a unit reports an indicator at most once a quarter), their sums in every region above
the unit, and a dense grid of series × region × year with this year's running figures by quarter and their
coverage: of the units owing the figure (`reporting.selectors.owed_figures`), how many are approved, awaiting
review, returned and missing past the due date, and the plan's first quarter with a gap up to the year.
Working a year at a time keeps every aggregate and window to a quarter of the rows. `judged_sql.judged`
continues it on PostgreSQL into the whole judgement of `progress.pace` and writes the rows. PostgreSQL's
numeric is exact for + − × at any size; SQLite has no exact decimal type, so there the statement stops at the
running sums (as whole numbers of 0.0001) and `progress.pace` judges them in Python
(`rollup._progress_in_python`).
`timeliness` tallies each unit's reporting and upserts it, on both databases.

Only constants of this module, the measure registry's keys and parameters go into the text: no value is ever
formatted into it. Where the judgement differs by measure kind, the statement branches on the series'
`measure` as the registry (`indicators.measures`) decides: which kinds are levels, restart each year, are
rates, and how each reads a year (`READ`, `DIVIDED`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet

from indicators.measures import Measure, keys_where

QUARTERS = (1, 2, 3, 4)


def kinds(test: Callable[[Measure], bool]) -> str:
    """The measure kinds that pass `test`, as an SQL list of their keys: the statement branches on a series'
    `measure` column as the registry decides, e.g. `measure IN ('flow')`."""
    return "(" + ", ".join(f"'{key}'" for key in keys_where(test)) + ")"


LEVELS = kinds(lambda kind: kind.is_level)
RESTARTING = kinds(lambda kind: kind.restarts_each_year)
RATES = kinds(lambda kind: kind.is_rate)


@dataclass
class Statement:
    """SQL text with positional parameters, built in order."""

    sql: list[str] = field(default_factory=list)
    params: list = field(default_factory=list)

    def add(self, sql: str, params: Sequence = ()) -> Statement:
        self.sql.append(sql)
        self.params.extend(params)
        return self

    def extend(self, other: Statement) -> Statement:
        return self.add(other.text, other.params)

    @property
    def text(self) -> str:
        return "".join(self.sql)


def values(name: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence]) -> Statement:
    """A named relation of constant rows, each column cast to its type (a column of NULLs only would otherwise
    be text on PostgreSQL)."""
    names = ", ".join(column for column, _ in columns)
    casts = ", ".join(f"CAST(column{n} AS {kind})" for n, (_, kind) in enumerate(columns, start=1))
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    return Statement().add(
        f"{name} ({names}) AS (SELECT {casts} FROM (VALUES {placeholders}) AS constants)",  # nosec B608
        [value for row in rows for value in row],
    )


def by_quarter(column: Callable[[int], str], separator: str = ",\n        ") -> str:
    """One column per quarter of a year."""
    return separator.join(column(quarter) for quarter in QUARTERS)


def first_of(terms: Sequence[str]) -> str:
    return terms[0] if len(terms) == 1 else f"COALESCE({', '.join(terms)})"


def added(terms: Sequence[str]) -> str:
    """The sum of the terms that are not NULL, NULL when all are: what SUM makes of a column."""
    if len(terms) == 1:
        return terms[0]
    return (
        f"CASE WHEN {first_of(terms)} IS NOT NULL THEN {' + '.join(f'COALESCE({t}, 0)' for t in terms)} END"
    )


def units(expression: str, vendor: str) -> str:
    """A figure as the statement sums it: PostgreSQL's numeric as it is; on SQLite, which stores decimals as
    floating point, a whole number of 0.0001 so that sums are exact."""
    return expression if vendor == "postgresql" else f"CAST(ROUND({expression} * 10000) AS INTEGER)"


def compiled(queryset: QuerySet) -> Statement:
    """An ORM queryset as a piece of the statement."""
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    return Statement().add(sql, params)


def distinct(a: str, b: str, vendor: str) -> str:
    """a and b differ, NULL being a value like any other."""
    return f"{a} IS DISTINCT FROM {b}" if vendor == "postgresql" else f"{a} IS NOT {b}"


# The plan's region and every region below it (UNION: a cycle in the tree ends the walk).
MEMBERS = """members (region_id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION
    SELECT region.id FROM plans_region region JOIN members ON region.parent_id = members.region_id
)"""


def members(*, root: int) -> Statement:
    """The ids of the plan's regions, as a query."""
    return Statement().add(f"WITH RECURSIVE {MEMBERS} SELECT region_id FROM members", [root])  # nosec B608


# The plan's regions, each with the path down to it from the plan's region (a region met again ends the walk,
# as in MEMBERS): where a unit's figures count, read as the levels of one grouping (`_summed_by_paths`).
PATHS = """paths (region_id, path) AS (
    SELECT CAST(%s AS BIGINT), ARRAY[CAST(%s AS BIGINT)]
    UNION ALL
    SELECT region.id, paths.path || region.id
    FROM plans_region region JOIN paths ON region.parent_id = paths.region_id
    WHERE region.id <> ALL (paths.path)
)"""


def depth(*, root: int) -> Statement:
    """How many levels the plan's regions have (1: the plan's region alone), as a query."""
    sql = f"WITH RECURSIVE {PATHS} SELECT MAX(CARDINALITY(path)) FROM paths"  # nosec B608
    return Statement().add(sql, [root, root])


# The series of the grid: indicator, the indicator whose submissions it reads, measure, first year written.
SERIES = [
    ("indicator_id", "BIGINT"),
    ("source", "BIGINT"),
    ("measure", "VARCHAR(16)"),
    ("first_year", "INTEGER"),
]
# The plan's years; `base`: the quarter position (1 = the plan's first quarter) before the year's Q1.
YEARS = [("year", "INTEGER"), ("base", "INTEGER")]
# What `gathered` ends with, per series × region × year: `first_quarter` the year's first quarter with a
# report; `value_before` Σvalue of the plan's earlier years; by quarter q this year so far Σvalue, Σnumerator,
# Σdenominator, and `level` the sum of each unit's latest figure. Then the coverage (COVERAGE) of each quarter
# and `first_gap`, the position of the plan's first quarter up to this year in which an owed figure is not
# approved.
RUNNING = [
    "indicator_id", "region_id", "year", "base", "measure", "first_year", "population", "first_quarter",
    "value_before",
    *[f"{name}_{q}" for name in ("value", "numerator", "denominator", "level") for q in QUARTERS],
]  # fmt: skip
# Of the units owing the series' figure (`reporting.selectors.owed_figures`), in the region: how many owe it,
# and by quarter how many are approved, awaiting review, returned, and missing past the due date.
OWED = "owed"
BY_STATE = {"approved": "approved", "awaiting_review": "submitted", "returned": "returned"}
COVERAGE = [OWED, *BY_STATE, "missing"]
RUNNING += [OWED, *[f"{name}_{q}" for name in COVERAGE[1:] for q in QUARTERS], "first_gap"]


def gathered(
    *,
    root: int,
    counted: QuerySet,
    owing: QuerySet,
    periods: QuerySet,
    excused: QuerySet,
    today,
    series: Sequence[tuple],
    years: Sequence[tuple],
    vendor: str,
    depth: int | None = None,
) -> Statement:
    """WITH RECURSIVE … up to `running` (columns RUNNING): the figures of every series in every region of the
    plan, each region's own and those of the regions below it, and what they stand on.

    `counted`: the submissions sent to the office (every state but draft), as (source indicator, unit, unit's
    region, year, quarter, value, numerator, denominator, figure, state, counts: whether its figure counts);
    `owing`: (source indicator, unit, unit's region) of each figure owed; `periods`: (year, quarter, due_on);
    `excused`: (unit, period, year, quarter) of the office's exceptions still running `today`, when an
    unsent figure is not yet missing; `series`: rows of SERIES; `years`: rows of YEARS; `depth`: on
    PostgreSQL, how many levels the plan's regions have (`depth`), by which the regions' sums are grouped
    (`_summed_by_paths`); without it they are summed over `credit`."""
    value, numerator, denominator, figure, population = (
        units(column, vendor) for column in ("value", "numerator", "denominator", "figure", "people.value")
    )
    by_unit = ",\n        ".join(
        [
            by_quarter(lambda q, expression=expression, name=name: _in_quarter(expression, q, name))
            for expression, name in ((value, "value"), (numerator, "numerator"),
                                     (denominator, "denominator"), (figure, "figure"))
        ]
        + [by_quarter(lambda q: f"MAX(state) FILTER (WHERE quarter = {q}) AS state_{q}")]
    )  # fmt: skip
    by_region = ",\n        ".join(
        [by_quarter(lambda q, name=name: f"SUM({name}_{q}) AS {name}_{q}") for name in SUMMED]
        + [by_quarter(lambda q: f"SUM({first_of([f'figure_{k}' for k in range(q, 0, -1)])}) AS level_{q}")]
        + [
            by_quarter(
                lambda q, name=name, state=state: (
                    f"COUNT(owing.unit_id) FILTER (WHERE state_{q} = '{state}') AS {name}_{q}"
                )
            )
            for name, state in BY_STATE.items()
        ]
    )
    so_far = ",\n        ".join(
        [by_quarter(lambda q, name=name: f"{_so_far(name, q)} AS {name}_{q}") for name in SUMMED]
        + [by_quarter(lambda q: f"region_years.level_{q} AS level_{q}")]
        + [f"COALESCE(region_owed.owed, 0) AS {OWED}"]
        + [
            by_quarter(lambda q, name=name: f"COALESCE(region_years.{name}_{q}, 0) AS {name}_{q}")
            for name in BY_STATE
        ]
        + [by_quarter(lambda q: f"COALESCE(due_years.overdue_{q}, 0) AS overdue_{q}")]
        + [by_quarter(lambda q: f"COALESCE(excused_years.excused_{q}, 0) AS excused_{q}")]
    )
    leading, trailing = ", ".join(RUNNING[:8]), ", ".join(RUNNING[9 : RUNNING.index(OWED) + 1])
    covered = ",\n        ".join(
        [by_quarter(lambda q, name=name: f"{name}_{q}") for name in BY_STATE]
        + [by_quarter(_missing)]
        + [f"{_first_gap()} AS first_gap"]
    )
    summed = _summed_by_paths(by_region, root, depth) if depth else _summed_by_credit(by_region, root)
    statement = Statement().add(
        f"""WITH RECURSIVE
{MEMBERS},{f"{chr(10)}{PATHS}," if depth else ""}
-- A region's figures count in the region and in every region above it up to the plan's.
credit (region_id, ancestor_id) AS (
    SELECT region_id, region_id FROM members
    UNION
    SELECT credit.region_id, region.parent_id
    FROM credit JOIN plans_region region ON region.id = credit.ancestor_id
    WHERE credit.ancestor_id <> %s
),
counted (source, unit_id, unit_region, year, quarter, value, numerator, denominator, figure, state,
         counts) AS (
""",  # nosec B608
        [root, root, *([root, root] if depth else [])],
    )
    statement.extend(compiled(counted))
    statement.add("\n),\nowing (source, unit_id, unit_region) AS (\n").extend(compiled(owing))
    statement.add("\n),\nperiods (year, quarter, due_on) AS (\n").extend(compiled(periods))
    statement.add("\n),\nexcused (unit_id, period_id, year, quarter) AS (\n").extend(compiled(excused))
    statement.add(
        f"""
),
unit_years AS (
    SELECT source, unit_id, unit_region, year, MIN(quarter) FILTER (WHERE counts) AS first_quarter,
        {by_unit}
    FROM counted
    GROUP BY source, unit_id, unit_region, year
),
-- level_q: each unit's latest figure by quarter q, added up. A unit outside the plan's regions reports for
-- the plan: its figures count in the plan's region only. Coverage counts the units owing the figure.
""",  # nosec B608
    )
    statement.extend(summed)
    statement.add(
        f""",
region_owed AS (
    SELECT source, COALESCE(credit.ancestor_id, %s) AS region_id, COUNT(*) AS owed
    FROM owing LEFT JOIN credit ON credit.region_id = owing.unit_region
    GROUP BY source, COALESCE(credit.ancestor_id, %s)
),
-- overdue_q: the quarter's due date has passed (a figure not sent by then is missing) …
due_years AS (
    SELECT year, {by_quarter(_overdue)}
    FROM periods GROUP BY year
),
-- … unless the office let the unit report later and that exception still runs: excused_q such units of
-- the region that have not sent the figure (exceptions are few: the submissions are looked up one by one).
excused_years AS (
    SELECT owing.source, COALESCE(credit.ancestor_id, %s) AS region_id, excused.year,
        {by_quarter(lambda q: f"COUNT(*) FILTER (WHERE excused.quarter = {q}) AS excused_{q}")}
    FROM excused JOIN owing ON owing.unit_id = excused.unit_id
    LEFT JOIN credit ON credit.region_id = owing.unit_region
    WHERE NOT EXISTS (
        SELECT 1 FROM indicators_submission sent WHERE sent.indicator_id = owing.source
            AND sent.unit_id = owing.unit_id AND sent.period_id = excused.period_id AND sent.state <> 'draft'
    )
    GROUP BY owing.source, COALESCE(credit.ancestor_id, %s), excused.year
),
""",  # nosec B608
        [root, root, today, today, today, today, root, root],
    )
    statement.extend(values("series", SERIES, series)).add(",\n").extend(values("years", YEARS, years))
    statement.add(
        f""",
grid AS (
    SELECT series.indicator_id, members.region_id, years.year, years.base, series.measure, series.first_year,
        {population} AS population, region_years.first_quarter,
        {so_far}
    FROM series CROSS JOIN members CROSS JOIN years
    LEFT JOIN region_years ON region_years.source = series.source
        AND region_years.region_id = members.region_id AND region_years.year = years.year
    LEFT JOIN plans_population people ON people.region_id = members.region_id AND people.year = years.year
    LEFT JOIN region_owed ON region_owed.source = series.source AND region_owed.region_id = members.region_id
    LEFT JOIN due_years ON due_years.year = years.year
    LEFT JOIN excused_years ON excused_years.source = series.source
        AND excused_years.region_id = members.region_id AND excused_years.year = years.year
),
running AS (
    SELECT {leading},
        SUM(value_4) OVER {EARLIER} AS value_before,
        {trailing},
        {covered}
    FROM grid
)"""  # nosec B608
    )
    return statement


def _summed_by_credit(by_region: str, root: int) -> Statement:
    """region_years: each unit's year counted in its region and in every region above it (`credit`)."""
    return Statement().add(
        f"""region_years AS (
    SELECT unit_years.source, COALESCE(credit.ancestor_id, %s) AS region_id, year,
        MIN(first_quarter) AS first_quarter,
        {by_region}
    FROM unit_years LEFT JOIN credit ON credit.region_id = unit_years.unit_region
    LEFT JOIN owing ON owing.source = unit_years.source AND owing.unit_id = unit_years.unit_id
    GROUP BY unit_years.source, COALESCE(credit.ancestor_id, %s), year
)""",  # nosec B608
        [root, root],
    )


def _summed_by_paths(by_region: str, root: int, depth: int) -> Statement:
    """region_years on PostgreSQL, the same sums as `_summed_by_credit`: one grouping of the units' years by
    the levels of the path down to their region (ROLLUP), each level's groups those of the regions at that
    level. One sort of the units' years, where counting each in every region above it sorts four times as
    many rows (a national plan: 1.3 million). A group of units whose path ends above the level (NULL there)
    is no region and is left out; a unit outside the plan's regions has no path and counts at its top."""
    levels = [f"paths.path[{level}]" for level in range(2, depth + 1)]
    region = "CAST(%s AS BIGINT)"
    if levels:
        above = [region, *levels[:-1]]
        cases = " ".join(
            f"WHEN GROUPING({level}) = 1 THEN {up}" for level, up in zip(levels, above, strict=True)
        )
        region = f"CASE {cases} ELSE {levels[-1]} END"
    grouped = f", ROLLUP({', '.join(levels)})" if levels else ""
    return Statement().add(
        f"""region_years AS (
    SELECT unit_years.source, {region} AS region_id, year,
        MIN(first_quarter) AS first_quarter,
        {by_region}
    FROM unit_years LEFT JOIN paths ON paths.region_id = unit_years.unit_region
    LEFT JOIN owing ON owing.source = unit_years.source AND owing.unit_id = unit_years.unit_id
    GROUP BY unit_years.source, year{grouped}
    HAVING {region} IS NOT NULL
)""",  # nosec B608
        [root, root],
    )


def _overdue(q: int) -> str:
    return f"MAX(CASE WHEN quarter = {q} AND due_on < %s THEN 1 ELSE 0 END) AS overdue_{q}"


def _missing(q: int) -> str:
    """Owing units that sent nothing for quarter q by its due date, less those an exception still excuses."""
    sent = " + ".join(f"{name}_{q}" for name in BY_STATE)
    return f"CASE WHEN overdue_{q} = 1 THEN {OWED} - ({sent}) - excused_{q} ELSE 0 END AS missing_{q}"


# The series' years before this one: its running sums and its first gap are read over the same window, which
# the database passes over once (two windows cost a second copy of every row: 2% of a national run, measured).
EARLIER = (
    "(PARTITION BY indicator_id, region_id ORDER BY year ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
)


def _gap() -> str:
    """The position of the year's first quarter with an owed figure not approved (NULL: none)."""
    cases = " ".join(f"WHEN approved_{q} < {OWED} THEN base + {q}" for q in QUARTERS)
    return f"CASE {cases} END"


def _first_gap() -> str:
    """The plan's first gap up to this year (`_gap`, NULL: none): the earliest of the earlier years' and this
    year's. A gap of a later year lies past every quarter of this one, where nothing reads it (a quarter's
    row stands on the gaps up to it: `judged_sql._standing`, `pace.complete_through`)."""
    gap, earlier = _gap(), f"MIN({_gap()}) OVER {EARLIER}"
    return f"COALESCE(CASE WHEN {gap} < {earlier} THEN {gap} ELSE {earlier} END, {gap})"


SUMMED = ("value", "numerator", "denominator")


def _in_quarter(expression: str, quarter: int, name: str) -> str:
    return f"MAX({expression}) FILTER (WHERE quarter = {quarter} AND counts) AS {name}_{quarter}"


def _so_far(name: str, quarter: int) -> str:
    return added([f"region_years.{name}_{q}" for q in range(1, quarter + 1)])


TALLY = ["submitted", "on_time", "late", "returned", "approved"]


def timeliness(
    *,
    plan_id: int,
    periods: QuerySet,
    owing: Sequence[QuerySet],
    sent: Sequence[QuerySet],
    today,
    computed_at,
    vendor: str,
) -> Statement:
    """Both databases: every unit owing anything × every period, tallied and upserted into Timeliness where
    its figures changed. `periods`: (id, due_on) of the opened quarters; `owing`: one row (unit id) per item a
    unit owes; `sent`: (unit, period, state, is_late) of each submission and task report of those periods."""
    statement = Statement().add("WITH periods (id, due_on) AS (").extend(compiled(periods))
    statement.add("),\nowing (unit_id) AS (")
    for n, rows in enumerate(owing):
        statement.add(" UNION ALL " if n else "").extend(compiled(rows))
    statement.add("),\nsent (unit_id, period_id, state, is_late) AS (")
    for n, rows in enumerate(sent):
        statement.add(" UNION ALL " if n else "").extend(compiled(rows))
    fields = ["expected", *TALLY, "status"]
    changed = " OR ".join(distinct(f"stored.{name}", f"computed.{name}", vendor) for name in fields)
    statement.add(
        f"""),
owed AS (SELECT unit_id, COUNT(*) AS expected FROM owing GROUP BY unit_id),
tally AS (
    SELECT unit_id, period_id,
        COUNT(*) FILTER (WHERE state <> 'draft') AS submitted,
        COUNT(*) FILTER (WHERE state <> 'draft' AND NOT is_late) AS on_time,
        COUNT(*) FILTER (WHERE state <> 'draft' AND is_late) AS late,
        COUNT(*) FILTER (WHERE state = 'returned') AS returned,
        COUNT(*) FILTER (WHERE state = 'approved') AS approved
    FROM sent
    GROUP BY unit_id, period_id
),
computed AS (
    SELECT owed.unit_id, periods.id AS period_id, owed.expected,
        {", ".join(f"COALESCE(tally.{name}, 0) AS {name}" for name in TALLY)},
        CASE WHEN COALESCE(tally.returned, 0) > 0 THEN 'returned'
             WHEN COALESCE(tally.submitted, 0) >= owed.expected THEN
                 CASE WHEN COALESCE(tally.late, 0) > 0 THEN 'late' ELSE 'on_time' END
             WHEN %s < periods.due_on THEN 'not_due'
             ELSE 'missing'
        END AS status
    FROM owed CROSS JOIN periods
    LEFT JOIN tally ON tally.unit_id = owed.unit_id AND tally.period_id = periods.id
)
INSERT INTO indicators_timeliness (plan_id, unit_id, period_id, {", ".join(fields)}, computed_at)
SELECT %s, computed.unit_id, computed.period_id, {", ".join(f"computed.{name}" for name in fields)}, %s
FROM computed
LEFT JOIN indicators_timeliness stored ON stored.plan_id = %s AND stored.unit_id = computed.unit_id
    AND stored.period_id = computed.period_id
WHERE stored.id IS NULL OR {changed}
ON CONFLICT (plan_id, unit_id, period_id) DO UPDATE SET
    {", ".join(f"{name} = excluded.{name}" for name in fields)}, computed_at = excluded.computed_at""",  # nosec B608
        [today, plan_id, computed_at, plan_id],
    )
    return statement
