"""The roll-up engine: approved submissions → `Progress` (plan × indicator × region × year × quarter) and
`Timeliness` (plan × unit × quarter). Dashboards, the progress API and Excel read only those tables.

Set-based, a fixed number of statements per plan whatever the number of submissions (`rollup_sql`):
1. one statement gathers the approved figures of the plan's indicators — each unit's reports of a year side by
   side, their sums in the unit's region and every region above it, running sums over every indicator ×
   region × year, and the coverage of each quarter (of the units owing the figure: approved, awaiting review,
   returned, missing past the due date) — and, on PostgreSQL, judges every quarter as `progress.pace` does
   (exactly: fractions, cross-multiplied comparisons, one half-up rounding; `judged_sql`) and upserts the
   Progress rows — in a full run only those whose figures changed (all of them by a plain INSERT when the
   plan has none yet), in an incremental run every row of its keys; SQLite, without exact decimal
   arithmetic, hands the gathered series to `progress.pace` here;
2. one statement tallies each unit's reporting and upserts the Timeliness rows that changed.
Everything a plan's run writes happens in one transaction under a lock on the plan row: a run killed midway
leaves the previous rows, two runs of one plan never interleave, and a rerun writes identical rows.

Entry points: `rollup_schedule` (reporting services, inside the approving transaction), `rollup_pending`
(the Celery task it dispatches, also every few minutes from beat), `rollup_keys`, `rollup_full` (nightly
beat and `manage.py rollup`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from fractions import Fraction

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from indicators.measures import MEASURES, Reading
from indicators.models import Assignment, Indicator, RollupPending, Target
from plans.models import Plan
from progress import judged_sql, pace, rollup_sql
from progress.models import Progress, RollupRun, Timeliness
from reporting.models import Period, PeriodException, ReviewState, Submission, TaskReport
from reporting.selectors import owed_figures, owed_tasks

logger = logging.getLogger(__name__)

BATCH = 1000
WORK_MEM = "256MB"
PROGRESS_FIELDS = ["plan", *judged_sql.FIELDS, "computed_at"]


def rollup_full(*, plan: Plan | None = None) -> RollupRun:
    """Recompute every progress and timeliness row of `plan` (all plans when None) and drain its queued keys.

    Returns the run log row. On failure the error is recorded on the run and re-raised; each plan is written
    in its own transaction, so a failed plan keeps its previous rows and a rerun repairs it."""
    plans = [plan] if plan is not None else list(Plan.objects.order_by("pk"))

    def work() -> tuple[int, dict]:
        rows = sum(_locked(each, lambda locked: _refresh(locked, since=None, drain=True)) for each in plans)
        return rows, {"plans": [each.slug for each in plans]}

    return _logged(RollupRun.Kind.FULL, plan, work)


def rollup_keys(*, keys: Iterable[tuple[int, int]]) -> RollupRun:
    """Recompute the progress of these (indicator id, year) keys: the indicator and the indicators computed
    from it, in every region of its plan, from that year on; and the plan's timeliness for those years."""
    keys = sorted(set(keys))
    by_plan = _keys_by_plan(keys)

    def work() -> tuple[int, dict]:
        rows = sum(
            _locked(plan, lambda locked, mine=mine: _incremental(locked, mine)) for plan, mine in by_plan
        )
        return rows, {"keys": [list(key) for key in keys]}

    return _logged(RollupRun.Kind.INCREMENTAL, by_plan[0][0] if len(by_plan) == 1 else None, work)


