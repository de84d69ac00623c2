"""The Django admin. Figures, task reports, targets and assignments changed here are audited like every other
change: the admin types a reason (修改原因), and the save goes through `audit.services.admin_change`."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.timesince import timesince

from audit.admin import ReadOnly
from indicators.models import RollupPending
from progress.models import Progress, RollupRun, Timeliness

QUEUED_SHOWN = 50  # the oldest queued keys listed above the runs; the count covers them all


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

    def changelist_view(self, request, extra_context=None):
        """Above the runs: the keys waiting for a roll-up, oldest first, with how long each has waited — a key
        much older than beat's five minutes means no worker is draining the queue."""
        queued = RollupPending.objects.select_related("indicator", "unit").order_by("queued_at", "id")
        now = timezone.now()
        extra_context = {
            **(extra_context or {}),
            "queued_count": queued.count(),
            "queued": [(key, timesince(key.queued_at, now)) for key in queued[:QUEUED_SHOWN]],
        }
        return super().changelist_view(request, extra_context=extra_context)


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
