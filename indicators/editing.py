"""The office's plan editor for what no document states: the population per-capita figures divide by, and the
milestones of the years a document sets no target for (derived on a straight path, or set by the office).

Every write is the office's (reviewers only), carries a reason into the audit trail and queues the roll-up of
what it changes, in the same transaction. A target the document states is never changed here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min

from accounts.permissions import ensure_reviewer
from audit.services import Conflict, reason_required, stamp
from indicators.measures import keys_where
from indicators.models import Baseline, Indicator, Population, Target
from indicators.rollup_queue import rollup_schedule
from indicators.services import milestones_due
from plans.models import Plan, Region
from plans.selectors import region_and_above
from plans.services import LoadReport, upsert

if TYPE_CHECKING:
    from accounts.models import User

POPULATION_REASON = "设定常住人口：{reason}"
MILESTONE_REASON = "设定年度目标：{reason}"
RESTORE_REASON = "恢复推算目标：{reason}"
# Years before the plan a per-capita baseline may need the population of (a plan's usual look back).
YEARS_BEFORE_PLAN = 3
MAX_INTEGER_DIGITS = {"population": 8, "target": 16}  # what the columns hold (max_digits − 4 decimals)


def _figure_errors(number: Decimal, label: str, *, digits: int, positive: bool) -> list[str]:
    """What keeps a figure the office typed out of a column of 4 decimals and `digits` whole digits."""
    errors = []
    if number < 0 or (positive and number == 0):
        errors.append(f"{label}应大于0。" if positive else f"{label}不能为负数。")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        errors.append(f"{label}最多保留4位小数。")
    if abs(number) >= Decimal(10) ** digits:
        errors.append(f"{label}数值过大，请核对。")
    return errors


def _plan_rollup(indicator_id: int, years: range) -> None:
    """Queue the roll-up of every year of the indicator's plan, as a changed definition does: a level's year
    without a target of its own is judged on the path towards the next one, so one year's change reaches
    the years around it."""
    for year in years:
        rollup_schedule(indicator_id=indicator_id, year=year)


def year_seen(model: type[Population] | type[Target], **key: int) -> int:
    """The version of a row of the year a person sees (`key`: its region or indicator and year): the newest
    history row of that key, 0 when it never existed. A service given it refuses when someone saved since."""
    history = model.history.filter(**key).order_by("-history_id")  # type: ignore[attr-defined]
    return history.values_list("history_id", flat=True).first() or 0


def _stale_refused(model: type[Population] | type[Target], seen: int | None, what: str, **key: int) -> None:
    if seen is not None and year_seen(model, **key) != seen:
        raise Conflict(
            f"{what}已被他人修改，您看到的是旧版本。为避免覆盖他人的修改，本次保存未生效，请刷新页面后重新填写。"
        )


# Population -------------------------------------------------------------------------------------------------


def population_years(plan: Plan) -> range:
    """The years the office keeps a plan's population for: from the plan's earliest baseline (or a few years
    before the plan, whichever is earlier) to the plan's end."""
    first = Baseline.objects.filter(indicator__plan=plan).aggregate(first=Min("year"))["first"]
    start = plan.start_year - YEARS_BEFORE_PLAN
    return range(min(start, first) if first else start, plan.end_year + 1)


@dataclass(frozen=True)
class PopulationInput:
    value: Decimal
    source: str


def population_set(
    *, region: Region, year: int, data: PopulationInput, by: User, reason: str, seen: int | None = None
) -> Population:
    """Enter or correct a region's resident population (万人) for a year, with the text it comes from.

    Reviewers only, with a reason (the history row carries who and why); the figure is then no longer
    demonstration data. When it changed, the roll-up of what divides by it is queued
    (`population_rollup_schedule`).
    With `seen` (`year_seen` when the page was drawn), a change saved meanwhile raises Conflict."""
    ensure_reviewer(by)
    reason = reason_required(reason, "修改原因")
    errors = _figure_errors(data.value, "常住人口", digits=MAX_INTEGER_DIGITS["population"], positive=True)
    source = data.source.strip()
    problems: dict[str, list[str]] = {}
    if errors:
        problems["value"] = errors
    if not source:
        problems["source"] = ["请填写数据来源（如统计公报的原文）。"]
    if problems:
        raise ValidationError(problems)
    report = LoadReport()
    with transaction.atomic():
        Population.objects.select_for_update().filter(region=region, year=year).first()
        _stale_refused(Population, seen, f"{region.name}{year}年常住人口", region_id=region.pk, year=year)
        row = upsert(
            Population,
            {"region": region, "year": year},
            {"value": data.value, "source": source, "is_demo": False},
            report,
            by=by,
            reason=POPULATION_REASON.format(reason=reason),
        )
        if report.changed:
            population_rollup_schedule(region=region, year=year)
    return row


def population_rollup_schedule(*, region: Region, year: int) -> None:
    """Queue what a changed population of `region` in `year` changes: every year of each per-capita indicator
    of each plan that divides by it (the plans of the region and of the regions it lies in whose years
    include `year`). Call it in the transaction that changes the figure."""
    per_capita = Indicator.objects.filter(
        plan__region__in=region_and_above(region),
        plan__start_year__lte=year,
        plan__end_year__gte=year,
        measure__in=keys_where(lambda kind: kind.divides_by_population),
    )
    for indicator_id, start, end in per_capita.values_list("pk", "plan__start_year", "plan__end_year"):
        _plan_rollup(indicator_id, range(start, end + 1))