def rollup_pending() -> RollupRun | None:
    """Drain the queued keys: for each plan with any, recompute those keys and delete exactly the queued rows
    read (a change committed meanwhile keeps its row for the next run). None when nothing was queued."""
    plan_ids = sorted(set(RollupPending.objects.values_list("indicator__plan_id", flat=True)))
    if not plan_ids:
        return None
    plans = list(Plan.objects.filter(pk__in=plan_ids).order_by("pk"))
    drained: list[list[int]] = []

    def drain(plan: Plan) -> int:
        queued = list(
            RollupPending.objects.filter(indicator__plan=plan).values_list(
                "pk", "indicator_id", "year", "unit_id"
            )
        )
        if not queued:
            return 0
        keys = {(indicator_id, year) for _, indicator_id, year, _ in queued}
        drained.extend(list(key) for key in keys)
        units = {unit_id for *_, unit_id in queued}
        rows = _incremental(plan, keys, units=None if None in units else units)
        RollupPending.objects.filter(pk__in=[pk for pk, *_ in queued]).delete()
        return rows

    def work() -> tuple[int, dict]:
        rows = sum(_locked(plan, drain) for plan in plans)
        return rows, {"keys": [list(key) for key in sorted(set(map(tuple, drained)))]}

    return _logged(RollupRun.Kind.INCREMENTAL, plans[0] if len(plans) == 1 else None, work)


def _logged(kind: str, plan: Plan | None, work: Callable[[], tuple[int, dict]]) -> RollupRun:
    run = RollupRun.objects.create(kind=kind, plan=plan, started_at=timezone.now())
    try:
        run.rows, run.scope = work()
    except BaseException as error:
        run.error = f"{type(error).__name__}: {error}"[:10000]
        run.finished_at = timezone.now()
        try:
            run.save(update_fields=["error", "finished_at"])
        except Exception:  # the database itself may be what failed; the error is re-raised either way
            logger.exception("汇总运行记录未能保存")
        raise
    run.finished_at = timezone.now()
    run.save(update_fields=["rows", "scope", "finished_at"])
    return run


def _locked(plan: Plan, work: Callable[[Plan], int]) -> int:
    """Run `work` for one plan in one transaction, holding the plan row's lock: roll-ups of a plan queue up
    behind each other, and each reads the figures committed before it started writing."""
    with transaction.atomic():
        locked = Plan.objects.select_for_update(of=("self",)).select_related("region").get(pk=plan.pk)
        return work(locked)


def _keys_by_plan(keys: list[tuple[int, int]]) -> list[tuple[Plan, set[tuple[int, int]]]]:
    plan_of = dict(Indicator.objects.filter(pk__in={key[0] for key in keys}).values_list("pk", "plan_id"))
    plans = Plan.objects.in_bulk(set(plan_of.values()))
    grouped: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for indicator_id, year in keys:
        if indicator_id in plan_of:
            grouped[plan_of[indicator_id]].add((indicator_id, year))
    return [(plans[plan_id], grouped[plan_id]) for plan_id in sorted(grouped)]


def _incremental(plan: Plan, keys: Collection[tuple[int, int]], units: Collection[int] | None = None) -> int:
    """The progress of the keys' indicators from each key's year on (a year's figures also move every later
    year: running sums, last year's actual as the next year's start and growth bar), and the timeliness of
    the keys' years: every year a key names, since each was queued by a change of that year's reporting."""
    since: dict[int, int] = {}
    for indicator_id, year in keys:
        since[indicator_id] = min(since.get(indicator_id, plan.end_year + 1), max(year, plan.start_year))
    years = sorted({year for _, year in keys if year in plan.years})
    return _refresh(plan, since=since, years=years, units=units, drain=False)


# --- one plan --------------------------------------------------------------------------------------------


