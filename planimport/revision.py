"""A revised plan document against the published plan: what changed, and applying only the changes the office
accepts, through the same loader that published it (indicators.services.plan_load).

The published plan is read back as a fixture, the accepted changes are patched into it, and the loader brings
the rows to it: targets the office set (origin `office`) and derived ones are never touched by the loader;
document targets the revision drops are deleted, audited. Removed sections and tasks are shown, not applied.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.permissions import ensure_reviewer
from audit.services import stamp
from indicators.models import Indicator, Target
from indicators.services import plan_load
from planimport.figures import name_key
from planimport.models import Draft
from planimport.publish import fixture_of, regions_for, rollup_after_commit
from plans.models import Plan

if TYPE_CHECKING:
    from accounts.models import User

_PLAN_FIELDS = {"title": "方案名称", "issuer": "发文机关", "issued_on": "成文日期", "start_year": "起始年度"}
_PLAN_FIELDS |= {"end_year": "终止年度", "goals": "主要目标"}
_INDICATOR_KEYS = (
    "code",
    "name",
    "unit",
    "measure",
    "category",
    "decimals",
    "theme",
    "description",
    "combine",
)
_INDICATOR_KEYS += ("numerator_label", "denominator_label")


def _figure(value) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def plan_as_fixture(plan: Plan) -> dict[str, Any]:
    """The published plan as a fixture: what plan_load would need to bring it to exactly its present state.
    Only document targets are listed; derived and office targets stay as they are."""
    task_units = [
        unit for section in plan.sections.all() for task in section.tasks.all() for unit in task.units.all()
    ]
    region_code, regions = regions_for(plan.region, task_units)
    indicators = []
    for indicator in Indicator.objects.filter(plan=plan).order_by("position").prefetch_related("targets"):
        spec = {key: getattr(indicator, key) for key in _INDICATOR_KEYS}
        if indicator.computed_from_id:
            spec["computed_from"] = indicator.computed_from.code
        spec["comparable_key"] = indicator.comparable_key
        spec["definition"] = {
            "text": indicator.definition,
            "counts_from": indicator.counts_from,
            "source": indicator.definition_source,
            "state": indicator.definition_state,
            "question": indicator.definition_question if indicator.definition_pending else "",
        }
        spec["targets"] = [
            {
                "year": t.year,
                "comparator": t.comparator,
                "min": _figure(t.min),
                "max": _figure(t.max),
                "source": t.source,
            }
            for t in indicator.targets.all()
            if t.origin == Target.Origin.DOCUMENT
        ]
        indicators.append(spec)
    return {
        "plan": {
            "slug": plan.slug, "title": plan.title, "short_title": plan.short_title, "region": region_code,
            "issuer": plan.issuer, "issued_on": str(plan.issued_on) if plan.issued_on else None,
            "start_year": plan.start_year, "end_year": plan.end_year, "goals": plan.goals,
            "source_document": plan.source_document,
        },
        "regions": regions,
        "units": {unit.name: {"kind": unit.kind, "region": unit.region.code} for unit in task_units},
        "sections": [
            {
                "number": section.number,
                "title": section.title,
                "tasks": [
                    {"number": t.number, "title": t.title, "text": t.text, "responsible": t.responsible_text}
                    for t in section.tasks.order_by("number")
                ],
            }
            for section in plan.sections.order_by("number")
        ],
        "indicators": indicators,
    }  # fmt: skip


def _match(spec: dict[str, Any], published: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The published indicator a revised reading stands for: the same name, else the same name without its
    time and scope words (name_key), else one key holding the other."""
    for rule in (
        lambda a, b: a == b,
        lambda a, b: name_key(a) == name_key(b),
        lambda a, b: (
            min(len(name_key(a)), len(name_key(b))) >= 4
            and (name_key(a) in name_key(b) or name_key(b) in name_key(a))
        ),
    ):
        found = [ind for ind in published if rule(spec["name"], ind["name"])]
        if len(found) == 1:
            return found[0]
    return None


def revision_diff(draft: Draft, plan: Plan) -> list[dict[str, Any]]:
    """Every difference between the revised document's draft and the published plan, each with an id the
    office accepts by, what it was and what the revision says, and whether it can be applied."""
    new = fixture_of(draft, plan.region)
    old = plan_as_fixture(plan)
    changes: list[dict[str, Any]] = []

    def add(kind: str, label: str, before: Any, after: Any, patch: dict[str, Any] | None) -> None:
        change = {"kind": kind, "label": label, "old": before, "new": after, "patch": patch}
        changes.append({"id": f"c{len(changes) + 1}"} | change)

    for key, label in _PLAN_FIELDS.items():
        if str(old["plan"][key] or "") != str(new["plan"][key] or ""):
            add("plan", label, old["plan"][key], new["plan"][key], {"plan": key, "value": new["plan"][key]})
    old_sections = {s["number"]: s for s in old["sections"]}
    for section in new["sections"]:
        before = old_sections.get(section["number"])
        if before is None:
            add("section", f"新增板块{section['number']}", None, section["title"], {"section": section})
            continue
        if before["title"] != section["title"]:
            add("section", f"板块{section['number']}标题", before["title"], section["title"],
                {"section_title": section["number"], "value": section["title"]})  # fmt: skip
        old_tasks = {t["number"]: t for t in before["tasks"]}
        for task in section["tasks"]:
            was = old_tasks.pop(task["number"], None)
            where = f"板块{section['number']}任务{task['number']}"
            if was is None:
                add("task", f"新增{where}", None, task["title"], {"task": [section["number"], task]})
                continue
            for key, label in (("title", "标题"), ("text", "内容"), ("responsible", "责任单位")):
                if (was[key] or "") != (task[key] or "") and (key != "responsible" or task[key]):
                    patch = {"task_field": [section["number"], task["number"], key], "value": task[key]}
                    add("task", f"{where}{label}", was[key], task[key], patch)
        for number, task in old_tasks.items():
            add("task", f"板块{section['number']}任务{number}（修订文件中没有）", task["title"], None, None)
    matched = {_indicator_changes(spec, old["indicators"], add) for spec in new["indicators"]}
    for indicator in old["indicators"]:
        if indicator["code"] not in matched:
            for target in indicator["targets"]:
                label = f"“{indicator['name']}”{target['year']}年目标（修订文件中没有）"
                add(
                    "target",
                    label,
                    target["source"],
                    None,
                    {"target_delete": [indicator["code"], target["year"]]},
                )
    return changes


