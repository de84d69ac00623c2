"""The roll-up's judgement on PostgreSQL: `judged` continues the statement `rollup_sql.gathered` builds into
the whole judgement of `progress.pace` — actual, expected pace, status, completion, forecast and still needed
(standing on complete quarters only), and what each row stands on — turns each year into its four quarters
and writes them with one INSERT … SELECT (… ON CONFLICT DO UPDATE where rows are stored: `Write`).

Exactness: a figure is a fraction n/d — d is 1 except for rates (Σdenominator) and per-capita figures
(population) — and every comparison is made by cross-multiplying, so a status boundary is exact. Each written
figure is rounded once, half away from zero at 4 places, with integer division (`DIV`) rather than a decimal
quotient that could round twice. SQLite has no exact decimal type: there `progress.pace` judges the gathered
figures in Python (`rollup._progress_in_python`).

Only constants of this module and of `rollup_sql`, the measure registry's keys and parameters go into the
text: no value is ever formatted into it.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence

from indicators.measures import MEASURES, Reading
from progress import pace
from progress.rollup_sql import (
    COVERAGE,
    LEVELS,
    OWED,
    QUARTERS,
    RATES,
    RESTARTING,
    RUNNING,
    Statement,
    added,
    by_quarter,
    first_of,
    values,
)

# What a year's rows stand on: its coverage by quarter and the plan's first gap (`rollup_sql.RUNNING`). It
# joins the judged rows only after the judgement: carried through every step of it, these 18 columns cost
# more than judging the figures (every step copies its rows); read from `running` a second time they cost
# one copy of it.
COVERED = ["indicator_id", "region_id", "year", *RUNNING[RUNNING.index(OWED) :]]

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


def rounded(n: str, d: str, *, d_positive: bool = True, n_nonnegative: bool = False) -> str:
    """n/d rounded half away from zero (Python's ROUND_HALF_UP) to 4 places, exactly: DIV truncates the exact
    quotient, where a decimal quotient would first be rounded to some precision. Pass `d_positive=False`
    where a target or a baseline below zero could make d negative, and `n_nonnegative=True` where n cannot be
    below zero (a GREATEST(…, 0)): then n is written once, its sign being no question (n = 0 gives 0 either
    way)."""
    if not d_positive:
        return f"(SIGN({n}) * SIGN({d}) * DIV(ABS({n}) * 20000 + ABS({d}), 2 * ABS({d})) * 0.0001)"
    if n_nonnegative:
        return f"(DIV({n} * 20000 + {d}, 2 * {d}) * 0.0001)"
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
    extended = rounded(trend_n, f"{ad} * {trend}", n_nonnegative=True)
    reduction = rounded(f"LEAST({gap}, 0)", f"need_vd * {ad} * {remaining}")
    still = rounded(f"GREATEST({gap}, 0)", f"need_vd * {ad} * {remaining}", n_nonnegative=True)
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


def _standing(q: int) -> str:
    """What quarter q of a year's row stands on (pace.complete_through, pace.basis): the position of the last
    quarter up to q through which every owed figure is approved, as (complete_year_q, complete_quarter_q),
    and `basis_q`, how many quarters of the year the forecast and the pace still needed stand on."""
    position = (
        f"(CASE WHEN first_gap IS NULL OR first_gap > base + {q} THEN base + {q} ELSE first_gap - 1 END)"
    )
    return f"""CASE WHEN first_gap IS NULL OR first_gap > base + {q} THEN {q}
             WHEN first_gap > base + 1 THEN first_gap - base - 1 END AS basis_{q},
        CASE WHEN {position} >= 1 THEN year - base / 4 + ({position} - 1) / 4 END AS complete_year_{q},
        CASE WHEN {position} >= 1 THEN MOD({position} - 1, 4) + 1 END AS complete_quarter_{q}"""


def _stood(q: int) -> str:
    """The forecast and still needed of the quarter that quarter q's basis names (`_standing`), told from the
    first gap itself so that one step computes both."""
    earlier = " ".join(f"WHEN first_gap = base + {k + 1} THEN {{name}}_{k}" for k in range(q - 1, 0, -1))
    return ",\n        ".join(
        f"CASE WHEN first_gap IS NULL OR first_gap > base + {q} THEN {name}_{q} {earlier.format(name=name)}"
        f" END AS stood_{name}_{q}"
        for name in ("forecast", "needed")
    )


def _quarter_fields(q: int) -> list[str]:
    """Quarter q's Progress row, in the order of FIELDS: its own figures, the forecast and still needed
    standing on complete quarters (with their basis when there is either), and its coverage."""
    return [
        f"actual_{q}", "goal_min", "goal_max", f"completion_{q}", f"expected_{q}", f"status_{q}",
        f"stood_forecast_{q}", f"stood_needed_{q}",
        f"CASE WHEN stood_forecast_{q} IS NOT NULL OR stood_needed_{q} IS NOT NULL THEN basis_{q} END",
        OWED, *(f"{name}_{q}" for name in COVERAGE[1:]), f"complete_year_{q}", f"complete_quarter_{q}",
    ]  # fmt: skip


def _quarterly(name: str, by_quarter: list[str]) -> str:
    """A field of the quarter's row, picked from the year's row by the quarter: a CASE rather than a VALUES
    list per year, whose expressions PostgreSQL would set up anew for every year's row."""
    if len(set(by_quarter)) == 1:
        return f"{by_quarter[0]} AS {name}"
    cases = " ".join(f"WHEN {q} THEN {term}" for q, term in zip(QUARTERS[:-1], by_quarter, strict=False))
    return f"CASE quarters.quarter {cases} ELSE {by_quarter[-1]} END AS {name}"


# A Progress row's figures, in the order `_quarter_fields` lists them: pace's judgement, then the coverage.
FIELDS = [
    *(field.name for field in dataclasses.fields(pace.Judgement)),
    *COVERAGE,
    "complete_year",
    "complete_quarter",
]


def _outcome() -> str:
    """The fields of a quarter's Progress row (FIELDS), each picked from its year's row."""
    rows = [_quarter_fields(q) for q in QUARTERS]
    return ",\n        ".join(_quarterly(name, [row[n] for row in rows]) for n, name in enumerate(FIELDS))


class Write(enum.Enum):
    """How `judged` writes its rows. CHANGED (a full run): upserted, leaving alone the rows already stored
    with these figures, so that a rerun writes nothing; ALL (an incremental run): every row of the series
    from its first year upserted; NEW (the plan has no progress rows yet: its first run, or the first after
    its rows were removed): a plain INSERT, with nothing stored to compare or to conflict with."""

    CHANGED = "changed"
    ALL = "all"
    NEW = "new"


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
    write: Write,
) -> Statement:
    """PostgreSQL: `gathered` judged and written into Progress in the same statement, which returns the
    number of regions of the plan. How the rows are written: see `Write`."""
    statement = Statement().extend(gathered).add(",\n").extend(values("facts", FACTS, facts))
    latest = first_of(
        [f"CASE WHEN an_{q} IS NOT NULL THEN ARRAY[base + {q}, an_{q}, ad_{q}] END" for q in (4, 3, 2, 1)]
    )
    statement.add(
        f""",
coverage AS (
    SELECT {", ".join(COVERED)} FROM running
),
-- This year's actual by quarter as the fraction an_q/ad_q (ad is 1 but for rates and per-capita figures). A
-- quarter has one only once something was reported that year.
actual_years AS (
    SELECT indicator_id, region_id, year, base, measure, first_year, measure IN {LEVELS} AS is_level,
        {by_quarter(_actual)},
        {by_quarter(_denominator)}
    FROM running
),
-- Last year's actuals; and for a level's trend the latest actual of the years before last, [position, n, d].
-- One window: LAG reads the rows before whatever its frame (the frame is the years before last).
lagged_years AS (
    SELECT actual_years.*,
        {by_quarter(lambda q: f"LAG(an_{q}) OVER by_year AS last_n_{q}")},
        {by_quarter(lambda q: f"LAG(ad_{q}) OVER by_year AS last_d_{q}")},
        MAX(CASE WHEN is_level THEN {latest} END)
            OVER by_year AS before_actual
    FROM actual_years
    WINDOW by_year AS (PARTITION BY indicator_id, region_id ORDER BY year
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING)
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
    SELECT indicator_id, region_id, year, base, goal_min, goal_max,
        {by_quarter(_judged)}
    FROM planned_years
    OFFSET 0
),
-- What each quarter stands on: its coverage, the last complete quarter, how many quarters of the year the
-- forecast and still needed stand on, and those of that quarter, picked once per year.
standing_years AS (
    SELECT judged_years.*, {", ".join(COVERED[3:])},
        {by_quarter(_standing)},
        {by_quarter(_stood)}
    FROM judged_years JOIN coverage USING (indicator_id, region_id, year)
    OFFSET 0
),
outcome AS (
    SELECT indicator_id, region_id, year, quarters.quarter,
        {_outcome()}
    FROM standing_years CROSS JOIN (VALUES (1), (2), (3), (4)) AS quarters (quarter)
    OFFSET 0
),
""",  # nosec B608
        [root, at_risk_from, behind_from, end_position],
    )
    computed = ", ".join(f"outcome.{name}" for name in FIELDS)
    stored = ", ".join(f"stored.{name}" for name in FIELDS)
    changed = (
        f"""
    LEFT JOIN indicators_progress stored ON stored.indicator_id = outcome.indicator_id
        AND stored.region_id = outcome.region_id AND stored.year = outcome.year
        AND stored.quarter = outcome.quarter
    WHERE stored.id IS NULL OR (stored.plan_id, {stored}) IS DISTINCT FROM (CAST(%s AS BIGINT), {computed})"""
        if write == Write.CHANGED
        else ""
    )
    upsert = (
        ""
        if write == Write.NEW
        else f"""
    ON CONFLICT (indicator_id, region_id, year, quarter) DO UPDATE SET plan_id = EXCLUDED.plan_id,
        {", ".join(f"{name} = EXCLUDED.{name}" for name in FIELDS)}, computed_at = EXCLUDED.computed_at"""  # nosec B608
    )
    statement.add(
        f"""written AS (
    INSERT INTO indicators_progress
        (plan_id, indicator_id, region_id, year, quarter, {", ".join(FIELDS)}, computed_at)
    SELECT %s, outcome.indicator_id, outcome.region_id, outcome.year, outcome.quarter, {computed}, %s
    FROM outcome{changed}{upsert}
)
SELECT COUNT(*) FROM members""",  # nosec B608
        [plan_id, computed_at, *([plan_id] if write == Write.CHANGED else [])],
    )
    return statement