def _refresh(
    plan: Plan,
    *,
    since: dict[int, int] | None,
    drain: bool,
    years: list[int] | None = None,
    units: Collection[int] | None = None,
) -> int:
    """Recompute the plan's progress — every indicator (since=None) or the sources in `since` and the
    indicators computed from them, from the given year — and its timeliness: in `years` (every year of the
    plan when None), of `units` (every unit when None). Returns the progress rows computed. The caller holds
    the plan's lock inside a transaction."""
    now = timezone.now()
    queued = (
        list(RollupPending.objects.filter(indicator__plan=plan).values_list("pk", flat=True)) if drain else []
    )
    indicators = list(
        Indicator.objects.filter(plan=plan)
        .annotate(rolled_up=Exists(Progress.objects.filter(indicator=OuterRef("pk"))))
        .prefetch_related("targets", "baselines")
        .order_by("position", "pk")
    )
    if since is not None:
        since = _by_source(indicators, since)
        indicators = [each for each in indicators if _source(each) in since]
    if since is None:
        # Rows that no longer belong: of a region no longer in the plan's tree, or of a year outside it. None
        # of the rows the roll-up writes is one of them, so they go first, while a plan's first run still
        # finds the table without its rows (this is a scan of the whole table: no index leads with the plan).
        members = rollup_sql.members(root=plan.region_id)
        Progress.objects.filter(plan=plan).filter(
            ~Q(region_id__in=RawSQL(members.text, members.params))  # noqa: S611  # nosec B611
            | ~Q(year__range=(plan.start_year, plan.end_year))
        ).delete()
    rows = _progress(plan, indicators, since=since, now=now) if indicators else 0
    if years is None or years:
        _timeliness(plan, years=years, units=units, now=now, complete=since is None)
    if queued:
        RollupPending.objects.filter(pk__in=queued).delete()
    return rows


def _by_source(indicators: list[Indicator], since: dict[int, int]) -> dict[int, int]:
    """Keys name the indicator whose figure changed, normally a source; a key naming an indicator computed
    from another stands for that source."""
    by_source: dict[int, int] = {}
    for indicator in indicators:
        source = _source(indicator)
        for key in {indicator.pk, source} & set(since):
            by_source[source] = min(by_source.get(source, since[key]), since[key])
    return by_source


def _source(indicator: Indicator) -> int:
    """Whose submissions an indicator reads: its own, or those of the indicator it is computed from."""
    return indicator.computed_from_id or indicator.pk


def _sent(plan: Plan, sources: Collection[int]) -> QuerySet[Submission]:
    """Submissions of these source indicators in the plan's years that the office has (every state but
    draft): what the coverage counts, and among them the approved figures the actuals add up."""
    return Submission.objects.filter(
        indicator_id__in=sources, period__year__range=(plan.start_year, plan.end_year)
    ).exclude(state=ReviewState.DRAFT)


COUNTED = (
    "indicator_id", "unit_id", "unit__region_id", "period__year", "period__quarter", "value", "numerator",
    "denominator", "figure", "state", "counts",
)  # fmt: skip


