"""Reads that span plans' relations. Each returns rows with what its callers need already joined."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from accounts.permissions import scope_to_unit

if TYPE_CHECKING:
    from plans.models import Unit


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
