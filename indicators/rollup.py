"""The roll-up engine: approved submissions → `Progress` (plan × indicator × region × year × quarter) and
`Timeliness` (plan × unit × quarter). Dashboards, the progress API and Excel read only those tables.

Set-based, a fixed number of queries per plan whatever the number of submissions:
1. sums per source indicator × unit region × quarter of approved figures, run up by window functions (year to
   date; since the plan's start for cumulative indicators);
2. for stocks, per-capita counts and milestones, each unit's change against its own previous approved report
   of the year, run up the same way: the running sum of changes is the sum of every unit's latest report;
3. a pass over those aggregates (never over submissions): quarters without reports carry the running value,
   regions add into the regions above them, `indicators.pace` judges each series; one upsert.
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
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from indicators import pace
from indicators.models import (
    Assignment,
    Indicator,
    Period,
    Progress,
    ReviewState,
    RollupPending,
    RollupRun,
    Submission,
    Target,
    TaskReport,
    Timeliness,
)
from plans.models import Plan, Population, Region, TaskUnit, Unit

logger = logging.getLogger(__name__)

FIGURE = DecimalField(max_digits=20, decimal_places=4)
BATCH = 1000
# Measures read from each unit's latest report of the year rather than from sums of reports.
LATEST = frozenset({pace.STOCK, pace.PER_CAPITA, pace.MILESTONE})
# Measures whose judgement means the same in a county as in the whole plan: a rate is a rate anywhere, while
# a county's share of a city-wide count cannot be held to the city's target.
INTENSIVE = frozenset({pace.RATIO, pace.PER_CAPITA})
PROGRESS_FIELDS = [
    "plan", "actual", "target_min", "target_max", "completion", "expected", "status", "forecast",
    "needed_per_quarter", "computed_at",
]  # fmt: skip
TIMELINESS_FIELDS = [
    "expected",
    "submitted",
    "on_time",
    "late",
    "returned",
    "approved",
    "status",
    "computed_at",
]


class RunningSum(Func):
    """SUM usable as a window over an aggregate: SUM(SUM(value)) OVER (...), a running total of groups."""

    function = "SUM"
    window_compatible = True


# --- entry points ----------------------------------------------------------------------------------------


def rollup_schedule(*, indicator_id: int, year: int) -> None:
    """Queue an incremental roll-up of the figures of `indicator_id` in `year` (and what follows from them).

    Call it inside the transaction that approves, reopens or changes an approved submission. The key is
    stored in that transaction, so it exists exactly when the change does; the Celery task is sent only after
    commit. If sending fails (broker down) the failure is logged, never raised: the key stays queued and the
    next successful incremental run (beat sends one every few minutes) or the nightly full run picks it up.
    """
    RollupPending.objects.create(indicator_id=indicator_id, year=year)
    transaction.on_commit(_dispatch)


def _dispatch() -> None:
    from indicators.tasks import rollup_pending_task

    try:
        rollup_pending_task.delay()
    except Exception:  # the broker, or an eager run, failing must never reach the user who approved
        logger.warning("汇总任务未能派发或执行失败；待汇总记录已保留，将由下次汇总处理。", exc_info=True)


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
            _locked(plan, lambda locked, since=since: _refresh(locked, since=since, drain=False))
            for plan, since in by_plan
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
            RollupPending.objects.filter(indicator__plan=plan).values_list("pk", "indicator_id", "year")
        )
        if not queued:
            return 0
        drained.extend([indicator_id, year] for _, indicator_id, year in queued)
        since = _since(plan, {(indicator_id, year) for _, indicator_id, year in queued})
        rows = _refresh(plan, since=since, drain=False)
        RollupPending.objects.filter(pk__in=[pk for pk, _, _ in queued]).delete()
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


def _keys_by_plan(keys: list[tuple[int, int]]) -> list[tuple[Plan, dict[int, int]]]:
    plan_of = dict(Indicator.objects.filter(pk__in={key[0] for key in keys}).values_list("pk", "plan_id"))
    plans = Plan.objects.in_bulk(set(plan_of.values()))
    grouped: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for indicator_id, year in keys:
        if indicator_id in plan_of:
            grouped[plan_of[indicator_id]].add((indicator_id, year))
    return [(plans[plan_id], _since(plans[plan_id], grouped[plan_id])) for plan_id in sorted(grouped)]


def _since(plan: Plan, keys: Collection[tuple[int, int]]) -> dict[int, int]:
    """Source indicator → the first year to recompute (a year's figures also move every later year: running
    sums, last year's actual as the next year's start and growth bar)."""
    since: dict[int, int] = {}
    for indicator_id, year in keys:
        since[indicator_id] = min(since.get(indicator_id, year), max(year, plan.start_year))
    return since


# --- one plan --------------------------------------------------------------------------------------------


def _refresh(plan: Plan, *, since: dict[int, int] | None, drain: bool) -> int:
    """Recompute the plan's progress — every indicator (since=None) or the sources in `since` and the
    indicators computed from them, from the given year — and its timeliness. Returns progress rows written.
    The caller holds the plan's lock inside a transaction."""
    now = timezone.now()
    queued = (
        list(RollupPending.objects.filter(indicator__plan=plan).values_list("pk", flat=True)) if drain else []
    )
    indicators = list(
        Indicator.objects.filter(plan=plan)
        .prefetch_related("targets", "baselines")
        .order_by("position", "pk")
    )
    if since is not None:
        since = _by_source(indicators, since)
        indicators = [each for each in indicators if _source(each) in since]
    regions = _Regions(plan)
    figures = _figures(plan, indicators, regions)
    populations = _populations(plan, regions) if any(i.measure == pace.PER_CAPITA for i in indicators) else {}
    rows = []
    for indicator in indicators:
        first_year = since[_source(indicator)] if since is not None else plan.start_year
        for region_id in regions.members:
            judged = region_id == plan.region_id or indicator.measure in INTENSIVE
            series = _series(plan, indicator, judged=judged, baselines=region_id == plan.region_id)
            cells = figures.get((_source(indicator), region_id))
            actuals = _actuals(plan, indicator, cells, populations, region_id)
            for (year, quarter), judgement in pace.judge(series, actuals).items():
                if year >= first_year:
                    rows.append(
                        Progress(
                            indicator_id=indicator.pk,
                            region_id=region_id,
                            year=year,
                            quarter=quarter,
                            plan_id=plan.pk,
                            computed_at=now,
                            **vars(judgement),
                        )
                    )
    Progress.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["indicator", "region", "year", "quarter"],
        update_fields=PROGRESS_FIELDS,
    )
    if since is None:
        Progress.objects.filter(plan=plan).filter(
            ~Q(region_id__in=regions.members) | ~Q(year__range=(plan.start_year, plan.end_year))
        ).delete()
    years = sorted({year for year in since.values()}) if since is not None else None
    _timeliness(plan, years=years, now=now, complete=since is None)
    if queued:
        RollupPending.objects.filter(pk__in=queued).delete()
    return len(rows)


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


