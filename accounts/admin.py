from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

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


class HistoryAdmin(SimpleHistoryAdmin):
    """The base of every admin with a history. simple-history's page of one past version saves the posted
    form (a revert) when the user may merely view the record: a revert is a change, so it needs the change
    permission, like the change page."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            obj = self.get_object(request, object_id)
            if obj is not None and not self.has_change_permission(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
