from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from indicators.models import (
    Assignment,
    Baseline,
    Evidence,
    Indicator,
    Period,
    PeriodException,
    Progress,
    RollupPending,
    RollupRun,
    Submission,
    Target,
    TaskReport,
    Timeliness,
)


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


@admin.register(Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "plan", "code", "measure", "category", "unit", "decimals", "combine"]
    list_filter = ["plan", "measure", "category", "combine"]
    search_fields = ["name", "code", "description"]
    inlines = [TargetInline, BaselineInline, AssignmentInline]
    autocomplete_fields = ["computed_from"]


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "year", "comparator", "min", "max", "origin"]
    list_filter = ["indicator__plan", "year", "origin", "comparator"]
    search_fields = ["indicator__name", "source"]
    autocomplete_fields = ["indicator"]


@admin.register(Baseline)
class BaselineAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "year", "value"]
    list_filter = ["indicator__plan", "year"]
    search_fields = ["indicator__name", "source"]
    autocomplete_fields = ["indicator"]


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "unit", "is_lead"]
    list_filter = ["indicator__plan", "unit"]
    search_fields = ["indicator__name", "unit__name"]
    autocomplete_fields = ["indicator", "unit"]


class PeriodExceptionInline(admin.TabularInline):
    model = PeriodException
    extra = 0
    autocomplete_fields = ["unit", "granted_by"]


@admin.register(Period)
class PeriodAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "opens_on", "due_on", "locks_on"]
    list_filter = ["year"]
    inlines = [PeriodExceptionInline]


@admin.register(PeriodException)
class PeriodExceptionAdmin(SimpleHistoryAdmin):
    list_display = ["period", "unit", "until", "granted_by", "granted_at"]
    list_filter = ["period"]
    search_fields = ["unit__name", "reason"]
    autocomplete_fields = ["unit", "granted_by"]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fk_name = "submission"
    readonly_fields = ["name", "size", "uploaded_by", "uploaded_at"]


@admin.register(Submission)
class SubmissionAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "unit", "period", "value", "numerator", "denominator", "state", "is_late"]
    list_filter = ["state", "is_late", "is_demo", "period", "indicator__plan"]
    search_fields = ["indicator__name", "unit__name", "note"]
    autocomplete_fields = ["indicator", "unit"]
    list_select_related = ["indicator", "unit", "period"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [EvidenceInline]


@admin.register(TaskReport)
class TaskReportAdmin(SimpleHistoryAdmin):
    list_display = ["task", "unit", "period", "status", "state", "is_late"]
    list_filter = ["state", "status", "is_late", "period", "task__section__plan"]
    search_fields = ["task__title", "unit__name", "progress"]
    autocomplete_fields = ["task", "unit"]
    list_select_related = ["task", "unit", "period"]
    readonly_fields = ["version", "created_at", "updated_at"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["name", "submission", "task_report", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["name"]
    readonly_fields = ["size", "uploaded_by", "uploaded_at"]


@admin.register(Progress)
class ProgressAdmin(admin.ModelAdmin):
    list_display = ["indicator", "region", "year", "quarter", "actual", "completion", "expected", "status"]
    list_filter = ["plan", "year", "quarter", "status"]
    search_fields = ["indicator__name", "region__name"]
    list_select_related = ["indicator", "region"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the roll-up writes: looked at, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RollupRun)
class RollupRunAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "plan", "started_at", "finished_at", "seconds", "rows", "failed"]
    list_filter = ["kind", "plan"]
    fields = ["kind", "plan", "scope", "started_at", "finished_at", "rows", "error"]

    @admin.display(description="用时（秒）")
    def seconds(self, run):
        return (
            None if run.finished_at is None else round((run.finished_at - run.started_at).total_seconds(), 2)
        )

    @admin.display(description="错误")
    def failed(self, run):
        return run.error[:120] or "—"


@admin.register(RollupPending)
class RollupPendingAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "year", "queued_at"]
    list_select_related = ["indicator"]


@admin.register(Timeliness)
class TimelinessAdmin(ReadOnlyAdmin):
    list_display = [
        "unit",
        "period",
        "plan",
        "status",
        "expected",
        "submitted",
        "late",
        "returned",
        "approved",
    ]
    list_filter = ["plan", "period", "status"]
    search_fields = ["unit__name"]
    list_select_related = ["unit", "period", "plan"]
