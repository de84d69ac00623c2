from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "unit", "is_active"]
    list_filter = ["role", "is_active", "unit__region"]
    search_fields = ["username", "first_name", "last_name", "email", "unit__name"]
    autocomplete_fields = ["unit"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("角色与单位", {"fields": ["role", "unit"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        ("角色与单位", {"fields": ["role", "unit"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        # Who did what stays in the audit trail: a user who leaves is deactivated (untick 有效), never deleted
        # (deleting would blank the user on every record; the audit guard refuses that in the database too).
        return False