def counted(plan: Plan, sources: Collection[int]) -> QuerySet:
    """The rows the roll-up reads, in the column order `rollup_sql.gathered` names them: source indicator,
    unit, the unit's region, year, quarter, value, numerator, denominator, the report as one figure (its
    value, or for a milestone 1 when done and 0 when not), its review state, and whether its figure counts:
    approved, and every unit's where units add up, only the lead unit's where the source indicator's
    `combine` takes the lead's figure."""
    figure = Coalesce(
        F("value"),
        Case(When(done=True, then=Value(1)), When(done=False, then=Value(0))),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    lead = Exists(
        Assignment.objects.filter(
            indicator_id=OuterRef("indicator_id"), unit_id=OuterRef("unit_id"), is_lead=True
        )
    )
    counts = Case(
        When(Q(state=ReviewState.APPROVED) & (Q(indicator__combine=Indicator.Combine.SUM) | lead), then=True),
        default=False,
        output_field=BooleanField(),
    )
    return _sent(plan, sources).annotate(figure=figure, counts=counts).values(*COUNTED).order_by()


def _owing(plan: Plan, sources: Collection[int], today) -> dict[str, QuerySet]:
    """What the coverage stands on besides the submissions: the figures owed (`owed_figures`, the one
    definition of what a unit owes), the quarters' due dates, and the office's exceptions still running
    `today` (a unit given until a later date is not yet missing)."""
    years = (plan.start_year, plan.end_year)
    return {
        "owing": owed_figures(plan=plan)
        .filter(indicator_id__in=sources)
        .values("indicator_id", "unit_id", "unit__region_id")
        .order_by(),
        "periods": Period.objects.filter(year__range=years).values("year", "quarter", "due_on").order_by(),
        "excused": PeriodException.objects.filter(period__year__range=years, until__gte=today)
        .values("unit_id", "period_id", "period__year", "period__quarter")
        .order_by(),
    }


def _progress(plan: Plan, indicators: list[Indicator], *, since: dict[int, int] | None, now) -> int:
    """One statement gathers the figures of these indicators in every region of the plan (see
    `rollup_sql`); PostgreSQL judges and writes them in that same statement, SQLite hands them to
    `indicators.pace` here. Returns the rows computed: every quarter from the indicator's first year on."""
    first_years = {
        indicator.pk: since[_source(indicator)] if since is not None else plan.start_year
        for indicator in indicators
    }
    series = [
        (indicator.pk, _source(indicator), indicator.measure, first_years[indicator.pk])
        for indicator in indicators
    ]
    sources = {_source(indicator) for indicator in indicators}
    today = timezone.localdate(now)
    gathered = rollup_sql.gathered(
        root=plan.region_id,
        counted=counted(plan, sources),
        **_owing(plan, sources, today),
        today=today,
        series=series,
        years=[(year, 4 * (year - plan.start_year)) for year in plan.years],
        vendor=connection.vendor,
        depth=_depth(plan) if connection.vendor == "postgresql" else None,
    )
    if connection.vendor != "postgresql":
        return _progress_in_python(plan, indicators, gathered, first_years, now)
    statement = judged_sql.judged(
        gathered,
        plan_id=plan.pk,
        root=plan.region_id,
        facts=_facts(plan, indicators),
        end_position=4 * len(plan.years),
        at_risk_from=plan.at_risk_from,
        behind_from=plan.behind_from,
        computed_at=now,
        write=_write(indicators, since),
    )
    # For this transaction: sorts and hash tables of a national plan's figures stay in memory, and the
    # statement is planned once rather than compiled (JIT costs seconds on a statement this size). The planner
    # cannot tell how large the grid built from constants is: without hash joins a full run would compare its
    # 1.5 million rows with the stored ones one index probe at a time, and an incremental run would join its
    # judged rows to their coverage by scanning the whole coverage once per row (3× slower, measured). Nor
    # can it tell how few groups the regions' sums make: merge joins would sort them (and the grid, and the
    # submissions) once more for the join, where hashing the smaller side is cheaper (6% of a national
    # full run, measured).
    settings = (
        f"SET LOCAL work_mem = '{WORK_MEM}'; SET LOCAL jit = off; SET LOCAL enable_nestloop = off;"
        " SET LOCAL enable_mergejoin = off"
    )
    with connection.cursor() as cursor:
        cursor.execute(settings)
        cursor.execute(statement.text, statement.params)
        (regions,) = cursor.fetchone()
    return regions * sum(4 * max(plan.end_year - year + 1, 0) for year in first_years.values())


def _depth(plan: Plan) -> int:
    """How many levels the plan's regions have: the statement sums the regions' figures by these levels
    (`rollup_sql.gathered`)."""
    statement = rollup_sql.depth(root=plan.region_id)
    with connection.cursor() as cursor:
        cursor.execute(statement.text, statement.params)
        (levels,) = cursor.fetchone()
    return levels


def _write(indicators: list[Indicator], since: dict[int, int] | None) -> judged_sql.Write:
    """A full run where none of the indicators has a progress row (`rolled_up`, read with them) inserts
    them all: nothing to compare or conflict with (the plan's first run, or the first after its rows were
    removed). Otherwise a full run writes what changed, and an incremental run upserts every row of its
    keys. The caller holds the plan's lock: no other run of the plan writes these rows meanwhile."""
    if since is not None:
        return judged_sql.Write.ALL
    if any(indicator.rolled_up for indicator in indicators):
        return judged_sql.Write.CHANGED
    return judged_sql.Write.NEW


def _series(plan: Plan, indicator: Indicator, *, at_root: bool) -> pace.Series:
    """What a series of the indicator is judged against: in the plan's region the plan's targets and the
    baselines; below it only a rate's targets (a rate is a rate anywhere, while a county's share of a
    city-wide count cannot be held to the city's target), and no baselines (they are the plan's)."""
    targets: list[Target] = list(indicator.targets.all())
    judged = at_root or indicator.kind.judged_in_every_region
    return pace.Series(
        measure=indicator.measure,
        start_year=plan.start_year,
        end_year=plan.end_year,
        goals={t.year: pace.Goal(t.comparator, t.min, t.max) for t in targets} if judged else {},
        baselines={b.year: b.value for b in indicator.baselines.all()} if at_root else {},
        at_risk_from=plan.at_risk_from,
        behind_from=plan.behind_from,
    )


def _facts(plan: Plan, indicators: list[Indicator]) -> list[tuple]:
    """Rows of `judged_sql.FACTS`: what `indicators.pace` decides from the targets and baselines alone, per
    indicator, year and whether the region is the plan's, asked of pace's own functions. (Targets and
    baselines have 4 decimals: `pace.rounded` gives them back exactly.)"""
    rows = []
    for indicator in indicators:
        level = indicator.kind.is_level
        for at_root in (True, False):
            series = _series(plan, indicator, at_root=at_root)
            anchors = pace.anchors(series) if level else {}
            final = pace.final(series) if level else None
            for year in plan.years:
                goal = series.goals.get(year)
                follows_actual, opening = pace.opening(series, year)
                ahead = pace.ahead(series, year) if level and goal is None else None
                before = max((at for at in anchors if at <= series.index(year - 2, 4)), default=None)
                rows.append(
                    (
                        indicator.pk, year, at_root,
                        goal and goal.comparator, goal and goal.min, goal and goal.max,
                        goal and pace.rounded(pace.aim(goal, None)),
                        follows_actual, pace.rounded(opening), series.baselines.get(year - 1),
                        ahead and pace.rounded(ahead.value), ahead and 4 * (ahead.year - year + 1),
                        ahead and ahead.goal.comparator,
                        final and pace.rounded(final.value), final and series.index(final.year, 4),
                        final and final.goal.comparator,
                        pace.rounded(anchors.get(series.index(year - 1, 4))),
                        before, None if before is None else pace.rounded(anchors[before]),
                    )
                )  # fmt: skip
    return rows


def _progress_in_python(
    plan: Plan, indicators: list[Indicator], gathered: rollup_sql.Statement, first_years: dict[int, int], now
) -> int:
    """SQLite: the gathered running figures (whole numbers of 0.0001) and their coverage, judged by
    `indicators.pace` series by series (indicator × region: a dozen quarters each, never a submission) and
    upserted."""
    statement = gathered.add(f"\nSELECT {', '.join(rollup_sql.RUNNING)} FROM running")  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(statement.text, statement.params)
        grid = [dict(zip(rollup_sql.RUNNING, row, strict=True)) for row in cursor.fetchall()]
    actuals: dict[tuple[int, int], dict[pace.Quarter, Fraction | None]] = defaultdict(dict)
    coverage: dict[tuple[int, int], dict[pace.Quarter, dict[str, int]]] = defaultdict(dict)
    first_gap: dict[tuple[int, int, int], int | None] = {}  # up to the year (`rollup_sql.RUNNING`)
    for year_row in grid:
        key = (year_row["indicator_id"], year_row["region_id"])
        first_gap[(*key, year_row["year"])] = year_row["first_gap"]
        for quarter in pace.QUARTERS:
            actuals[key][(year_row["year"], quarter)] = _actual(year_row, quarter)
            coverage[key][(year_row["year"], quarter)] = {
                rollup_sql.OWED: year_row[rollup_sql.OWED],
                **{name: year_row[f"{name}_{quarter}"] for name in rollup_sql.COVERAGE[1:]},
            }
    by_id = {indicator.pk: indicator for indicator in indicators}
    rows = []
    for key, series_actuals in actuals.items():
        indicator_id, region_id = key
        series = _series(plan, by_id[indicator_id], at_root=region_id == plan.region_id)
        complete = {at: pace.complete_through(series, first_gap[(*key, at[0])], *at) for at in series_actuals}
        for (year, quarter), judgement in pace.judge(series, series_actuals, complete).items():
            if year >= first_years[indicator_id]:
                through = complete[(year, quarter)]
                rows.append(
                    Progress(
                        indicator_id=indicator_id, region_id=region_id, year=year, quarter=quarter,
                        plan_id=plan.pk, computed_at=now, **vars(judgement), **coverage[key][(year, quarter)],
                        complete_year=through and through[0], complete_quarter=through and through[1],
                    )
                )  # fmt: skip
    Progress.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["indicator", "region", "year", "quarter"],
        update_fields=PROGRESS_FIELDS,
    )
    return len(rows)


