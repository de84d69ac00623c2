"""The Django admin. Figures, task reports, targets and assignments changed here are audited like every other
change: the admin types a reason (修改原因), and the save goes through `audit.services.admin_change`."""

from __future__ import annotations

from django.contrib import admin

from audit.admin import AuditedAdmin, ReadOnly
from indicators.editing import population_rollup_schedule
from indicators.models import Assignment, Baseline, Indicator, Population, RollupPending, Target
from indicators.rollup_queue import rollup_schedule


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = ["year", "comparator", "min", "max", "origin", "source"]


class BaselineInline(admin.TabularInline):
    model = Baseline
    extra = 0


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ["unit"]


class CatalogueAdmin(AuditedAdmin):
    """A change to a target (on its own page or in an indicator's inline) queues the roll-up of its year; one
    to a population, the roll-up of the per-capita indicators that divide by it."""

    def after_write(self, obj) -> None:
        if isinstance(obj, Target):
            rollup_schedule(indicator_id=obj.indicator_id, year=obj.year)
        elif isinstance(obj, Population):
            population_rollup_schedule(region=obj.region, year=obj.year)


@admin.register(Indicator)
class IndicatorAdmin(CatalogueAdmin):
    list_display = ["name", "plan", "code", "measure", "category", "unit", "decimals", "combine"]
    list_filter = ["plan", "measure", "category", "combine"]
    search_fields = ["name", "code", "description"]
    inlines = [TargetInline, BaselineInline, AssignmentInline]
    autocomplete_fields = ["computed_from"]


class YearFigureAdmin(CatalogueAdmin):
    """An indicator's figure for a year with the text it comes from: targets and baselines."""

    list_filter = ["indicator__plan", "year"]
    search_fields = ["indicator__name", "source"]
    autocomplete_fields = ["indicator"]


@admin.register(Target)
class TargetAdmin(YearFigureAdmin):
    list_display = ["indicator", "year", "comparator", "min", "max", "origin"]
    list_filter = [*YearFigureAdmin.list_filter, "origin", "comparator"]


@admin.register(Baseline)
class BaselineAdmin(YearFigureAdmin):
    list_display = ["indicator", "year", "value"]


@admin.register(Assignment)
class AssignmentAdmin(CatalogueAdmin):
    list_display = ["indicator", "unit", "is_lead"]
    list_filter = ["indicator__plan", "unit"]
    search_fields = ["indicator__name", "unit__name"]
    autocomplete_fields = ["indicator", "unit"]


@admin.register(RollupPending)
class RollupPendingAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["indicator", "year", "unit", "queued_at"]
    list_select_related = ["indicator", "unit"]


@admin.register(Population)
class PopulationAdmin(CatalogueAdmin):
    list_display = ["region", "year", "value", "is_demo"]
    list_filter = ["year", "is_demo", "region__level"]
    search_fields = ["region__name"]
    autocomplete_fields = ["region"]
