"""Writes to the catalogue: loading a plan with its indicators, definitions, targets and baselines from its
fixture, deriving interim milestones, the office's reporting assignments and its confirmed definitions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.permissions import ensure_reviewer
from audit.services import Conflict, reason_required, stamp
from indicators.measures import MEASURES
from indicators.models import Assignment, Baseline, Indicator, Target
from indicators.rollup_queue import rollup_schedule
from plans.models import Plan, Unit
from plans.services import LoadReport, plan_structure_load

if TYPE_CHECKING:
    from accounts.models import User

_INDICATOR_KEYS = {
    "code", "name", "unit", "measure", "category", "decimals", "theme", "description", "combine",
    "numerator_label", "denominator_label", "computed_from", "targets", "baselines", "derive_milestones",
    "definition", "comparable_key",
}  # fmt: skip
_TARGET_KEYS = {"year", "comparator", "min", "max", "source"}
_BASELINE_KEYS = {"year", "value", "source"}
_DEFINITION_KEYS = {"text", "counts_from", "source", "state", "question"}


def _check_keys(spec: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(spec) - allowed
    if unknown:
        raise ValueError(f"{where}: 未知字段 {sorted(unknown)}")


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _definition(spec: dict[str, Any], where: str) -> dict[str, Any]:
    """The indicator's definition fields from its fixture entry: a pending reading must state its question."""
    definition = spec.get("definition")
    if not definition:
        raise ValueError(f"{where}: 缺少口径（definition）")
    _check_keys(definition, _DEFINITION_KEYS, f"{where} definition")
    state = definition.get("state")
    if state not in Indicator.DefinitionState.values:
        raise ValueError(f"{where}: 口径状态应为 {Indicator.DefinitionState.values}")
    question = definition.get("question", "")
    if (state == Indicator.DefinitionState.PENDING) != bool(question):
        raise ValueError(f"{where}: 待确认的口径须写明问题，已确认的口径不写问题")
    return {
        "measure": spec["measure"],
        "definition": definition["text"],
        "counts_from": definition["counts_from"],
        "definition_source": definition["source"],
        "definition_state": state,
        "definition_question": question,
        "comparable_key": spec.get("comparable_key", ""),
    }


def indicators_load(*, plan: Plan, specs: list[dict[str, Any]], report: LoadReport) -> list[Indicator]:
    """Upsert a plan's indicators with their definitions, baselines and document targets, then derive missing
    milestones; baselines and derived milestones the fixture no longer has are removed.

    Targets with origin `office` are left as the office set them; a document target replaces a derived one.
    An indicator whose definition the office confirmed or changed keeps its definition, measure kind and
    baselines as the office left them.
    """
    from plans.services import upsert

    indicators: dict[str, Indicator] = {}
    for position, spec in enumerate(specs, start=1):
        where = f"{plan.slug}/{spec.get('code')}"
        _check_keys(spec, _INDICATOR_KEYS, where)
        definition = _definition(spec, where)
        by_office = Indicator.objects.filter(plan=plan, code=spec["code"], definition_by_office=True).exists()
        indicators[spec["code"]] = upsert(
            Indicator,
            {"plan": plan, "code": spec["code"]},
            {
                "name": spec["name"],
                "unit": spec.get("unit", ""),
                "category": spec["category"],
                "decimals": spec.get("decimals", 0),
                "combine": spec.get("combine", Indicator.Combine.SUM),
                "position": position,
                "description": spec.get("description", ""),
                "numerator_label": spec.get("numerator_label", ""),
                "denominator_label": spec.get("denominator_label", ""),
                "theme": spec.get("theme", ""),
                **({} if by_office else definition),
            },
            report,
        )
    for spec in specs:
        indicator = indicators[spec["code"]]
        source = indicators[spec["computed_from"]] if spec.get("computed_from") else None
        if indicator.computed_from_id != (source.pk if source else None):
            indicator.computed_from = source
            indicator.save(update_fields=["computed_from"])
        if not indicator.definition_by_office:
            _baselines_load(indicator, spec.get("baselines", []), report)
        for target in spec.get("targets", []):
            _check_keys(target, _TARGET_KEYS, f"{spec['code']} target")
            _target_put(
                indicator,
                year=target["year"],
                values={
                    "comparator": target["comparator"],
                    "min": _decimal(target.get("min")),
                    "max": _decimal(target.get("max")),
                    "origin": Target.Origin.DOCUMENT,
                    "source": target["source"],
                },
                report=report,
            )
        if not indicator.definition_by_office:  # else its milestones stand on the office's baseline
            derived = target_derive_milestones(indicator) if spec.get("derive_milestones") else {}
            _derived_put(indicator, derived, report)
    return list(indicators.values())