class _Regions:
    """The plan's region and every region below it. A unit's figures count in its own region and every region
    above it up to the plan's; a unit outside the plan's regions reports for the plan, so its figures count
    in the plan's region only."""

    def __init__(self, plan: Plan) -> None:
        parents = dict(Region.objects.values_list("pk", "parent_id"))
        self.plan_region = plan.region_id
        self.members: list[int] = []
        self._up: dict[int, list[int]] = {}
        for region_id in sorted(parents):
            chain, current = [], region_id
            while current is not None and current != plan.region_id and len(chain) <= len(parents):
                chain.append(current)
                current = parents[current]
            if current == plan.region_id:
                self._up[region_id] = [*chain, plan.region_id]
                self.members.append(region_id)

    def credited(self, region_id: int) -> list[int]:
        return self._up.get(region_id, [self.plan_region])


def _approved(plan: Plan, sources: Collection[int]) -> QuerySet[Submission]:
    """Approved submissions of these source indicators in the plan's years that count: every unit's where
    units add up, only the lead unit's where the source indicator's `combine` takes the lead's figure."""
    lead = Exists(
        Assignment.objects.filter(
            indicator_id=OuterRef("indicator_id"), unit_id=OuterRef("unit_id"), is_lead=True
        )
    )
    return Submission.objects.filter(
        Q(indicator__combine=Indicator.Combine.SUM) | lead,
        state=ReviewState.APPROVED,
        indicator_id__in=sources,
        period__year__range=(plan.start_year, plan.end_year),
    )


GROUP = ("indicator_id", "unit__region_id", "period__year", "period__quarter")


def _running(expression, *, whole_plan: bool = False) -> Window:
    partition = [F("indicator_id"), F("unit__region_id")] + ([] if whole_plan else [F("period__year")])
    order = (
        [F("period__year").asc(), F("period__quarter").asc()] if whole_plan else [F("period__quarter").asc()]
    )
    return Window(RunningSum(expression), partition_by=partition, order_by=order)


