"""Reads for the import pages: the drafts, and a draft laid out for review beside its text."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from indicators.measures import MEASURES
from indicators.models import Indicator, Target
from ipcity.figures import target_text
from planimport.models import Draft
from planimport.revision import diff_fingerprint, revision_diff
from plans.models import Plan, Unit
from plans.unit_lists import split_unit_list


def drafts_recent() -> QuerySet[Draft]:
    return Draft.objects.select_related("created_by", "plan").order_by("-created_at")[:50]


def _marks(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every span the draft uses, with the item it stands for: plan facts, section heads, unit lists,
    targets. Overlapping spans keep the earlier one."""
    marks = []
    for key, label in (("title", "方案名称"), ("issuer", "发文机关"), ("issued_on", "成文日期")):
        span = data["spans"].get(key)
        if span:
            marks.append(span | {"ref": "plan", "label": label})
    for section in data["sections"]:
        marks.append(section["span"] | {"ref": f"section-{section['number']}", "label": "板块"})
        for task in section["tasks"]:
            for span in task.get("responsible_spans", []):
                marks.append(
                    span | {"ref": f"task-{section['number']}-{task['number']}", "label": "责任单位"}
                )
    for spec in data["indicators"]:
        for target in spec["targets"]:
            for span in target.get("spans", []):
                marks.append(
                    span | {"ref": f"ind-{spec['code']}", "label": f"{spec['name']} {target['year']}年"}
                )
    marks.sort(key=lambda mark: (mark["start"], -mark["end"]))
    kept, end = [], -1
    for mark in marks:
        if mark["start"] >= end:
            kept.append(mark)
            end = mark["end"]
    return kept


def text_segments(text: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's text cut into plain and marked pieces, in order."""
    pieces, at = [], 0
    for mark in _marks(data):
        if mark["start"] > at:
            pieces.append({"text": text[at : mark["start"]]})
        pieces.append({"text": text[mark["start"] : mark["end"]], "ref": mark["ref"], "label": mark["label"]})
        at = mark["end"]
    if at < len(text):
        pieces.append({"text": text[at:]})
    return pieces


def draft_review(draft: Draft) -> dict[str, Any]:
    """Everything the review page shows: the marked text, and the draft's items with their display text."""
    data = draft.data
    indicators = []
    for spec in data["indicators"]:
        targets = [
            target | {"text": target_text(target["comparator"], target["min"], target["max"], spec["unit"])}
            for target in spec["targets"]
        ]
        indicators.append(spec | {"targets": targets, "measure_label": MEASURES[spec["measure"]].label})
    matches = data.get("unit_matches", {})
    units = [{"name": name, "kind": kind, "match": matches.get(name)} for name, kind in data["units"].items()]
    sections = [
        section
        | {
            "tasks": [
                task | {"unit_names": split_unit_list(task["responsible"])} for task in section["tasks"]
            ]
        }
        for section in data["sections"]
    ]
    return {
        "segments": text_segments(draft.text, data),
        "plan": data["plan"],
        "questions": data["questions"],
        "sections": sections,
        "indicators": indicators,
        "units": units,
        "unused": data["unused_figures"],
        "changes": data.get("office_changes", []),
        "existing_units": Unit.objects.select_related("region").order_by("region__code", "name"),
        "unit_kinds": Unit.Kind.choices,
        "measures": [(key, measure.label) for key, measure in MEASURES.items()],
        "categories": Indicator.Category.choices,
        "comparators": Target.Comparator.choices,
        "years": list(range(data["plan"]["start_year"] or 0, (data["plan"]["end_year"] or 0) + 1)),
    }


def draft_revision(draft: Draft) -> dict[str, Any] | None:
    """When the draft's slug names a published plan: the revised document's differences from it."""
    plan = Plan.objects.select_related("region").filter(slug=draft.data["plan"]["slug"]).first()
    if plan is None or draft.status != Draft.Status.DRAFT:
        return None
    changes = revision_diff(draft, plan)
    return {"plan": plan, "changes": changes, "fingerprint": diff_fingerprint(changes)}