def _indicator_changes(spec: dict[str, Any], published: list[dict[str, Any]], add) -> str | None:
    """The changes one revised indicator brings; the code of the published indicator it stands for."""
    match = _match(spec, published)
    if match is None:
        targets = "、".join(f"{t['year']}年" for t in spec["targets"])
        add("indicator", f"新增指标“{spec['name']}”", None, targets, {"indicator": spec})
        return None
    for key, label in (("unit", "计量单位"), ("measure", "统计口径")):
        if spec[key] and spec[key] != match[key]:
            add("indicator", f"“{match['name']}”{label}", match[key], spec[key],
                {"indicator_field": [match["code"], key], "value": spec[key]})  # fmt: skip
    old_targets = {t["year"]: t for t in match["targets"]}
    for target in spec["targets"]:
        was = old_targets.pop(target["year"], None)
        figure = (target["comparator"], target["min"], target["max"])
        if was is None or (was["comparator"], was["min"], was["max"]) != figure:
            add("target", f"“{match['name']}”{target['year']}年目标", was and was["source"], target["source"],
                {"target": [match["code"], target]})  # fmt: skip
    for year, was in old_targets.items():
        add("target", f"“{match['name']}”{year}年目标（修订文件中没有）", was["source"], None,
            {"target_delete": [match["code"], year]})  # fmt: skip
    return match["code"]


def diff_fingerprint(changes: list[dict[str, Any]]) -> str:
    """What the office saw: accepting is refused when the plan or the draft changed since."""
    return hashlib.sha256(
        json.dumps(changes, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()[:16]


def _patch(data: dict[str, Any], patch: dict[str, Any], new_units: dict[str, Any], deletions: list) -> None:
    sections = {s["number"]: s for s in data["sections"]}
    indicators = {spec["code"]: spec for spec in data["indicators"]}
    if "plan" in patch:
        data["plan"][patch["plan"]] = patch["value"]
    elif "section" in patch:
        data["sections"].append(patch["section"])
    elif "section_title" in patch:
        sections[patch["section_title"]]["title"] = patch["value"]
    elif "task" in patch:
        number, task = patch["task"]
        sections[number]["tasks"].append(task)
    elif "task_field" in patch:
        number, task_number, key = patch["task_field"]
        next(t for t in sections[number]["tasks"] if t["number"] == task_number)[key] = patch["value"]
    elif "indicator" in patch:
        spec = dict(patch["indicator"])
        used = set(indicators)
        spec["code"] = next(f"doc-{n}" for n in range(1, len(used) + 2) if f"doc-{n}" not in used)
        data["indicators"].append(spec)
    elif "indicator_field" in patch:
        code, key = patch["indicator_field"]
        indicators[code][key] = patch["value"]
    elif "target" in patch:
        code, target = patch["target"]
        spec = indicators[code]
        spec["targets"] = [t for t in spec["targets"] if t["year"] != target["year"]] + [target]
    elif "target_delete" in patch:
        deletions.append(tuple(patch["target_delete"]))
    names = {name for s in data["sections"] for t in s["tasks"] for name in _names(t["responsible"])}
    for name in names - set(data["units"]):
        data["units"][name] = new_units.get(name, "gov_dept")


def _names(line: str) -> list[str]:
    from plans.unit_lists import split_unit_list

    return split_unit_list(line or "")


def revision_apply(*, draft: Draft, accepted: list[str], fingerprint: str, by: User) -> Plan:
    """Bring the published plan to the revised document for the accepted changes only, all or nothing."""
    ensure_reviewer(by)
    with transaction.atomic():
        row = Draft.objects.select_for_update().get(pk=draft.pk)
        plan = Plan.objects.select_for_update().get(slug=row.data["plan"]["slug"])
        if row.status != Draft.Status.DRAFT:
            raise ValidationError("该草稿已处理。")
        changes = revision_diff(row, plan)
        if diff_fingerprint(changes) != fingerprint:
            raise ValidationError("方案或草稿在您查看后有变化，请刷新页面重新核对。")
        chosen = [change for change in changes if change["id"] in set(accepted) and change["patch"]]
        if not chosen:
            raise ValidationError("请至少选择一项可应用的修改。")
        data, deletions = plan_as_fixture(plan), []
        new_units = fixture_of(row, plan.region)["units"]
        for change in chosen:
            _patch(data, change["patch"], new_units, deletions)
        plan_load(data=data)
        for code, year in deletions:
            target = Target.objects.get(indicator__plan=plan, indicator__code=code, year=year)
            stamp(target, by, f"按修订文件删除（草稿{row.pk}）")
            target.delete()
        reason = f"按修订文件更新（草稿{row.pk}）：" + "；".join(change["label"] for change in chosen)
        row.status, row.plan = Draft.Status.PUBLISHED, plan
        stamp(row, by, reason[:4000])
        row.save()
        rollup_after_commit(plan.slug)
    draft.refresh_from_db()
    return plan