def _sums(plan: Plan, sources: Collection[int]) -> QuerySet:
    # The plain aggregate is annotated first, on its own: annotating the windows in the same call would make
    # Django group by them.
    return (
        _approved(plan, sources)
        .values(*GROUP)
        .annotate(reports=Count("pk"))
        .annotate(
            reports_ytd=_running(Count("pk")),
            value_ytd=_running(Sum("value")),
            value_run=_running(Sum("value"), whole_plan=True),
            numerator_ytd=_running(Sum("numerator")),
            denominator_ytd=_running(Sum("denominator")),
        )
        .order_by()
    )


def _figure(prefix: str = "") -> Coalesce:
    """A report as one number: its value, or for a milestone 1 when done and 0 when not."""
    done = f"{prefix}done"
    return Coalesce(
        F(f"{prefix}value"),
        Case(When(**{done: True}, then=Value(1)), When(**{done: False}, then=Value(0))),
        output_field=FIGURE,
    )


def _latest(plan: Plan, sources: Collection[int]) -> QuerySet:
    previous = (
        Submission.objects.filter(
            indicator_id=OuterRef("indicator_id"),
            unit_id=OuterRef("unit_id"),
            period__year=OuterRef("period__year"),
            period__quarter__lt=OuterRef("period__quarter"),
            state=ReviewState.APPROVED,
        )
        .annotate(figure=_figure())
        .filter(figure__isnull=False)
        .order_by("-period__quarter")
        .values("figure")[:1]
    )
    change = F("figure") - Coalesce(Subquery(previous), Value(0), output_field=FIGURE)
    return (
        _approved(plan, sources)
        .annotate(figure=_figure())
        .filter(figure__isnull=False)
        .values(*GROUP)
        .annotate(reports=Count("pk"))
        .annotate(level_ytd=_running(Sum(change, output_field=FIGURE)))
        .order_by()
    )


YEARLY = ("reports_ytd", "value_ytd", "numerator_ytd", "denominator_ytd", "level_ytd")


def _figures(plan: Plan, indicators: list[Indicator], regions: _Regions) -> dict[tuple[int, int], list[dict]]:
    """(source indicator, region) → for each quarter of the plan the running figures of the region and the
    regions below it. Quarters without a report carry the running value (a year's figures restart at Q1)."""
    sources = {_source(indicator) for indicator in indicators}
    latest = {_source(indicator) for indicator in indicators if indicator.measure in LATEST}
    if not sources:
        return {}
    width = 4 * (plan.end_year - plan.start_year + 1)
    points: dict[tuple[int, int], dict[int, dict]] = defaultdict(lambda: defaultdict(dict))
    queries = [_sums(plan, sources)] + ([_latest(plan, latest)] if latest else [])
    for query in queries:
        for row in query:
            index = 4 * (row["period__year"] - plan.start_year) + row["period__quarter"] - 1
            values = {name: value for name, value in row.items() if name not in GROUP and name != "reports"}
            points[(row["indicator_id"], row["unit__region_id"])][index].update(values)
    totals: dict[tuple[int, int], list[dict]] = {}
    for (source, region_id), series in points.items():
        carried: dict[str, Decimal] = {}
        credited = [totals.setdefault((source, each), _empty(width)) for each in regions.credited(region_id)]
        for index in range(width):
            if index % 4 == 0:
                carried = {name: value for name, value in carried.items() if name not in YEARLY}
            carried.update(
                {name: value for name, value in series.get(index, {}).items() if value is not None}
            )
            for total in credited:
                cell = total[index]
                for name, value in carried.items():
                    cell[name] = cell.get(name, Decimal(0)) + value
    return totals


def _empty(width: int) -> list[dict]:
    return [{} for _ in range(width)]


def _populations(plan: Plan, regions: _Regions) -> dict[tuple[int, int], Decimal]:
    return {
        (region_id, year): value
        for region_id, year, value in Population.objects.filter(
            region_id__in=regions.members, year__range=(plan.start_year, plan.end_year)
        ).values_list("region_id", "year", "value")
    }


