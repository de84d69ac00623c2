from django.contrib import admin

from audit.admin import ReadOnly
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnly, admin.ModelAdmin):
    """Written by the system, read here (who was told what, and whether they have read it)."""

    list_display = ["created_at", "recipient", "kind", "text", "read_at"]
    list_filter = ["kind"]
    search_fields = ["text", "recipient__username"]
