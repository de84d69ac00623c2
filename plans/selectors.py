"""Reads that span plans' relations. Each returns rows with what its callers need already joined."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from accounts.permissions import scope_to_unit

if TYPE_CHECKING:
    from plans.models import Region, Unit


from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from plans.models import Plan, Section, Task, TaskUnit


def visible_units(user) -> QuerySet[Unit]:
    from plans.models import Unit

    return scope_to_unit(Unit.objects.all(), user, lookup="pk")


def plan_list() -> QuerySet[Plan]:
    return Plan.objects.select_related("region").order_by("slug")


def plan_get(slug: str) -> Plan:
    return get_object_or_404(plan_list(), slug=slug)


def plans_with_tasks() -> QuerySet[Plan]:
    """Plans with sections → tasks → units (document order) prefetched: a fixed number of queries."""
    tasks = Task.objects.order_by("number").prefetch_related(
        Prefetch("task_units", queryset=TaskUnit.objects.select_related("unit").order_by("position"))
    )
    sections = Section.objects.order_by("number").prefetch_related(Prefetch("tasks", queryset=tasks))
    return plan_list().prefetch_related(Prefetch("sections", queryset=sections))


def plan_with_tasks(slug: str) -> Plan:
    return get_object_or_404(plans_with_tasks(), slug=slug)


def plan_regions(plan: Plan) -> list[Region]:
    """The plan's region and every region below it (the regions its figures roll up over), the plan's own
    first, then by code. One query: the region table is small."""
    from plans.models import Region

    below: dict[int | None, list[Region]] = {}
    for region in Region.objects.order_by("code"):
        below.setdefault(region.parent_id, []).append(region)
    found = [plan.region]
    for region in found:  # grows as it is walked: breadth first
        found.extend(below.get(region.pk, []))
    return found


def region_and_above(region: Region) -> list[int]:
    """Ids of the region and every region it lies in (the regions whose plans count its figures)."""
    from plans.models import Region

    parents = dict(Region.objects.values_list("pk", "parent_id"))
    ids, current = [], region.pk
    while current is not None and current not in ids:
        ids.append(current)
        current = parents.get(current)
    return ids
