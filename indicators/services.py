"""Writes to indicators: loading indicators with their targets and baselines, deriving interim milestones."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from indicators.models import Baseline, Indicator, Target

if TYPE_CHECKING:
    from plans.models import Plan
    from plans.services import LoadReport

_INDICATOR_KEYS = {
    "code", "name", "unit", "measure", "category", "decimals", "theme", "description", "combine",
    "numerator_label", "denominator_label", "computed_from", "targets", "baselines", "derive_milestones",
}  # fmt: skip
_TARGET_KEYS = {"year", "comparator", "min", "max", "source"}
_BASELINE_KEYS = {"year", "value", "source"}


def _check_keys(spec: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(spec) - allowed
    if unknown:
        raise ValueError(f"{where}: 未知字段 {sorted(unknown)}")


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def indicators_load(*, plan: Plan, specs: list[dict[str, Any]], report: LoadReport) -> list[Indicator]:
    """Upsert a plan's indicators, their baselines and document targets, then derive missing milestones.

    Targets with origin `office` are left as the office set them; a document target replaces a derived one.
    """
    from plans.services import upsert

    indicators: dict[str, Indicator] = {}
    for position, spec in enumerate(specs, start=1):
        _check_keys(spec, _INDICATOR_KEYS, f"{plan.slug}/{spec.get('code')}")
        indicators[spec["code"]] = upsert(
            Indicator,
            {"plan": plan, "code": spec["code"]},
            {
                "name": spec["name"],
                "unit": spec.get("unit", ""),
                "measure": spec["measure"],
                "category": spec["category"],
                "decimals": spec.get("decimals", 0),
                "combine": spec.get("combine", Indicator.Combine.SUM),
                "position": position,
                "description": spec.get("description", ""),
                "numerator_label": spec.get("numerator_label", ""),
                "denominator_label": spec.get("denominator_label", ""),
                "theme": spec.get("theme", ""),
            },
            report,
        )
    for spec in specs:
        indicator = indicators[spec["code"]]
        source = indicators[spec["computed_from"]] if spec.get("computed_from") else None
        if indicator.computed_from_id != (source.pk if source else None):
            indicator.computed_from = source
            indicator.save(update_fields=["computed_from"])
        for baseline in spec.get("baselines", []):
            _check_keys(baseline, _BASELINE_KEYS, f"{spec['code']} baseline")
            upsert(
                Baseline,
                {"indicator": indicator, "year": baseline["year"]},
                {"value": _decimal(baseline["value"]), "source": baseline["source"]},
                report,
            )
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
        if spec.get("derive_milestones"):
            for year, values in target_derive_milestones(indicator).items():
                _target_put(indicator, year=year, values=values, report=report)
    return list(indicators.values())


def _target_put(indicator: Indicator, *, year: int, values: dict[str, Any], report: LoadReport) -> None:
    from plans.services import upsert

    existing = Target.objects.filter(indicator=indicator, year=year).values_list("origin", flat=True).first()
    if existing == Target.Origin.OFFICE:
        report.kept_office += 1
        return
    if existing == Target.Origin.DOCUMENT and values["origin"] == Target.Origin.DERIVED:
        return
    upsert(Target, {"indicator": indicator, "year": year}, values, report)


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
