"""The roll-up's statements: approved submissions → one Progress row per indicator × region × quarter.

`gathered` is the part both databases run: the plan's regions (a recursive walk down from the plan's region),
the submissions that count (an ORM queryset, `rollup.counted`), each unit's reports of a year side by side
(a column per quarter: a unit reports an indicator at most once a quarter), their sums in every region above
the unit, and a dense grid of series × region × year with this year's running figures by quarter. Working a
year at a time keeps every aggregate and window to a quarter of the rows. `judged` continues it on PostgreSQL
into the whole judgement of `indicators.pace` — actual, expected pace, status, completion, forecast, still
needed — turns each year into its four quarters and writes them with one INSERT … SELECT … ON CONFLICT DO
UPDATE.

Exactness: a figure is a fraction n/d — d is 1 except for rates (Σdenominator) and per-capita figures
(population) — and every comparison is made by cross-multiplying, so a status boundary is exact. Each written
figure is rounded once, half away from zero at 4 places, with integer division (`DIV`) rather than a decimal
quotient that could round twice. PostgreSQL's numeric is exact for + − × at any size; SQLite has no exact
decimal type, so there the statement stops at the running sums (as whole numbers of 0.0001) and
`indicators.pace` judges them in Python (`rollup._progress_in_python`). `timeliness` tallies each unit's
reporting and upserts it, on both databases.

Only constants of this module, the measure registry's keys and parameters go into the text: no value is ever
formatted into it. Where the judgement differs by measure kind, the statement branches on the series'
`measure` as the registry (`indicators.measures`) decides: which kinds are levels, restart each year, are
rates, and how each reads a year (`READ`, `DIVIDED`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet

from indicators.measures import MEASURES, Measure, Reading, keys_where
from progress import pace

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
# Σdenominator, and `level` the sum of each unit's latest figure.
RUNNING = [
    "indicator_id", "region_id", "year", "base", "measure", "first_year", "population", "first_quarter",
    "value_before",
    *[f"{name}_{q}" for name in ("value", "numerator", "denominator", "level") for q in QUARTERS],
]  # fmt: skip


def gathered(
    *, root: int, counted: QuerySet, series: Sequence[tuple], years: Sequence[tuple], vendor: str
) -> Statement:
    """WITH RECURSIVE … up to `running` (columns RUNNING): the figures of every series in every region of the
    plan, each region's own and those of the regions below it.

    `counted`: the submissions that count, as (source indicator, unit, unit's region, year, quarter, value,
    numerator, denominator, figure); `series`: rows of SERIES; `years`: rows of YEARS."""
    value, numerator, denominator, figure, population = (
        units(column, vendor) for column in ("value", "numerator", "denominator", "figure", "people.value")
    )
    by_unit = ",\n        ".join(
        by_quarter(lambda q, expression=expression, name=name: _in_quarter(expression, q, name))
        for expression, name in ((value, "value"), (numerator, "numerator"), (denominator, "denominator"),
                                 (figure, "figure"))
    )  # fmt: skip
    by_region = ",\n        ".join(
        [by_quarter(lambda q, name=name: f"SUM({name}_{q}) AS {name}_{q}") for name in SUMMED]
        + [by_quarter(lambda q: f"SUM({first_of([f'figure_{k}' for k in range(q, 0, -1)])}) AS level_{q}")]
    )
    so_far = ",\n        ".join(
        [by_quarter(lambda q, name=name: f"{_so_far(name, q)} AS {name}_{q}") for name in SUMMED]
        + [by_quarter(lambda q: f"region_years.level_{q} AS level_{q}")]
    )
    leading, trailing = ", ".join(RUNNING[:8]), ", ".join(RUNNING[9:])
    statement = Statement().add(
        f"""WITH RECURSIVE
{MEMBERS},
-- A region's figures count in the region and in every region above it up to the plan's.
credit (region_id, ancestor_id) AS (
    SELECT region_id, region_id FROM members
    UNION
    SELECT credit.region_id, region.parent_id
    FROM credit JOIN plans_region region ON region.id = credit.ancestor_id
    WHERE credit.ancestor_id <> %s
),
counted (source, unit_id, unit_region, year, quarter, value, numerator, denominator, figure) AS (
""",  # nosec B608
        [root, root],
    )
    statement.extend(compiled(counted))
    statement.add(
        f"""
),
unit_years AS (
    SELECT source, unit_region, year, MIN(quarter) AS first_quarter,
        {by_unit}
    FROM counted
    GROUP BY source, unit_id, unit_region, year
),
-- level_q: each unit's latest figure by quarter q, added up. A unit outside the plan's regions reports for
-- the plan: its figures count in the plan's region only.
region_years AS (
    SELECT source, COALESCE(credit.ancestor_id, %s) AS region_id, year, MIN(first_quarter) AS first_quarter,
        {by_region}
    FROM unit_years LEFT JOIN credit ON credit.region_id = unit_years.unit_region
    GROUP BY source, COALESCE(credit.ancestor_id, %s), year
),
""",  # nosec B608
        [root, root],
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
),
running AS (
    SELECT {leading},
        SUM(value_4) OVER (PARTITION BY indicator_id, region_id ORDER BY year
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS value_before,
        {trailing}
    FROM grid
)"""  # nosec B608
    )
    return statement


