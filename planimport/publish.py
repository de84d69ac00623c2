"""Publishing a reviewed draft: the plan is created by the same loaders the fixtures go through
(indicators.services.plan_load), the office's changes become origin `office` with their reasons, every row
is audited with the reviewer, and the roll-up runs once the plan is committed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts.permissions import ensure_reviewer
from audit.services import stamp
from indicators.models import DEFINITION_UNREAD, Indicator, Target
from indicators.services import plan_load
from planimport.models import Draft
from plans.models import Plan, Region, Unit
from plans.unit_lists import split_unit_list

if TYPE_CHECKING:
    from accounts.models import User

PUBLISH_REASON = "发布方案草稿{pk}（{filename}）"


def _region_spec(region: Region) -> dict[str, Any]:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent": region.parent.code if region.parent_id else None,
    }


def regions_for(region: Region | dict[str, Any], matched: list[Unit]) -> tuple[str, list[dict[str, Any]]]:
    """The plan's region (an existing one, or a new one the office names) and every region a matched unit
    lives in, parents first, as the loader upserts them."""
    specs: dict[str, dict[str, Any]] = {}

    def add(row: Region) -> None:
        if row.parent_id:
            add(row.parent)
        specs.setdefault(row.code, _region_spec(row))

    for unit in matched:
        add(unit.region)
    if isinstance(region, Region):
        add(region)
        return region.code, list(specs.values())
    if Region.objects.filter(code=region["code"]).exists():
        raise ValidationError(f"地区代码“{region['code']}”已被使用，请直接选择该地区。")
    parent = region.get("parent")
    if parent is not None:
        add(parent)
    specs[region["code"]] = {
        "code": region["code"],
        "name": region["name"],
        "level": region["level"],
        "parent": parent.code if parent else None,
    }
    return region["code"], list(specs.values())


def fixture_of(draft: Draft, region: Region | dict[str, Any]) -> dict[str, Any]:
    """The draft as a plan fixture (fixtures/*.yaml), ready for plan_load."""
    data = draft.data
    matches = {
        name: Unit.objects.select_related("region").get(pk=pk)
        for name, pk in data.get("unit_matches", {}).items()
    }
    region_code, regions = regions_for(region, list(matches.values()))
    units: dict[str, Any] = {}
    for name, kind in data["units"].items():
        if name in matches:
            unit = matches[name]
            units[unit.name] = {"kind": unit.kind, "region": unit.region.code}
        else:
            units[name] = kind
    sections = []
    for section in data["sections"]:
        tasks = []
        for task in section["tasks"]:
            names = [
                matches[name].name if name in matches else name
                for name in split_unit_list(task["responsible"])
            ]
            tasks.append(
                {
                    "number": task["number"],
                    "title": task["title"],
                    "text": task["text"],
                    "responsible": ",".join(names),
                }
            )
        sections.append({"number": section["number"], "title": section["title"], "tasks": tasks})
    plan = data["plan"]
    return {
        "plan": {
            "slug": plan["slug"],
            "title": plan["title"],
            "short_title": plan["short_title"] or plan["title"][:64],
            "region": region_code,
            "issuer": plan["issuer"],
            "issued_on": plan["issued_on"] or None,
            "start_year": plan["start_year"],
            "end_year": plan["end_year"],
            "goals": plan["goals"],
            "source_document": draft.filename,
        },
        "regions": regions,
        "units": units,
        "sections": sections,
        "indicators": [
            {
                **{key: spec[key] for key in ("code", "name", "unit", "measure", "category", "decimals")},
                "numerator_label": spec.get("numerator_label", ""),
                "denominator_label": spec.get("denominator_label", ""),
                "targets": [
                    {key: target[key] for key in ("year", "comparator", "min", "max", "source")}
                    for target in spec["targets"]
                ],
                "definition": draft_definition(spec),
            }
            for spec in data["indicators"]
        ],
    }


# Words of the office's plan pages (/office/plans/import/, …/drafts/…) that a plan's slug would hide.
RESERVED_SLUGS = frozenset({"import", "drafts"})


def draft_definition(spec: dict[str, Any]) -> dict[str, str]:
    """An imported indicator's definition (口径): the sentences its targets rest on, 待确认 until the office
    confirms what is counted and from when on the definitions page (a document rarely says both)."""
    sources = list(dict.fromkeys(target["source"] for target in spec["targets"] if target["source"]))
    questions = [*spec.get("questions", ()), DEFINITION_UNREAD]
    return {
        "text": spec["name"],
        "counts_from": "",
        "source": "\n".join(sources),
        "state": Indicator.DefinitionState.PENDING,
        "question": "\n".join(dict.fromkeys(questions)),
    }


def _check(data: dict[str, Any]) -> None:
    plan = data["plan"]
    if not plan["slug"] or plan["slug"] != slugify(plan["slug"]):
        raise ValidationError(
            f"方案标识“{plan['slug']}”只能由小写字母、数字和连字符组成，请在方案信息中修改。"
        )
    if plan["slug"] in RESERVED_SLUGS:
        raise ValidationError(f"方案标识不能是“{plan['slug']}”（系统页面已占用），请在方案信息中修改。")
    if Plan.objects.filter(slug=plan["slug"]).exists():
        raise ValidationError(
            f"方案标识“{plan['slug']}”已存在。若这是该方案的修订版文件，请在“与已发布方案的差异”中选择要应用的修改；"
            "若是另一份方案，请在“方案信息”中修改方案标识。"
        )
    if not plan["title"] or not plan["start_year"] or not plan["end_year"]:
        raise ValidationError("方案名称和实施期起止年度不能为空。")
    if not data["sections"]:
        raise ValidationError("草稿中没有任何板块和任务，不能发布。")
    names = [spec["name"] for spec in data["indicators"]]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValidationError(f"指标名称重复：{'、'.join(twice)}。请修改其中一个的名称。")
    for spec in data["indicators"]:
        if spec["measure"] == "ratio" and not (spec.get("numerator_label") and spec.get("denominator_label")):
            raise ValidationError(f"比率指标“{spec['name']}”须填写分子和分母名称。")


def draft_publish(*, draft: Draft, region: Region | dict[str, Any], by: User) -> Plan:
    """Create the plan from a reviewed draft, all or nothing. Document facts keep their source sentence and
    origin `document`; targets the office changed or added become origin `office` with the reason; the
    indicators the office changed carry the reason in their history. The roll-up runs after commit."""
    ensure_reviewer(by)
    with transaction.atomic():
        row = Draft.objects.select_for_update().get(pk=draft.pk)
        if row.status != Draft.Status.DRAFT:
            raise ValidationError("该草稿已发布。")
        _check(row.data)
        plan = plan_load(data=fixture_of(row, region))
        plan.refresh_from_db()  # the loader set issued_on from the draft's text
        reason = PUBLISH_REASON.format(pk=row.pk, filename=row.filename or "粘贴文字")
        _office_rows(plan, row.data, by)
        row.status, row.plan = Draft.Status.PUBLISHED, plan
        stamp(row, by, reason)
        row.save()
        rollup_after_commit(plan.slug)
    draft.refresh_from_db()
    return plan


def _office_rows(plan: Plan, data: dict[str, Any], by: User) -> None:
    for spec in data["indicators"]:
        indicator = Indicator.objects.get(plan=plan, code=spec["code"])
        if spec.get("origin") == "office":
            stamp(indicator, by, f"办公室审核修改：{spec['reason']}")
            indicator.save()
        for target in spec["targets"]:
            if target.get("origin") != "office":
                continue
            row = Target.objects.get(indicator=indicator, year=target["year"])
            row.origin = Target.Origin.OFFICE
            if target.get("document"):
                row.source = f"办公室修改（{target['reason']}）；原文：{target['source']}"
            stamp(row, by, f"办公室审核修改：{target['reason']}")
            row.save()


def rollup_after_commit(slug: str) -> None:
    """The plan's full roll-up, sent once the transaction that changed it commits."""
    from progress.tasks import rollup_full_task

    transaction.on_commit(lambda: rollup_full_task.delay(slug))