def _baselines_load(indicator: Indicator, specs: list[dict[str, Any]], report: LoadReport) -> None:
    from plans.services import LOAD_REASON, upsert

    for baseline in specs:
        _check_keys(baseline, _BASELINE_KEYS, f"{indicator.code} baseline")
        upsert(
            Baseline,
            {"indicator": indicator, "year": baseline["year"]},
            {"value": _decimal(baseline["value"]), "source": baseline["source"]},
            report,
        )
    # A baseline the fixture dropped counted something else than the target (it was no baseline).
    _delete_all(
        indicator.baselines.exclude(year__in=[baseline["year"] for baseline in specs]), None, LOAD_REASON
    )


def _delete_all(rows, by: User | None, reason: str) -> int:
    """Delete `rows` one by one, so that each deletion is in the audit trail with who and why."""
    count = 0
    for row in rows:
        stamp(row, by, reason)
        row.delete()
        count += 1
    return count


def _derived_put(
    indicator: Indicator,
    milestones: dict[int, dict[str, Any]],
    report: LoadReport,
    *,
    by: User | None = None,
    reason: str | None = None,
) -> None:
    """Make `milestones` the indicator's derived targets: derived ones of other years stood on a baseline
    that is gone or changed, and go too. Document and office targets are never touched."""
    from plans.services import LOAD_REASON

    reason = reason or LOAD_REASON
    for year, values in milestones.items():
        _target_put(indicator, year=year, values=values, report=report, by=by, reason=reason)
    stale = indicator.targets.filter(origin=Target.Origin.DERIVED).exclude(year__in=list(milestones))
    deleted = _delete_all(stale, by, reason)
    if deleted:
        report.updated[Target._meta.verbose_name] += deleted


def _target_put(
    indicator: Indicator,
    *,
    year: int,
    values: dict[str, Any],
    report: LoadReport,
    by: User | None = None,
    reason: str | None = None,
) -> None:
    from plans.services import LOAD_REASON, upsert

    existing = Target.objects.filter(indicator=indicator, year=year).values_list("origin", flat=True).first()
    if existing == Target.Origin.OFFICE:
        report.kept_office += 1
        return
    if existing == Target.Origin.DOCUMENT and values["origin"] == Target.Origin.DERIVED:
        return
    upsert(
        Target, {"indicator": indicator, "year": year}, values, report, by=by, reason=reason or LOAD_REASON
    )


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def target_derive_milestones(indicator: Indicator) -> dict[int, dict[str, Any]]:
    """Interim milestones on a straight path from the latest baseline to the plan's final document target.

    Only for years the document itself sets no target, and only when a baseline before the plan starts
    and a numeric (gte/gt) final target exist. Values are rounded half-up to the indicator's decimals.
    """
    plan = indicator.plan
    baseline = indicator.baselines.filter(year__lt=plan.start_year).order_by("-year").first()
    final = indicator.targets.filter(
        year=plan.end_year,
        origin=Target.Origin.DOCUMENT,
        comparator__in=[Target.Comparator.GTE, Target.Comparator.GT],
    ).first()
    if baseline is None or final is None:
        return {}
    documented = set(indicator.targets.filter(origin=Target.Origin.DOCUMENT).values_list("year", flat=True))
    span = plan.end_year - baseline.year
    step = (final.min - baseline.value) / span
    quantum = Decimal(1).scaleb(-indicator.decimals)
    unit = indicator.unit
    milestones = {}
    for year in range(plan.start_year, plan.end_year):
        if year in documented:
            continue
        value = (baseline.value + step * (year - baseline.year)).quantize(quantum, rounding=ROUND_HALF_UP)
        milestones[year] = {
            "comparator": Target.Comparator.GTE,
            "min": value,
            "max": None,
            "origin": Target.Origin.DERIVED,
            "source": (
                f"推算：由{baseline.year}年基期值{_plain(baseline.value)}{unit}至{plan.end_year}年目标"
                f"{_plain(final.min)}{unit}按直线推算，每年增加{_plain(step)}{unit}，"
                f"{year}年末应达到{_plain(value)}{unit}（文件未列年度目标）"
            ),
        }
    return milestones