SUMMED = ("value", "numerator", "denominator")


def _in_quarter(expression: str, quarter: int, name: str) -> str:
    return f"MAX({expression}) FILTER (WHERE quarter = {quarter}) AS {name}_{quarter}"


def _so_far(name: str, quarter: int) -> str:
    return added([f"region_years.{name}_{q}" for q in range(1, quarter + 1)])


# What `indicators.pace` decides without the figures, per indicator × year × (the plan's region or one below
# it), as `rollup._facts` works it out with pace's own functions.
FACTS = [
    ("indicator_id", "BIGINT"),
    ("year", "INTEGER"),
    ("at_root", "BOOLEAN"),
    ("goal_cmp", "VARCHAR(8)"),  # the year's target, where the region is judged against the plan's targets
    ("goal_min", "NUMERIC"),
    ("goal_max", "NUMERIC"),
    ("goal_aim", "NUMERIC"),  # its figure, except for growth (last year's actual) and done
    ("follows_actual", "BOOLEAN"),  # the pace starts from last year's actual when there is one …
    ("opening", "NUMERIC"),  # … else from this (pace.opening)
    ("previous", "NUMERIC"),  # a baseline of last year: the growth bar without last year's actual
    ("ahead_value", "NUMERIC"),  # a level without a target this year heads for a later one (pace.ahead) …
    ("ahead_quarters", "INTEGER"),  # … reached this many quarters after the end of last year
    ("ahead_cmp", "VARCHAR(8)"),
    ("final_value", "NUMERIC"),  # a level's last stated target (pace.final), due at this position
    ("final_position", "INTEGER"),
    ("final_cmp", "VARCHAR(8)"),
    ("anchor_last", "NUMERIC"),  # where a level's trend may start (pace.anchors): at the end of last year …
    ("anchor_before_position", "INTEGER"),  # … or the latest one before that
    ("anchor_before", "NUMERIC"),
]


def rounded(n: str, d: str, *, d_positive: bool = True) -> str:
    """n/d rounded half away from zero (Python's ROUND_HALF_UP) to 4 places, exactly: DIV truncates the exact
    quotient, where a decimal quotient would first be rounded to some precision. Pass `d_positive=False`
    where a target or a baseline below zero could make d negative."""
    if not d_positive:
        return f"(SIGN({n}) * SIGN({d}) * DIV(ABS({n}) * 20000 + ABS({d}), 2 * ABS({d})) * 0.0001)"
    return f"(SIGN({n}) * DIV(ABS({n}) * 20000 + {d}, 2 * {d}) * 0.0001)"


# A year's actual at quarter q as each reading takes it from the running figures: the numerator of the
# fraction an_q/ad_q …
READ = {
    Reading.LATEST: lambda q: f"level_{q}",
    Reading.YEAR_SUM: lambda q: f"value_{q}",
    Reading.RUNNING_SUM: lambda q: added(["value_before", f"value_{q}"]),
    Reading.RATE: lambda q: f"CASE WHEN denominator_{q} <> 0 THEN COALESCE(numerator_{q}, 0) * 100 END",
    Reading.PER_POPULATION: lambda q: f"CASE WHEN population IS NOT NULL THEN level_{q} END",
    Reading.STATUS: lambda q: f"CASE WHEN level_{q} >= 1 THEN 1 ELSE 0 END",
}
# … and its denominator, 1 unless named here.
DIVIDED = {Reading.RATE: lambda q: f"denominator_{q}", Reading.PER_POPULATION: lambda q: "population"}


def _actual(q: int) -> str:
    cases = "\n            ".join(
        f"WHEN '{key}' THEN {READ[kind.reads_year_as](q)}" for key, kind in MEASURES.items()
    )
    return f"""CASE WHEN first_quarter <= {q} THEN CASE measure
            {cases}
        END END AS an_{q}"""


