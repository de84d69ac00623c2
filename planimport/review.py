"""The office's review of a draft: edits to its readings, each with a reason, each audited.

A target or indicator the office changes keeps what the document said (`document`) beside the office's
value and reason; publishing turns it into origin `office`. Every edit saves the draft completely or not at
all, with the reviewer and the reason in its history.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.permissions import ensure_reviewer
from audit.services import reason_required, stamp
from indicators.measures import MEASURES
from indicators.models import Indicator, Target
from planimport.draft import TO_CONFIRM
from planimport.figures import ratio_labels
from planimport.models import Draft

if TYPE_CHECKING:
    from accounts.models import User

COMPARATORS = dict(Target.Comparator.choices)
CATEGORIES = dict(Indicator.Category.choices)


def _figure(raw: Any, label: str) -> str | None:
    text = str(raw or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"{label}“{text[:20]}”不是数字。") from None
    if not value.is_finite() or value < 0 or abs(value) >= Decimal(10) ** 16:
        raise ValidationError(f"{label}“{text[:20]}”超出可填范围。")
    return format(value.normalize(), "f")


def target_bounds(comparator: str, low: Any, high: Any) -> tuple[str | None, str | None]:
    """min and max as a Target stores them for `comparator`, or a Chinese ValidationError."""
    if comparator not in COMPARATORS:
        raise ValidationError(f"比较方式“{comparator}”无效。")
    low, high = _figure(low, "下限"), _figure(high, "上限")
    label = COMPARATORS[comparator]
    if comparator in ("gte", "gt"):
        if low is None:
            raise ValidationError(f"“{label}”须填写目标值（下限）。")
        return low, None
    if comparator == "lte":
        bound = high or low
        if bound is None:
            raise ValidationError(f"“{label}”须填写目标值（上限）。")
        return None, bound
    if comparator == "between":
        if low is None or high is None:
            raise ValidationError("区间目标须同时填写下限和上限。")
        if Decimal(high) < Decimal(low):
            raise ValidationError(f"区间目标的上限{high}小于下限{low}。")
        return low, high
    return None, None


def _indicator(data: dict, code: str) -> dict:
    for spec in data["indicators"]:
        if spec["code"] == code:
            return spec
    raise ValidationError(f"草稿中没有指标{code}。")


def _year(data: dict, raw: Any) -> int:
    plan = data["plan"]
    try:
        year = int(str(raw).strip())
    except ValueError:
        raise ValidationError(f"年度“{str(raw)[:10]}”无效。") from None
    if plan["start_year"] and plan["end_year"] and not plan["start_year"] <= year <= plan["end_year"]:
        raise ValidationError(f"年度{year}不在方案实施期{plan['start_year']}—{plan['end_year']}年内。")
    return year


def _change(data: dict, what: str, old: Any, new: Any, reason: str, by: User) -> None:
    data.setdefault("office_changes", []).append(
        {"what": what, "old": old, "new": new, "reason": reason, "by": by.get_username()}
    )


def _target_edit(data: dict, form: dict, reason: str, by: User) -> str:
    spec = _indicator(data, form["code"])
    year = _year(data, form["year"])
    target = next((t for t in spec["targets"] if t["year"] == year), None)
    if target is None:
        raise ValidationError(f"指标“{spec['name']}”没有{year}年的目标。")
    new_year = _year(data, form.get("new_year") or year)
    if new_year != year and any(t["year"] == new_year for t in spec["targets"]):
        raise ValidationError(f"指标“{spec['name']}”已有{new_year}年的目标。")
    low, high = target_bounds(form["comparator"], form.get("min"), form.get("max"))
    old = {key: target[key] for key in ("year", "comparator", "min", "max")}
    new = {"year": new_year, "comparator": form["comparator"], "min": low, "max": high}
    if old == new:
        raise ValidationError("目标没有变化。")
    target.setdefault("document", old)
    target.update(new, origin="office", reason=reason, questions=[])
    spec["targets"].sort(key=lambda t: t["year"])
    _change(data, f"{spec['name']} {year}年目标", old, new, reason, by)
    return f"已修改“{spec['name']}”{year}年目标。"


def _target_add(data: dict, form: dict, reason: str, by: User) -> str:
    spec = _indicator(data, form["code"])
    year = _year(data, form["year"])
    if any(t["year"] == year for t in spec["targets"]):
        raise ValidationError(f"指标“{spec['name']}”已有{year}年的目标，请直接修改。")
    low, high = target_bounds(form["comparator"], form.get("min"), form.get("max"))
    spec["targets"].append(
        {
            "year": year, "comparator": form["comparator"], "min": low, "max": high,
            "source": f"办公室设定：{reason}", "spans": [], "figure_span": None, "cumulative": False,
            "confidence": 1.0, "questions": [], "origin": "office", "reason": reason,
        }
    )  # fmt: skip
    spec["targets"].sort(key=lambda t: t["year"])
    _change(data, f"{spec['name']} {year}年目标", None, form["comparator"], reason, by)
    return f"已为“{spec['name']}”增加{year}年目标。"


def _target_delete(data: dict, form: dict, reason: str, by: User) -> str:
    spec = _indicator(data, form["code"])
    year = _year(data, form["year"])
    kept = [t for t in spec["targets"] if t["year"] != year]
    if len(kept) == len(spec["targets"]):
        raise ValidationError(f"指标“{spec['name']}”没有{year}年的目标。")
    spec["targets"] = kept
    _change(data, f"{spec['name']} {year}年目标", year, None, reason, by)
    return f"已删除“{spec['name']}”{year}年目标。"


def _indicator_edit(data: dict, form: dict, reason: str, by: User) -> str:
    spec = _indicator(data, form["code"])
    if form["measure"] not in MEASURES:
        raise ValidationError(f"统计口径“{form['measure']}”无效。")
    if form.get("category", spec["category"]) not in CATEGORIES:
        raise ValidationError(f"类别“{form['category']}”无效。")
    name = (form.get("name") or spec["name"]).strip()[:128]
    if not name:
        raise ValidationError("指标名称不能为空。")
    fields = {"name": name, "unit": (form.get("unit", spec["unit"]) or "").strip()[:16]}
    fields |= {"measure": form["measure"], "category": form.get("category", spec["category"])}
    if form["measure"] == "ratio":
        labels = {
            key: (form.get(key) or spec.get(key) or "").strip()[:64]
            for key in ("numerator_label", "denominator_label")
        }
        fields |= {key: value or ratio_labels(name)[key] for key, value in labels.items()}
    old = {key: spec.get(key, "") for key in fields}
    if old == fields:
        raise ValidationError("指标没有变化。")
    spec.setdefault("document", old)
    spec.update(fields, origin="office", reason=reason, questions=[], status="")
    _change(data, f"指标{spec['code']}", old, fields, reason, by)
    return f"已修改指标“{name}”。"


def _indicator_delete(data: dict, form: dict, reason: str, by: User) -> str:
    spec = _indicator(data, form["code"])
    data["indicators"] = [s for s in data["indicators"] if s["code"] != spec["code"]]
    _change(data, f"指标{spec['code']}", spec["name"], None, reason, by)
    return f"已删除指标“{spec['name']}”。"


def _indicator_add(data: dict, form: dict, reason: str, by: User) -> str:
    name = (form.get("name") or "").strip()[:128]
    if not name:
        raise ValidationError("请填写指标名称。")
    if form.get("measure") not in MEASURES:
        raise ValidationError("请选择统计口径。")
    used = {spec["code"] for spec in data["indicators"]}
    code = next(f"i{n:02d}" for n in range(1, len(used) + 2) if f"i{n:02d}" not in used)
    data["indicators"].append(
        {
            **(ratio_labels(name) if form["measure"] == "ratio" else {}),
            "code": code, "name": name, "unit": (form.get("unit") or "").strip()[:16],
            "measure": form["measure"], "measure_confidence": 1.0,
            "category": form.get("category") or "overall", "decimals": 0,
            "status": "", "questions": [], "targets": [], "origin": "office", "reason": reason,
        }
    )  # fmt: skip
    _change(data, f"指标{code}", None, name, reason, by)
    return f"已增加指标“{name}”，请为其添加年度目标。"


def _indicator_accept(data: dict, form: dict, reason: str, by: User) -> str:
    """The office confirms the readings as read: the 待确认 questions are answered, nothing changes."""
    spec = _indicator(data, form["code"])
    spec["status"], spec["questions"] = "", []
    for target in spec["targets"]:
        target["questions"] = []
    _change(data, f"指标{spec['code']}确认", TO_CONFIRM, "已确认", reason, by)
    return f"已确认“{spec['name']}”的识别结果。"


def _plan_edit(data: dict, form: dict, reason: str, by: User) -> str:
    plan = data["plan"]
    old = dict(plan)
    for key in ("slug", "title", "short_title", "issuer"):
        if key in form:
            plan[key] = str(form[key]).strip()[:200]
    if "issued_on" in form:
        plan["issued_on"] = str(form["issued_on"]).strip() or None
        try:
            plan["issued_on"] and datetime.date.fromisoformat(plan["issued_on"])
        except ValueError:
            raise ValidationError(
                f"成文日期“{plan['issued_on'][:20]}”无效，请按2024-02-28的格式填写。"
            ) from None
    for key in ("start_year", "end_year"):
        if key in form:
            try:
                plan[key] = int(form[key])
            except ValueError:
                raise ValidationError(f"年度“{str(form[key])[:10]}”无效。") from None
    if not plan["start_year"] or not plan["end_year"] or plan["start_year"] > plan["end_year"]:
        raise ValidationError("请填写正确的实施期起止年度。")
    _change(
        data,
        "方案信息",
        {k: old[k] for k in form if k in old},
        {k: plan[k] for k in form if k in plan},
        reason,
        by,
    )
    return "已修改方案信息。"


def _unit_edit(data: dict, form: dict, reason: str, by: User) -> str:
    """A unit the document names: created with a kind, or matched to a unit that already exists."""
    name = form["name"]
    if name not in data["units"]:
        raise ValidationError(f"草稿中没有单位“{name}”。")
    match = (form.get("match") or "").strip()
    data.setdefault("unit_matches", {})
    if match:
        data["unit_matches"][name] = match
    else:
        data["unit_matches"].pop(name, None)
        data["units"][name] = form.get("kind") or data["units"][name]
    _change(data, f"单位{name}", None, match or data["units"][name], reason, by)
    return f"已设定单位“{name}”。"


ACTIONS = {
    "target": (_target_edit, True),
    "target-add": (_target_add, True),
    "target-delete": (_target_delete, True),
    "indicator": (_indicator_edit, True),
    "indicator-add": (_indicator_add, True),
    "indicator-delete": (_indicator_delete, True),
    "indicator-accept": (_indicator_accept, False),
    "plan": (_plan_edit, False),
    "unit": (_unit_edit, False),
}


def draft_edit(*, draft: Draft, action: str, form: dict[str, Any], by: User) -> str:
    """Apply one review step to a draft; returns what was done, in Chinese. A change to what the document
    states needs a reason; every step is saved with the reviewer and the reason, or not at all."""
    ensure_reviewer(by)
    if action not in ACTIONS:
        raise ValidationError("无效的操作。")
    apply, needs_reason = ACTIONS[action]
    reason = (
        reason_required(form.get("reason", ""), "修改原因")
        if needs_reason
        else (form.get("reason") or "").strip()
    )
    with transaction.atomic():
        row = Draft.objects.select_for_update().get(pk=draft.pk)
        if row.status != Draft.Status.DRAFT:
            raise ValidationError("该草稿已发布，不能再修改。")
        data = row.data
        try:
            message = apply(data, form, reason or "审核确认", by)
        except KeyError as missing:
            raise ValidationError(f"缺少字段{missing}。") from None
        row.data = data
        row.title = data["plan"]["title"][:200]
        stamp(row, by, f"审核方案草稿：{message}{('原因：' + reason) if reason else ''}")
        row.save()
    draft.refresh_from_db()
    return message
