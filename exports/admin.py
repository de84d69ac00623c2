from django.contrib import admin

from audit.admin import ReadOnly
from exports.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only: jobs are made by the export pages and the Celery task, never by hand."""

    list_display = ["__str__", "kind", "requested_by", "state", "rows", "created_at", "finished_at"]
    list_filter = ["kind", "state", "plan"]
    date_hierarchy = "created_at"