def _denominator(q: int) -> str:
    cases = " ".join(
        f"WHEN '{key}' THEN {DIVIDED[kind.reads_year_as](q)}"
        for key, kind in MEASURES.items()
        if kind.reads_year_as in DIVIDED
    )
    return f"CASE measure {cases} ELSE 1 END AS ad_{q}"


def _reference(q: int) -> str:
    """Where a level's trend to quarter q starts (pace.forecast): the earliest point of the four quarters
    before it — last year's Q4 may be a baseline or the plan's start — else the latest point before those; as
    ref_position_q, ref_n_q, ref_d_q."""
    points = (
        [(f"last_n_{k}", f"base - {4 - k}", f"last_n_{k}", f"last_d_{k}") for k in range(q, 4)]
        + [("end_n", "base", "end_n", "end_d")]
        + [(f"an_{k}", f"base + {k}", f"an_{k}", f"ad_{k}") for k in range(1, q)]
        + [(f"last_n_{k}", f"base - {4 - k}", f"last_n_{k}", f"last_d_{k}") for k in range(q - 1, 0, -1)]
        + [("before_n", "before_position", "before_n", "before_d")]
    )
    return ",\n        ".join(
        "CASE WHEN is_level THEN CASE "
        + " ".join(f"WHEN {present} IS NOT NULL THEN {point[part]}" for present, *point in points)
        + f" END END AS ref_{name}_{q}"
        for part, name in ((0, "position"), (1, "n"), (2, "d"))
    )


def _judged(q: int) -> str:
    """Quarter q of a year's row: the Progress row's figures, each as pace.judge works it out."""
    an, ad, position = f"an_{q}", f"ad_{q}", f"(base + {q})"
    expected = f"(e0 + e1 * {q})"  # the expected pace × e_den
    shortfall = f"(CASE WHEN path_cmp = 'lte' THEN -1 ELSE 1 END) * ({expected} * {ad} - {an} * e_den)"
    trend = f"ref_d_{q} * ({position} - ref_position_{q})"  # ref_d × quarters since the trend's start
    trend_n = (
        f"GREATEST({an} * {trend} + ({an} * ref_d_{q} - ref_n_{q} * {ad}) * (end_position - {position}), 0)"
    )
    gap = f"(need_vn * {ad} - {an} * need_vd)"
    remaining = f"(CASE WHEN measure IN {RESTARTING} THEN {4 - q} ELSE final_position - base - {q} END)"
    actual = rounded(an, ad)
    above_ceiling = rounded(f"goal_max * {ad} * 100", an, d_positive=False)
    of_last_year = rounded(f"{an} * pd * 100", f"{ad} * pn", d_positive=False)
    of_target = rounded(f"{an} * 100", f"{ad} * goal_min", d_positive=False)
    on_pace = rounded(expected, "e_den")
    annualised = rounded(f"{an} * 4", f"{ad} * {q}")
    extended = rounded(trend_n, f"{ad} * {trend}")
    reduction = rounded(f"LEAST({gap}, 0)", f"need_vd * {ad} * {remaining}")
    still = rounded(f"GREATEST({gap}, 0)", f"need_vd * {ad} * {remaining}")
    return f"""CASE WHEN {an} IS NULL THEN NULL WHEN {ad} = 1 THEN {an} ELSE {actual} END AS actual_{q},
        CASE WHEN {an} IS NULL OR goal_cmp IS NULL THEN NULL
             WHEN goal_cmp = 'lte' THEN CASE WHEN {an} <= goal_max * {ad} THEN 100 ELSE {above_ceiling} END
             WHEN goal_cmp = 'done' THEN CASE WHEN {an} >= {ad} THEN 100 ELSE 0 END
             WHEN goal_cmp = 'growth' THEN CASE WHEN pn <> 0 THEN {of_last_year} END
             WHEN goal_min <> 0 THEN {of_target}
        END AS completion_{q},
        CASE WHEN e_den IS NOT NULL THEN {on_pace} END AS expected_{q},
        CASE WHEN {an} IS NULL THEN 'no_data'
             WHEN CASE goal_cmp
                      WHEN 'gte' THEN {an} >= goal_min * {ad}
                      WHEN 'between' THEN {an} >= goal_min * {ad}
                      WHEN 'gt' THEN {an} > goal_min * {ad}
                      WHEN 'lte' THEN {an} <= goal_max * {ad}
                      WHEN 'growth' THEN {an} * pd > pn * {ad}
                      WHEN 'done' THEN {an} >= {ad}
                  END THEN 'achieved'
             WHEN e_den IS NULL THEN
                 CASE WHEN {q} = 4 AND goal_cmp IS NOT NULL AND (goal_cmp <> 'growth' OR pn IS NOT NULL)
                      THEN 'behind' ELSE 'on_track' END
             WHEN {shortfall} <= 0 THEN 'on_track'
             WHEN e1 = 0 THEN 'behind'
             WHEN {shortfall} * 100 < at_risk_from * ABS(e1) * 4 * {ad} THEN 'on_track'
             WHEN {shortfall} * 100 <= behind_from * ABS(e1) * 4 * {ad} THEN 'at_risk'
             ELSE 'behind'
        END AS status_{q},
        CASE WHEN {an} IS NULL THEN NULL
             WHEN measure IN {RESTARTING} THEN {annualised}
             WHEN measure IN {RATES} THEN {actual}
             WHEN ref_position_{q} IS NULL THEN NULL
             ELSE {extended}
        END AS forecast_{q},
        CASE WHEN {an} IS NULL OR need_vn IS NULL OR {remaining} <= 0 THEN NULL
             WHEN need_cmp = 'lte' THEN {reduction}
             ELSE {still}
        END AS needed_{q}"""


