from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Written by the system, read here (who was told what, and whether they have read it)."""

    list_display = ["created_at", "recipient", "kind", "text", "read_at"]
    list_filter = ["kind"]
    search_fields = ["text", "recipient__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