def _actual(year_row: dict, quarter: int) -> Fraction | None:
    """A quarter's actual from a year's running figures (whole numbers of 0.0001), as `judged_sql.judged`
    computes it on PostgreSQL: only once something was reported that year, then as the measure's
    `reads_year_as` says (`indicators.measures.Reading`)."""
    first = year_row["first_quarter"]
    if first is None or first > quarter:
        return None
    reading, level = MEASURES[year_row["measure"]].reads_year_as, year_row[f"level_{quarter}"]
    if reading is Reading.RATE:
        denominator = year_row[f"denominator_{quarter}"]
        return Fraction(year_row[f"numerator_{quarter}"] or 0, denominator) * 100 if denominator else None
    if reading is Reading.STATUS:
        return Fraction(1 if (level or 0) >= 10000 else 0)
    if reading is Reading.PER_POPULATION:
        population = year_row["population"]
        return None if level is None or not population else Fraction(level, population)
    if reading is Reading.YEAR_SUM:
        units = year_row[f"value_{quarter}"]
    elif reading is Reading.RUNNING_SUM:
        before, this_year = year_row["value_before"], year_row[f"value_{quarter}"]
        units = None if before is None and this_year is None else (before or 0) + (this_year or 0)
    else:
        units = level
    return None if units is None else Fraction(units, 10000)


