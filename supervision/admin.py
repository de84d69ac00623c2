from django.contrib import admin

from supervision.models import Instruction, SupervisionItem


class ReadOnly(admin.ModelAdmin):
    """Written through the 督查督办 pages and API (audited transitions), read here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupervisionItem)
class SupervisionItemAdmin(ReadOnly):
    list_display = ["title", "lead_unit", "deadline", "state", "issued_by", "issued_at"]
    list_filter = ["state"]
    search_fields = ["title"]


@admin.register(Instruction)
class InstructionAdmin(ReadOnly):
    list_display = ["created_at", "author", "text"]
    search_fields = ["text"]