def milestones_due(indicator: Indicator) -> dict[int, dict[str, Any]]:
    """The milestones the office's reading of the indicator derives: a level's only (a flow or a count from
    the plan's start has none), on its baseline (`target_derive_milestones`)."""
    return target_derive_milestones(indicator) if indicator.kind.reported_as_level else {}


def assignments_set(
    *, indicator: Indicator, units: list[Unit], lead: Unit | None, by: User, reason: str
) -> list[Assignment]:
    """Make `units` exactly the units reporting `indicator` (for a ratio: numerator and denominator both),
    `lead` among them the one whose figure counts when the indicator takes the lead unit's figure.

    Reviewers only, with a reason; one history row per assignment added, removed or changed. Figures already
    reported stay where they are. An indicator read from another indicator's figures takes no assignment;
    group units (单位组) never report."""
    ensure_reviewer(by)
    reason = reason_required(reason, "调整原因")
    chosen = {unit.pk: unit for unit in units}
    if indicator.computed_from_id and chosen:
        raise ValidationError(f"{indicator.name}的数据取自其他指标，无需分配填报单位。")
    if any(unit.kind == Unit.Kind.GROUP for unit in chosen.values()):
        raise ValidationError("单位组不能作为填报单位，请选择具体单位。")
    if lead is not None and lead.pk not in chosen:
        raise ValidationError("牵头单位须是所选填报单位之一。")
    if lead is None and len(chosen) == 1:
        lead = next(iter(chosen.values()))
    audit = f"调整填报分工：{reason}"
    with transaction.atomic():
        rows = Assignment.objects.select_for_update().filter(indicator=indicator)
        current = {row.unit_id: row for row in rows}
        # Removals and lost leads first: the one-lead constraint must hold after every statement.
        for unit_id, row in current.items():
            if unit_id not in chosen:
                stamp(row, by, audit)
                row.delete()
            elif row.is_lead and (lead is None or lead.pk != unit_id):
                row.is_lead = False
                stamp(row, by, audit)
                row.save()
        for unit_id, unit in chosen.items():
            row = current.get(unit_id)
            is_lead = lead is not None and lead.pk == unit_id
            if row is None:
                row = Assignment(indicator=indicator, unit=unit, is_lead=is_lead)
            elif row.is_lead == is_lead:
                continue
            row.is_lead = is_lead
            stamp(row, by, audit)
            row.save()
    return list(Assignment.objects.filter(indicator=indicator).select_related("unit"))


FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
PLAN_FIXTURES = ("quanzhou-2024-2026.yaml", "zhenjiang-edz-2024-2026.yaml")


