"""Writes to plans: loading a plan from its fixture, and reading a 责任单位 line into units."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from plans.models import Plan, Region, Section, Task, TaskUnit, Unit
from plans.unit_lists import split_unit_list

LOAD_REASON = "load_plans：按方案原文装载"


@dataclass
class LoadReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    kept_office: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        def fmt(counter: Counter[str]) -> str:
            return "、".join(f"{name}{count}" for name, count in sorted(counter.items())) or "无"

        text = f"新建：{fmt(self.created)}；更新：{fmt(self.updated)}；未变：{fmt(self.unchanged)}"
        if self.kept_office:
            text += f"；保留办公室设定目标{self.kept_office}条"
        return text


def upsert(
    model: type[models.Model],
    lookup: dict[str, Any],
    values: dict[str, Any],
    report: LoadReport,
    *,
    by: Any = None,
    reason: str = LOAD_REASON,
):
    """Create the row, or bring an existing one to `values`; history records who (`by`, None for the loader)
    and why. Returns the row."""
    label = model._meta.verbose_name
    row = model.objects.filter(**lookup).first()
    if row is None:
        row = model(**lookup, **values)
        row._history_user, row._change_reason = by, reason
        row.save()
        report.created[label] += 1
        return row
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        for name in changed:
            setattr(row, name, values[name])
        row._history_user, row._change_reason = by, reason
        row.save()
        report.updated[label] += 1
    else:
        report.unchanged[label] += 1
    return row


def plan_structure_load(*, data: dict[str, Any], report: LoadReport) -> Plan:
    """Load one plan fixture's regions, units, plan, sections and tasks with their units (its indicators are
    `indicators.services.plan_load`'s). Idempotent: a second run with the same data changes nothing. Rows
    are matched on natural keys (region code, unit name, plan slug, section and task numbers) and brought to
    the fixture's values; task units of tasks whose document names none belong to the office, untouched."""
    regions = _load_regions(data["regions"], report)
    spec = data["plan"]
    plan = upsert(
        Plan,
        {"slug": spec["slug"]},
        {
            "title": spec["title"],
            "short_title": spec["short_title"],
            "region": regions[spec["region"]],
            "issuer": spec["issuer"],
            "issued_on": spec.get("issued_on"),
            "start_year": spec["start_year"],
            "end_year": spec["end_year"],
            "goals": spec.get("goals", ""),
            "source_document": spec.get("source_document", ""),
        },
        report,
    )
    units = _load_units(data.get("units") or {}, plan.region, regions, report)
    for section_spec in data["sections"]:
        section = upsert(
            Section,
            {"plan": plan, "number": section_spec["number"]},
            {"title": section_spec["title"]},
            report,
        )
        for task_spec in section_spec["tasks"]:
            responsible = task_spec.get("responsible", "")
            task = upsert(
                Task,
                {"section": section, "number": task_spec["number"]},
                {"title": task_spec["title"], "text": task_spec["text"], "responsible_text": responsible},
                report,
            )
            if responsible:
                _set_task_units(task, [units[name] for name in split_unit_list(responsible)], report)
    return plan


def _load_regions(specs: list[dict[str, Any]], report: LoadReport) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for spec in specs:
        parent = regions.get(spec["parent"]) if spec.get("parent") else None
        if spec.get("parent") and parent is None:
            parent = Region.objects.get(code=spec["parent"])
        regions[spec["code"]] = upsert(
            Region,
            {"code": spec["code"]},
            {"name": spec["name"], "level": spec["level"], "parent": parent},
            report,
        )
    return regions


def _load_units(
    specs: dict[str, Any], default_region: Region, regions: dict[str, Region], report: LoadReport
) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for name, spec in specs.items():
        spec = spec if isinstance(spec, dict) else {"kind": spec}
        region = regions[spec["region"]] if "region" in spec else default_region
        units[name] = upsert(Unit, {"region": region, "name": name}, {"kind": spec["kind"]}, report)
    return units


def _set_task_units(task: Task, units: list[Unit], report: LoadReport) -> None:
    label = TaskUnit._meta.verbose_name
    current = list(task.task_units.order_by("position").values_list("unit_id", flat=True))
    if current == [unit.pk for unit in units]:
        report.unchanged[label] += len(units)
        return
    for row in task.task_units.all():
        row._change_reason = LOAD_REASON
        row.delete()
    for position, unit in enumerate(units):
        row = TaskUnit(
            task=task,
            unit=unit,
            position=position,
            role=TaskUnit.Role.LEAD if position == 0 else TaskUnit.Role.CO,
        )
        row._change_reason = LOAD_REASON
        row.save()
    (report.updated if current else report.created)[label] += len(units)


def task_units_set(*, task: Task, units: list[Unit], by, reason: str) -> list[TaskUnit]:
    """The office names the units of a task whose document names none: `units` in order, the first the lead
    (牵头), the rest co-units (配合). Every unit named reports progress on the task each quarter.

    Reviewers only, with a reason; one history row per unit added, removed or moved. A task whose 责任单位
    the document lists keeps the document's units."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from accounts.permissions import is_reviewer

    if not is_reviewer(by):
        raise PermissionDenied("只有办公室审核人员可以调整任务分工。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写调整原因。")
    if task.responsible_text:
        raise ValidationError("该任务的责任单位由文件原文列明，不能在此调整。")
    if len({unit.pk for unit in units}) != len(units):
        raise ValidationError("同一单位不能重复列出。")
    if any(unit.kind == Unit.Kind.GROUP for unit in units):
        raise ValidationError("单位组不能作为责任单位，请选择具体单位。")
    audit = f"调整任务分工：{reason}"
    wanted = {unit.pk: position for position, unit in enumerate(units)}
    with transaction.atomic():
        current = {row.unit_id: row for row in TaskUnit.objects.select_for_update().filter(task=task)}
        for unit_id, row in current.items():
            if unit_id not in wanted:
                row._history_user, row._change_reason = by, audit
                row.delete()
        # Park the staying rows out of the way so no two positions collide on the way (no history: no change).
        staying = [row.pk for unit_id, row in current.items() if unit_id in wanted]
        TaskUnit.objects.filter(pk__in=staying).update(position=models.F("position") + 1000, role="co")
        for unit in units:
            position = wanted[unit.pk]
            role = TaskUnit.Role.LEAD if position == 0 else TaskUnit.Role.CO
            row = current.get(unit.pk) or TaskUnit(task=task, unit=unit)
            moved = row.pk is None or (row.position, row.role) != (position, role)
            row.position, row.role = position, role
            if moved:
                row._history_user, row._change_reason = by, audit
                row.save()
            else:
                TaskUnit.objects.filter(pk=row.pk).update(position=position, role=role)
    return list(task.task_units.select_related("unit").order_by("position"))