def _quarter_row(q: int) -> str:
    return (
        f"({q}, actual_{q}, goal_min, goal_max, completion_{q}, expected_{q}, status_{q}, forecast_{q},"
        f" needed_{q})"
    )


# A Progress row's figures, in the order `_quarter_row` lists them.
FIELDS = [field.name for field in dataclasses.fields(pace.Judgement)]


def judged(
    gathered: Statement,
    *,
    plan_id: int,
    root: int,
    facts: Sequence[tuple],
    end_position: int,
    at_risk_from,
    behind_from,
    computed_at,
    only_changed: bool,
) -> Statement:
    """PostgreSQL: `gathered` judged and upserted into Progress in the same statement, which returns (regions
    of the plan, rows written). With `only_changed`, rows already stored with these figures are left alone
    (a rerun writes nothing); otherwise every row of the series from its first year is written."""
    statement = Statement().extend(gathered).add(",\n").extend(values("facts", FACTS, facts))
    latest = first_of(
        [f"CASE WHEN an_{q} IS NOT NULL THEN ARRAY[base + {q}, an_{q}, ad_{q}] END" for q in (4, 3, 2, 1)]
    )
    statement.add(
        f""",
-- This year's actual by quarter as the fraction an_q/ad_q (ad is 1 but for rates and per-capita figures). A
-- quarter has one only once something was reported that year.
actual_years AS (
    SELECT indicator_id, region_id, year, base, measure, first_year, measure IN {LEVELS} AS is_level,
        {by_quarter(_actual)},
        {by_quarter(_denominator)}
    FROM running
),
-- Last year's actuals; and for a level's trend the latest actual of the years before last, [position, n, d].
lagged_years AS (
    SELECT actual_years.*,
        {by_quarter(lambda q: f"LAG(an_{q}) OVER by_year AS last_n_{q}")},
        {by_quarter(lambda q: f"LAG(ad_{q}) OVER by_year AS last_d_{q}")},
        MAX(CASE WHEN is_level THEN {latest} END)
            OVER (by_year ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING) AS before_actual
    FROM actual_years
    WINDOW by_year AS (PARTITION BY indicator_id, region_id ORDER BY year)
),
-- previous (pn/pd): the bar growth must clear; start (sn/sd): where the year's pace starts; end (end_n/
-- end_d): the point at the end of last year a level's trend may start from (an actual, a baseline, the plan's
-- start); before: the latest point before that.
opened_years AS (
    SELECT lagged_years.*, goal_cmp, goal_min, goal_max, goal_aim, ahead_value, ahead_quarters, ahead_cmp,
        final_value, final_position, final_cmp,
        CASE WHEN last_n_4 IS NOT NULL THEN last_n_4 ELSE facts.previous END AS pn,
        CASE WHEN last_n_4 IS NOT NULL THEN last_d_4 ELSE 1 END AS pd,
        CASE WHEN follows_actual AND last_n_4 IS NOT NULL THEN last_n_4 ELSE opening END AS sn,
        CASE WHEN follows_actual AND last_n_4 IS NOT NULL THEN last_d_4 ELSE 1 END AS sd,
        COALESCE(last_n_4, anchor_last) AS end_n,
        CASE WHEN last_n_4 IS NOT NULL THEN last_d_4 ELSE 1 END AS end_d,
        CASE WHEN before_actual IS NOT NULL AND (anchor_before IS NULL
                  OR before_actual[1] >= anchor_before_position) THEN before_actual[1]
             ELSE anchor_before_position END AS before_position,
        CASE WHEN before_actual IS NOT NULL AND (anchor_before IS NULL
                  OR before_actual[1] >= anchor_before_position) THEN before_actual[2]
             ELSE anchor_before END AS before_n,
        CASE WHEN before_actual IS NOT NULL AND (anchor_before IS NULL
                  OR before_actual[1] >= anchor_before_position) THEN before_actual[3]
             ELSE 1 END AS before_d
    FROM lagged_years JOIN facts ON facts.indicator_id = lagged_years.indicator_id
        AND facts.year = lagged_years.year AND facts.at_root = (lagged_years.region_id = %s)
    WHERE lagged_years.year >= lagged_years.first_year
),
-- The year's line from sn/sd to vn/vd over n quarters (pace.Path): the expected pace at quarter q is
-- (e0 + e1·q)/e_den. What still-needed aims at: need_vn/need_vd.
planned_years AS (
    SELECT opened_years.*, path_cmp, sn * vd * n AS e0, vn * sd - sn * vd AS e1,
        CASE WHEN sn IS NOT NULL AND vn IS NOT NULL THEN sd * vd * n END AS e_den,
        CASE WHEN measure IN {RESTARTING} THEN CASE WHEN goal_cmp = 'growth' THEN pn ELSE goal_aim END
             WHEN is_level THEN final_value END AS need_vn,
        CASE WHEN measure IN {RESTARTING} AND goal_cmp = 'growth' THEN pd ELSE 1 END AS need_vd,
        CASE WHEN measure IN {RESTARTING} THEN goal_cmp ELSE final_cmp END AS need_cmp,
        CAST(%s AS NUMERIC) AS at_risk_from, CAST(%s AS NUMERIC) AS behind_from, %s AS end_position,
        {by_quarter(_reference)}
    FROM opened_years CROSS JOIN LATERAL (
        SELECT CASE WHEN goal_cmp IS NULL THEN ahead_value WHEN goal_cmp = 'growth' THEN pn
                    ELSE goal_aim END AS vn,
               CASE WHEN goal_cmp = 'growth' THEN pd ELSE 1 END AS vd,
               CASE WHEN goal_cmp IS NULL THEN ahead_quarters ELSE 4 END AS n,
               COALESCE(goal_cmp, ahead_cmp) AS path_cmp
    ) line
    OFFSET 0
),
-- (OFFSET 0 keeps each year's figures computed once, before its quarters are taken apart.)
judged_years AS (
    SELECT indicator_id, region_id, year, goal_min, goal_max,
        {by_quarter(_judged)}
    FROM planned_years
    OFFSET 0
),
outcome AS (
    SELECT indicator_id, region_id, year, quarterly.*
    FROM judged_years CROSS JOIN LATERAL (VALUES
        {by_quarter(_quarter_row)}
    ) AS quarterly (quarter, {", ".join(FIELDS)})
),
""",  # nosec B608
        [root, at_risk_from, behind_from, end_position],
    )
    stored = ", ".join(f"stored.{name}" for name in FIELDS)
    computed = ", ".join(f"outcome.{name}" for name in FIELDS)
    changed = (
        f"""
    LEFT JOIN indicators_progress stored ON stored.indicator_id = outcome.indicator_id
        AND stored.region_id = outcome.region_id AND stored.year = outcome.year
        AND stored.quarter = outcome.quarter
    WHERE stored.id IS NULL OR (stored.plan_id, {stored}) IS DISTINCT FROM (CAST(%s AS BIGINT), {computed})"""
        if only_changed
        else ""
    )
    statement.add(
        f"""written AS (
    INSERT INTO indicators_progress
        (plan_id, indicator_id, region_id, year, quarter, {", ".join(FIELDS)}, computed_at)
    SELECT %s, outcome.indicator_id, outcome.region_id, outcome.year, outcome.quarter, {computed}, %s
    FROM outcome{changed}
    ON CONFLICT (indicator_id, region_id, year, quarter) DO UPDATE SET plan_id = EXCLUDED.plan_id,
        {", ".join(f"{name} = EXCLUDED.{name}" for name in FIELDS)}, computed_at = EXCLUDED.computed_at
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM members), (SELECT COUNT(*) FROM written)""",  # nosec B608
        [plan_id, computed_at, *([plan_id] if only_changed else [])],
    )
    return statement


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
