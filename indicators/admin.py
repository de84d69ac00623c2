"""The Django admin. Figures, task reports, targets and assignments changed here are audited like every other
change: the admin types a reason (修改原因), and the save goes through `indicators.services.admin_change`."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from audit.admin import HistoryAdmin, ReadOnly
from indicators import services
from indicators.models import (
    Assignment,
    Baseline,
    Evidence,
    Indicator,
    Period,
    PeriodException,
    Progress,
    Reminder,
    RollupPending,
    RollupRun,
    Submission,
    Target,
    TaskReport,
    Timeliness,
)
from indicators.rules import Figure, figure_errors


class ReasonForm(forms.ModelForm):
    """An admin form that asks why (written into the history with the admin user) and, for rows under the
    optimistic lock, remembers the version it showed so a stale form cannot overwrite a newer change."""

    change_reason = forms.CharField(
        label="修改原因",
        max_length=services.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="必填，将与修改人、修改时间一并记入变更记录。",
    )
    seen_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and hasattr(self.instance, "version"):
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if self.instance.pk and seen is not None:
            current = (
                type(self.instance)
                .objects.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current != seen:
                raise ValidationError(
                    "该记录已被他人修改（版本已变化），为避免覆盖他人的修改，请重新打开本页后再改。"
                )
        return cleaned


class SubmissionAdminForm(ReasonForm):
    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk:
            figure = Figure(
                value=cleaned.get("value"),
                numerator=cleaned.get("numerator"),
                denominator=cleaned.get("denominator"),
                done=cleaned.get("done"),
                note=cleaned.get("note") or "",
            )
            for problem in figure_errors(instance.indicator, figure):
                self.add_error(None, problem)
        return cleaned


class AuditedAdmin(HistoryAdmin):
    """Saves (and inline changes) through the audited services, with the reason the admin typed."""

    form = ReasonForm

    def save_model(self, request, obj, form, change):
        if change and not set(form.changed_data) - {"change_reason", "seen_version"}:
            return  # only an inline changed: the row itself gets no empty audit record
        services.admin_change(
            row=obj,
            by=request.user,
            reason=form.cleaned_data["change_reason"],
            seen_version=form.cleaned_data.get("seen_version"),
        )

    def save_formset(self, request, form, formset, change):
        reason = form.cleaned_data["change_reason"]
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.admin_delete(row=obj, by=request.user, reason=reason)
        for obj in instances:
            services.admin_change(row=obj, by=request.user, reason=reason)
        formset.save_m2m()

    def has_delete_permission(self, request, obj=None):
        # A deletion page asks no reason: deletions go through an indicator's inline, which does.
        return False


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
class IndicatorAdmin(AuditedAdmin):
    list_display = ["name", "plan", "code", "measure", "category", "unit", "decimals", "combine"]
    list_filter = ["plan", "measure", "category", "combine"]
    search_fields = ["name", "code", "description"]
    inlines = [TargetInline, BaselineInline, AssignmentInline]
    autocomplete_fields = ["computed_from"]


@admin.register(Target)
class TargetAdmin(AuditedAdmin):
    list_display = ["indicator", "year", "comparator", "min", "max", "origin"]
    list_filter = ["indicator__plan", "year", "origin", "comparator"]
    search_fields = ["indicator__name", "source"]
    autocomplete_fields = ["indicator"]


@admin.register(Baseline)
class BaselineAdmin(AuditedAdmin):
    list_display = ["indicator", "year", "value"]
    list_filter = ["indicator__plan", "year"]
    search_fields = ["indicator__name", "source"]
    autocomplete_fields = ["indicator"]


@admin.register(Assignment)
class AssignmentAdmin(AuditedAdmin):
    list_display = ["indicator", "unit", "is_lead"]
    list_filter = ["indicator__plan", "unit"]
    search_fields = ["indicator__name", "unit__name"]
    autocomplete_fields = ["indicator", "unit"]


class PeriodExceptionInline(admin.TabularInline):
    model = PeriodException
    extra = 0
    autocomplete_fields = ["unit", "granted_by"]


@admin.register(Period)
class PeriodAdmin(AuditedAdmin):
    list_display = ["__str__", "opens_on", "due_on", "locks_on"]
    list_filter = ["year"]
    inlines = [PeriodExceptionInline]


@admin.register(PeriodException)
class PeriodExceptionAdmin(AuditedAdmin):
    list_display = ["period", "unit", "until", "granted_by", "granted_at"]
    list_filter = ["period"]
    search_fields = ["unit__name", "reason"]
    autocomplete_fields = ["unit", "granted_by"]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fk_name = "submission"
    fields = ["name", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


REVIEW_FIELDS = [
    "unit", "period", "state", "version", "submitted_at", "submitted_by", "is_late", "reviewed_at",
    "reviewed_by", "return_reason", "is_demo", "created_at", "updated_at",
]  # fmt: skip


class ReviewedAdmin(AuditedAdmin):
    """Figures and task reports arrive through the reporting page, the API or the Excel import, and move
    through review there; the admin corrects their content only, never their state."""

    readonly_fields = REVIEW_FIELDS
    actions = ["approve_selected"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="审核通过所选（仅已报送的）")
    def approve_selected(self, request, queryset):
        approved = 0
        for row in queryset.filter(state="submitted"):
            try:
                services.review_approve(row=row, by=request.user)
            except (ValidationError, services.Conflict) as error:
                self.message_user(request, f"{row}：{error}", messages.WARNING)
            else:
                approved += 1
        skipped = queryset.count() - approved
        self.message_user(
            request,
            f"已审核通过{approved}项" + (f"，{skipped}项未处理（非已报送状态）。" if skipped else "。"),
        )


@admin.register(Submission)
class SubmissionAdmin(ReviewedAdmin):
    form = SubmissionAdminForm
    list_display = ["indicator", "unit", "period", "value", "numerator", "denominator", "state", "is_late"]
    list_filter = ["state", "is_late", "is_demo", "period", "indicator__plan"]
    search_fields = ["indicator__name", "unit__name", "note"]
    list_select_related = ["indicator", "unit", "period"]
    readonly_fields = ["indicator", *REVIEW_FIELDS]
    inlines = [EvidenceInline]


@admin.register(TaskReport)
class TaskReportAdmin(ReviewedAdmin):
    list_display = ["task", "unit", "period", "status", "state", "is_late"]
    list_filter = ["state", "status", "is_late", "period", "task__section__plan"]
    search_fields = ["task__title", "unit__name", "progress"]
    list_select_related = ["task", "unit", "period"]
    readonly_fields = ["task", *REVIEW_FIELDS]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnly, HistoryAdmin):
    """Evidence is added and removed by its unit on the reporting page (checked, audited); here it is read."""

    list_display = ["name", "submission", "task_report", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["name"]
    list_select_related = ["submission", "task_report", "uploaded_by"]


# Rows the system writes (the reminder log, the roll-up's tables and its run log): looked at, never edited or
# deleted by hand. Deleting a reminder would send it again; a queued key, lose a roll-up until the night.
@admin.register(Reminder)
class ReminderAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["unit", "period", "kind", "sent_on", "owed", "recipients"]
    list_filter = ["kind", "period"]
    search_fields = ["unit__name", "recipients"]
    list_select_related = ["unit", "period"]


@admin.register(Progress)
class ProgressAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["indicator", "region", "year", "quarter", "actual", "completion", "expected", "status"]
    list_filter = ["plan", "year", "quarter", "status"]
    search_fields = ["indicator__name", "region__name"]
    list_select_related = ["indicator", "region"]


@admin.register(RollupRun)
class RollupRunAdmin(ReadOnly, admin.ModelAdmin):
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
class RollupPendingAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["indicator", "year", "queued_at"]
    list_select_related = ["indicator"]


@admin.register(Timeliness)
class TimelinessAdmin(ReadOnly, admin.ModelAdmin):
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