# --- timeliness ------------------------------------------------------------------------------------------


def _timeliness(
    plan: Plan, *, years: list[int] | None, units: Collection[int] | None, now, complete: bool
) -> None:
    """Per unit owing the plan anything and per opened quarter: what it owes (its assigned indicators that are
    reported, not computed, plus the plan's tasks it is named on; unit groups never report), what it sent,
    on time or late, returned, approved; and the status: returned while anything is back with the unit, else
    on_time / late once everything owed is with the office, else not_due before the due date and missing
    after. One statement; rows already stored with these figures are left alone. A unit's row depends on its
    own reports only, so a run queued by one unit's change tallies that unit's (`units`)."""
    today = timezone.localdate(now)
    periods = Period.objects.filter(year__in=years or list(plan.years), opens_on__lte=today)
    mine = Q(unit_id__in=units) if units is not None else Q()
    owing = [owed_figures(plan=plan, units=units), owed_tasks(plan=plan, units=units)]
    sent = [
        Submission.objects.filter(mine, indicator__plan=plan, indicator__computed_from__isnull=True),
        TaskReport.objects.filter(mine, task__section__plan=plan),
    ]
    statement = rollup_sql.timeliness(
        plan_id=plan.pk,
        periods=periods.values("pk", "due_on").order_by(),
        owing=[rows.values("unit_id").order_by() for rows in owing],
        sent=[
            rows.filter(period__in=periods).values("unit_id", "period_id", "state", "is_late").order_by()
            for rows in sent
        ],
        today=today,
        computed_at=now,
        vendor=connection.vendor,
    )
    # The tally reads every submission of the plan (1.28 million nationally) into one row per unit × quarter
    # (33,612): grouped in a hash table rather than after sorting every submission by unit and quarter, as the
    # planner chose when it misjudged how many submissions the plan's indicators select (27% of the statement,
    # measured). The statement has no ORDER BY: a sort is only ever one way of grouping or joining it; what
    # the plan's transaction runs after it sorts nothing either.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(statement.text, statement.params)
    if complete:
        stale = Timeliness.objects.filter(plan=plan)
        for rows in owing:
            stale = stale.exclude(unit_id__in=rows.values("unit_id"))
        stale.delete()