def read_fixture(name: str) -> dict[str, Any]:
    with open(FIXTURES_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@transaction.atomic
def plan_load(*, data: dict[str, Any], report: LoadReport | None = None) -> Plan:
    """Load one plan fixture: its structure (plans.services) and its indicators. Idempotent: a second run
    with the same data changes nothing. Rows are matched on natural keys (down to indicator code and target
    year) and brought to the fixture's values; targets the office set (origin `office`) are never touched."""
    report = report if report is not None else LoadReport()
    plan = plan_structure_load(data=data, report=report)
    indicators_load(plan=plan, specs=data.get("indicators", []), report=report)
    return plan


def plans_load_all(names: tuple[str, ...] = PLAN_FIXTURES) -> LoadReport:
    """Load every plan fixture in one transaction (all or nothing)."""
    report = LoadReport()
    with transaction.atomic():
        for name in names:
            plan_load(data=read_fixture(name), report=report)
    return report


# The office's definitions (口径) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineInput:
    """The baseline the office sets: a figure of a year before the plan, counting what the target counts."""

    year: int
    value: Decimal
    source: str


@dataclass(frozen=True)
class DefinitionInput:
    """What the office confirms or changes of an indicator's reading. `confirmed` False keeps it 待确认 with
    `question`; `baseline` None means the indicator has no baseline."""

    definition: str
    counts_from: str
    measure: str
    comparable_key: str
    baseline: BaselineInput | None
    confirmed: bool
    question: str = ""


DEFINITION_REASON = "确认或修改口径：{reason}"


def definition_seen(indicator: Indicator) -> int | None:
    """The version of the indicator a person sees: its newest history row (`definition_change`'s `seen`)."""
    return indicator.history.order_by("-history_id").values_list("history_id", flat=True).first()


def definition_change(
    *, indicator: Indicator, data: DefinitionInput, by: User, reason: str, seen: int | None = None
) -> Indicator:
    """Confirm or change the indicator's definition, measure kind, baseline and comparable key (reviewers
    only, with a reason; every row written carries who and why). From then on `load_plans` leaves them as the
    office set them.

    The measure kind changes only between kinds a unit fills in the same way (figures already reported stay
    as they are). A change of measure kind, baseline or definition derives the interim milestones again from
    what remains (a level's only: a flow or a count from the plan's start has none) and queues the roll-up
    of every year of the plan, after commit. With `seen` (`definition_seen` when the page was drawn), a change
    someone saved meanwhile raises Conflict and nothing is written."""
    ensure_reviewer(by)
    reason = reason_required(reason, "确认或修改理由")
    _definition_check(indicator, data)
    audit = DEFINITION_REASON.format(reason=reason)
    with transaction.atomic():
        indicator = Indicator.objects.select_for_update().select_related("plan").get(pk=indicator.pk)
        if seen is not None and definition_seen(indicator) != seen:
            raise Conflict(
                f"“{indicator.name}”的口径已被他人修改，您看到的是旧版本。为避免覆盖他人的修改，本次保存未生效，"
                "请刷新页面后重新填写。"
            )
        before = (indicator.measure, indicator.definition, indicator.counts_from)
        indicator.definition = data.definition.strip()
        indicator.counts_from = data.counts_from.strip()
        indicator.measure = data.measure
        indicator.comparable_key = data.comparable_key
        indicator.definition_state = (
            Indicator.DefinitionState.CONFIRMED if data.confirmed else Indicator.DefinitionState.PENDING
        )
        if data.question.strip() or not data.confirmed:
            indicator.definition_question = data.question.strip()
        indicator.definition_by_office = True
        stamp(indicator, by, audit)
        indicator.save()
        baseline_changed = _baseline_set(indicator, data.baseline, by=by, reason=audit)
        if baseline_changed or before != (indicator.measure, indicator.definition, indicator.counts_from):
            _derived_put(indicator, milestones_due(indicator), LoadReport(), by=by, reason=audit)
            for year in indicator.plan.years:
                rollup_schedule(indicator_id=indicator.pk, year=year)
    return indicator


def _definition_check(indicator: Indicator, data: DefinitionInput) -> None:
    errors: dict[str, list[str]] = {}
    if not data.definition.strip():
        errors["definition"] = ["请填写口径：统计什么。"]
    if not data.counts_from.strip():
        errors["counts_from"] = ["请填写起算：时点值写明时点，累计写明自何时起算。"]
    if not data.confirmed and not data.question.strip():
        errors["question"] = ["保持“待确认”时，请写明待确认的问题。"]
    new_kind = MEASURES.get(data.measure)
    if new_kind is None:
        errors["measure"] = [f"未知的统计方式“{data.measure}”。"]
    elif new_kind.inputs != indicator.kind.inputs:
        errors["measure"] = [
            f"“{indicator.kind.label}”与“{new_kind.label}”的填报内容不同，不能在此互改；"
            "只能在填报内容相同的统计方式之间调整。"
        ]
    plan = indicator.plan
    if data.baseline is not None:
        if data.baseline.year >= plan.start_year:
            errors["baseline_year"] = [f"基期年份应早于方案实施期（{plan.start_year}年）。"]
        if not data.baseline.source.strip():
            errors["baseline_source"] = ["请填写基期值的来源（原文）。"]
        if new_kind is not None and new_kind.counts_from_plan_start:
            errors["baseline_year"] = ["实施期内累计的指标自实施期开始从0起算，不设基期值。"]
    if errors:
        raise ValidationError(errors)


def _baseline_set(indicator: Indicator, baseline: BaselineInput | None, *, by: User, reason: str) -> bool:
    """Make `baseline` the indicator's only baseline (none when None). True when anything changed."""
    from plans.services import upsert

    others = indicator.baselines.all()
    report = LoadReport()
    if baseline is not None:
        values = {"value": baseline.value, "source": baseline.source.strip()}
        upsert(
            Baseline, {"indicator": indicator, "year": baseline.year}, values, report, by=by, reason=reason
        )
        others = others.exclude(year=baseline.year)
    return bool(_delete_all(others, by, reason)) or report.changed
