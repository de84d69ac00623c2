"""Importing a plan document: its text read within the upload limits, the draft read from it, the draft in
the API's shapes, and the draft stored for the office's review."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from audit.services import stamp
from indicators.api import IndicatorOutput
from planimport.draft import draft_from_text
from planimport.extract import Limits, checked_text, document_text
from planimport.models import Draft
from planimport.publish import draft_definition
from plans.api import PlanDetailOutput
from plans.unit_lists import split_unit_list

if TYPE_CHECKING:
    from accounts.models import User

SAVE_REASON = "导入方案文件：{name}"


def upload_limits() -> Limits:
    """The Excel upload's limits (settings), applied to plan documents too."""
    return Limits(
        max_bytes=settings.UPLOAD_MAX_BYTES,
        max_parts=settings.IPCITY_IMPORT_MAX_PARTS,
        max_inflated=settings.IPCITY_IMPORT_MAX_INFLATED,
        max_ratio=settings.IPCITY_IMPORT_MAX_RATIO,
    )


def draft_read(
    *, data: bytes | None = None, name: str = "", pasted: str = "", slug: str = ""
) -> dict[str, Any]:
    """The draft of a plan document given as a file (`data`, `name`) or as pasted text. Raises
    planimport.extract.DocumentRefused (a ValidationError with a Chinese message) for what it will not read;
    stores nothing."""
    text = document_text(data, name, upload_limits()) if data is not None else checked_text(pasted)
    return draft_from_text(text, slug=slug, source_document=name)


def draft_save(*, draft: dict[str, Any], filename: str, by: User | None) -> Draft:
    """Store a draft for review: the document's text and what was read from it, audited."""
    data = {key: value for key, value in draft.items() if key != "text"}
    row = Draft(title=draft["plan"]["title"][:200], filename=filename[:200], text=draft["text"], data=data)
    row.created_by = by
    stamp(row, by, SAVE_REASON.format(name=filename or "粘贴文字"))
    with transaction.atomic():
        row.save()
    return row


def _plan_object(draft: dict[str, Any]) -> SimpleNamespace:
    plan = draft["plan"]
    sections = []
    for section in draft["sections"]:
        tasks = []
        for task in section["tasks"]:
            names = split_unit_list(task.get("responsible", ""))
            units = [
                SimpleNamespace(unit=SimpleNamespace(name=name), role="lead" if position == 0 else "co")
                for position, name in enumerate(names)
            ]
            tasks.append(
                SimpleNamespace(
                    number=task["number"], title=task["title"], text=task["text"], task_units=units
                )
            )
        sections.append(SimpleNamespace(number=section["number"], title=section["title"], tasks=tasks))
    return SimpleNamespace(
        **{key: plan[key] for key in ("slug", "title", "start_year", "end_year", "issuer", "goals")},
        region=SimpleNamespace(name=plan["region"]),
        issued_on=plan["issued_on"],
        sections=sections,
    )


def _indicator_object(spec: dict[str, Any]) -> SimpleNamespace:
    targets = [SimpleNamespace(**target, origin="document") for target in spec["targets"]]
    definition = draft_definition(spec)
    return SimpleNamespace(
        **{key: spec[key] for key in ("code", "name", "unit", "measure", "category")},
        definition=definition["text"],
        counts_from=definition["counts_from"],
        definition_source=definition["source"],
        definition_pending=True,
        definition_question=definition["question"],
        comparable_key="",
        baselines=SimpleNamespace(all=list),
        targets=targets,
    )


def draft_as_api(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft as `{"plan": <GET /api/plans/{slug}/>, "indicators": <GET /api/plans/{slug}/indicators/>}`,
    written by the API's own serializers, every target with its `source` sentence; `review` adds what the
    office needs to check it: spans into the text, confidences, 待确认 questions, figures no target uses."""
    return {
        "plan": PlanDetailOutput(_plan_object(draft)).data,
        "indicators": [IndicatorOutput(_indicator_object(spec)).data for spec in draft["indicators"]],
        "review": {
            "questions": draft["questions"],
            "spans": draft["spans"],
            "units": draft["units"],
            "tasks": [
                {
                    "section": section["number"],
                    "number": task["number"],
                    "span": task["span"],
                    "responsible_spans": task.get("responsible_spans", []),
                    "questions": task["questions"],
                }
                for section in draft["sections"]
                for task in section["tasks"]
            ],
            "indicators": [
                {
                    "code": spec["code"],
                    "measure_confidence": spec["measure_confidence"],
                    "status": spec["status"],
                    "questions": spec["questions"],
                    "targets": [
                        {
                            key: target[key]
                            for key in ("year", "spans", "confidence", "cumulative", "questions")
                        }
                        for target in spec["targets"]
                    ],
                }
                for spec in draft["indicators"]
            ],
            "unused_figures": draft["unused_figures"],
        },
    }