# Milestones -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneInput:
    """A year's target as the office sets it: a comparator and the bounds it takes."""

    comparator: str
    min: Decimal | None = None
    max: Decimal | None = None


# Which bounds each comparator takes: (min, max).
BOUNDS = {
    Target.Comparator.GTE: (True, False),
    Target.Comparator.GT: (True, False),
    Target.Comparator.LTE: (False, True),
    Target.Comparator.BETWEEN: (True, True),
    Target.Comparator.GROWTH: (False, False),
    Target.Comparator.DONE: (False, False),
}
BOUND_LABELS = {"min": "下限", "max": "上限"}


def _document_refused(indicator: Indicator, target: Target | None) -> None:
    if target is not None and target.origin == Target.Origin.DOCUMENT:
        raise ValidationError(
            f"“{indicator.name}”{target.year}年的目标是文件原文（{target.text}），不能在此修改；"
            "文件原文的目标只随方案文件调整。"
        )


def _milestone_check(indicator: Indicator, year: int, data: MilestoneInput) -> None:
    errors: dict[str, list[str]] = {}
    if year not in indicator.plan.years:
        errors["year"] = [
            f"{year}年不在方案实施期（{indicator.plan.start_year}—{indicator.plan.end_year}年）内。"
        ]
    bounds = BOUNDS.get(data.comparator)
    if bounds is None:
        errors["comparator"] = [f"未知的比较方式“{data.comparator}”。"]
    elif indicator.kind.is_qualitative and data.comparator != Target.Comparator.DONE:
        errors["comparator"] = [f"“{indicator.name}”是定性指标，年度目标只能是“完成”。"]
    elif not indicator.kind.is_qualitative and data.comparator == Target.Comparator.DONE:
        errors["comparator"] = [f"“{indicator.name}”是数值指标，年度目标不能是“完成（定性）”。"]
    else:
        label = Target.Comparator(data.comparator).label
        for name, wanted in zip(("min", "max"), bounds, strict=True):
            value = getattr(data, name)
            if wanted and value is None:
                errors[name] = [f"比较方式为“{label}”时须填写{BOUND_LABELS[name]}。"]
            elif not wanted and value is not None:
                errors[name] = [f"比较方式为“{label}”时不填{BOUND_LABELS[name]}，请留空。"]
            elif value is not None:
                found = _figure_errors(
                    value, BOUND_LABELS[name], digits=MAX_INTEGER_DIGITS["target"], positive=False
                )
                if found:
                    errors[name] = found
        if not errors and data.min is not None and data.max is not None and data.max < data.min:
            errors["max"] = ["上限不能小于下限。"]
    if errors:
        raise ValidationError(errors)


def milestone_set(
    *, indicator: Indicator, year: int, data: MilestoneInput, by: User, reason: str, seen: int | None = None
) -> Target:
    """Set or change the indicator's target for `year` as the office's (origin `office`): `load_plans` and a
    new derivation leave it alone from then on. Reviewers only, with a reason, which also becomes the target's
    stated basis (依据). A target the document states is refused (ValidationError, nothing written). When the
    target changed, the roll-up of the plan's years is queued.
    With `seen` (`year_seen` when the page was drawn), a change saved meanwhile raises Conflict."""
    ensure_reviewer(by)
    reason = reason_required(reason, "设定理由")
    _milestone_check(indicator, year, data)
    report = LoadReport()
    with transaction.atomic():
        current = Target.objects.select_for_update().filter(indicator=indicator, year=year).first()
        _document_refused(indicator, current)
        _stale_refused(
            Target, seen, f"“{indicator.name}”{year}年的目标", indicator_id=indicator.pk, year=year
        )
        values = {
            "comparator": data.comparator,
            "min": data.min,
            "max": data.max,
            "origin": Target.Origin.OFFICE,
            "source": f"办公室设定：{reason}",
        }
        audit = MILESTONE_REASON.format(reason=reason)
        target = upsert(Target, {"indicator": indicator, "year": year}, values, report, by=by, reason=audit)
        if report.changed:
            _plan_rollup(indicator.pk, indicator.plan.years)
    return target


def milestone_restore(
    *, indicator: Indicator, year: int, by: User, reason: str, seen: int | None = None
) -> Target | None:
    """Give up the office's target for `year`: the year then has the milestone the indicator's reading derives
    (`indicators.services.milestones_due`), or none when nothing derives one. Reviewers only, with a reason;
    only an office target is restored (a document target is refused, a derived one is already restored).
    Queues the roll-up of the plan's years. Returns the year's target afterwards.
    With `seen` (`year_seen` when the page was drawn), a change saved meanwhile raises Conflict."""
    ensure_reviewer(by)
    reason = reason_required(reason, "恢复理由")
    audit = RESTORE_REASON.format(reason=reason)
    with transaction.atomic():
        current = Target.objects.select_for_update().filter(indicator=indicator, year=year).first()
        _document_refused(indicator, current)
        _stale_refused(
            Target, seen, f"“{indicator.name}”{year}年的目标", indicator_id=indicator.pk, year=year
        )
        if current is None or current.origin != Target.Origin.OFFICE:
            raise ValidationError(f"“{indicator.name}”{year}年的目标不是办公室设定的，无需恢复。")
        stamp(current, by, audit)
        current.delete()
        derived = milestones_due(indicator).get(year)
        target = None
        if derived is not None:
            target = upsert(Target, {"indicator": indicator, "year": year}, derived, LoadReport(), by=by,
                            reason=audit)  # fmt: skip
        _plan_rollup(indicator.pk, indicator.plan.years)
    return target
