"""The admin of plans, sections, tasks, regions and units: every change (inline task units and sections
included) is saved with the reason typed into 修改原因, into the audit trail."""

from __future__ import annotations

from django.contrib import admin

from audit.admin import REASON_FIELDSET, AuditedAdmin
from plans.models import Plan, Region, Section, Task, TaskUnit, Unit


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ["name", "region", "kind", "email"]
    list_filter = ["kind", "region"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region"]


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0


@admin.register(Plan)
class PlanAdmin(AuditedAdmin):
    list_display = ["title", "slug", "region", "issuer", "issued_on", "start_year", "end_year"]
    search_fields = ["title", "slug", "issuer"]
    autocomplete_fields = ["region"]
    inlines = [SectionInline]
    fieldsets = [
        (
            None,
            {"fields": ["title", "short_title", "slug", "region", "issuer", "issued_on", "source_document"]},
        ),
        ("实施期", {"fields": ["start_year", "end_year"]}),
        ("状态阈值", {"fields": ["at_risk_from", "behind_from"], "description": "落后于序时进度的百分点"}),
        ("原文", {"fields": ["goals"]}),
        REASON_FIELDSET,
    ]


class TaskInline(admin.StackedInline):
    model = Task
    extra = 0
    fields = ["number", "title", "responsible_text"]
    show_change_link = True


@admin.register(Section)
class SectionAdmin(AuditedAdmin):
    list_display = ["__str__", "plan", "number"]
    list_filter = ["plan"]
    search_fields = ["title"]
    inlines = [TaskInline]


class TaskUnitInline(admin.TabularInline):
    model = TaskUnit
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Task)
class TaskAdmin(AuditedAdmin):
    list_display = ["__str__", "section", "plan_title", "unit_names"]
    list_filter = ["section__plan", "section"]
    search_fields = ["title", "text", "responsible_text"]
    inlines = [TaskUnitInline]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("section__plan").prefetch_related("task_units__unit")
        )

    @admin.display(description="方案", ordering="section__plan")
    def plan_title(self, obj):
        return obj.section.plan.short_title

    @admin.display(description="责任单位")
    def unit_names(self, obj):
        return "、".join(tu.unit.name for tu in obj.task_units.all()) or "（待办公室指定）"


@admin.register(TaskUnit)
class TaskUnitAdmin(AuditedAdmin):
    list_display = ["task", "unit", "role", "position"]
    list_filter = ["role", "task__section__plan"]
    search_fields = ["task__title", "unit__name"]
    autocomplete_fields = ["task", "unit"]
