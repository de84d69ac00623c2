"""The Django admin. Figures, task reports, targets and assignments changed here are audited like every other
change: the admin types a reason (修改原因), and the save goes through `audit.services.admin_change`."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.admin import AuditedAdmin, HistoryAdmin, ReadOnly, ReasonForm
from audit.services import Conflict
from indicators.measures import Figure, figure_errors
from indicators.rollup_queue import CATCH_UP, rollup_batch, rollup_schedule
from reporting.models import Evidence, Period, PeriodException, Reminder, ReviewState, Submission, TaskReport
from reporting.services.review import review_approve


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

    def after_write(self, obj) -> None:
        # An approved figure corrected here changes what the roll-up counts.
        if isinstance(obj, Submission) and obj.state == ReviewState.APPROVED:
            rollup_schedule(indicator_id=obj.indicator_id, year=obj.period.year, unit_id=obj.unit_id)

    @admin.action(description="审核通过所选（仅已报送的）")
    def approve_selected(self, request, queryset):
        # One transaction, one roll-up send: the message below counts exactly what was committed (a row that
        # fails is rolled back alone by its own savepoint and named).
        approved = 0
        with transaction.atomic(), rollup_batch() as rollup:
            for row in queryset.filter(state="submitted"):
                try:
                    review_approve(row=row, by=request.user)
                except (ValidationError, Conflict) as error:
                    self.message_user(request, f"{row}：{error}", messages.WARNING)
                else:
                    approved += 1
        skipped = queryset.count() - approved
        self.message_user(
            request,
            f"已审核通过{approved}项" + (f"，{skipped}项未处理（非已报送状态）。" if skipped else "。"),
        )
        if rollup.sent is False:
            self.message_user(request, CATCH_UP, messages.WARNING)


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