def _actuals(
    plan: Plan,
    indicator: Indicator,
    cells: list[dict] | None,
    populations: dict[tuple[int, int], Decimal],
    region_id: int,
) -> dict[pace.Quarter, Decimal | None]:
    """Each quarter's actual from the running figures: only quarters of a year with an approved report by then
    have one. flow: year to date; cumulative: since the plan's start; stock: the sum of the units' latest
    reports of the year; ratio: Σnumerator/Σdenominator×100 of the year to date; per capita: the stock per
    万人 of the region's population that year (none without one); milestone: 1 when a counted unit's latest
    report of the year says done, else 0."""
    actuals: dict[pace.Quarter, Decimal | None] = {}
    for index, cell in enumerate(cells or []):
        year, quarter = plan.start_year + index // 4, index % 4 + 1
        if not cell.get("reports_ytd"):
            continue
        measure = indicator.measure
        if measure == pace.FLOW:
            actual = cell.get("value_ytd")
        elif measure == pace.CUMULATIVE:
            actual = cell.get("value_run")
        elif measure == pace.RATIO:
            denominator = cell.get("denominator_ytd")
            actual = (
                Fraction(cell.get("numerator_ytd", 0)) / Fraction(denominator) * 100 if denominator else None
            )
        elif measure == pace.PER_CAPITA:
            population = populations.get((region_id, year))
            actual = (
                Fraction(cell["level_ytd"]) / Fraction(population)
                if population and "level_ytd" in cell
                else None
            )
        elif measure == pace.MILESTONE:
            actual = Decimal(1) if cell.get("level_ytd", 0) >= 1 else Decimal(0)
        else:
            actual = cell.get("level_ytd")
        actuals[(year, quarter)] = actual
    return actuals


def _series(plan: Plan, indicator: Indicator, *, judged: bool, baselines: bool) -> pace.Series:
    targets: list[Target] = list(indicator.targets.all())
    return pace.Series(
        measure=indicator.measure,
        start_year=plan.start_year,
        end_year=plan.end_year,
        goals={t.year: pace.Goal(t.comparator, t.min, t.max) for t in targets} if judged else {},
        baselines={b.year: b.value for b in indicator.baselines.all()} if baselines else {},
        at_risk_from=plan.at_risk_from,
        behind_from=plan.behind_from,
    )


# --- timeliness ------------------------------------------------------------------------------------------


def _timeliness(plan: Plan, *, years: list[int] | None, now, complete: bool) -> int:
    """Per unit owing the plan anything and per opened quarter: what it owes (its assigned indicators that are
    reported, not computed, plus the plan's tasks it is named on; unit groups never report), what it sent,
    on time or late, returned, approved; and the status: returned while anything is back with the unit, else
    on_time / late once everything owed is with the office, else not_due before the due date and missing
    after."""
    today = timezone.localdate(now)
    periods = list(
        Period.objects.filter(year__in=years or list(plan.years), opens_on__lte=today).order_by(
            "year", "quarter"
        )
    )
    owed: dict[int, int] = defaultdict(int)
    for rows in (
        Assignment.objects.filter(indicator__plan=plan, indicator__computed_from__isnull=True),
        TaskUnit.objects.filter(task__section__plan=plan),
    ):
        for unit_id, count in (
            rows.exclude(unit__kind=Unit.Kind.GROUP)
            .values("unit_id")
            .annotate(n=Count("pk"))
            .values_list("unit_id", "n")
        ):
            owed[unit_id] += count
    sent = ~Q(state=ReviewState.DRAFT)
    counts = {
        "submitted": Count("pk", filter=sent),
        "on_time": Count("pk", filter=sent & Q(is_late=False)),
        "late": Count("pk", filter=sent & Q(is_late=True)),
        "returned": Count("pk", filter=Q(state=ReviewState.RETURNED)),
        "approved": Count("pk", filter=Q(state=ReviewState.APPROVED)),
    }
    tally: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(counts, 0))
    for rows in (
        Submission.objects.filter(indicator__plan=plan, indicator__computed_from__isnull=True),
        TaskReport.objects.filter(task__section__plan=plan),
    ):
        for row in (
            rows.filter(period__in=periods, unit_id__in=list(owed))
            .values("unit_id", "period_id")
            .annotate(**counts)
        ):
            cell = tally[(row["unit_id"], row["period_id"])]
            for name in counts:
                cell[name] += row[name]
    rows = []
    for unit_id, expected in owed.items():
        for period in periods:
            cell = tally[(unit_id, period.pk)]
            rows.append(
                Timeliness(
                    plan=plan,
                    unit_id=unit_id,
                    period=period,
                    expected=expected,
                    status=_reporting_status(cell, expected, period, today),
                    computed_at=now,
                    **cell,
                )
            )
    Timeliness.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["plan", "unit", "period"],
        update_fields=TIMELINESS_FIELDS,
    )
    if complete:
        Timeliness.objects.filter(plan=plan).exclude(unit_id__in=list(owed)).delete()
    return len(rows)


def _reporting_status(cell: dict[str, int], expected: int, period: Period, today) -> str:
    if cell["returned"]:
        return Timeliness.Status.RETURNED
    if cell["submitted"] >= expected:
        return Timeliness.Status.LATE if cell["late"] else Timeliness.Status.ON_TIME
    if today < period.due_on:
        return Timeliness.Status.NOT_DUE
    return Timeliness.Status.MISSING
