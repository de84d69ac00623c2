from django.contrib import admin

from audit.admin import ReadOnly
from supervision.models import Instruction, SupervisionItem


@admin.register(SupervisionItem)
class SupervisionItemAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["title", "lead_unit", "deadline", "state", "issued_by", "issued_at"]
    list_filter = ["state"]
    search_fields = ["title"]


@admin.register(Instruction)
class InstructionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "author", "text"]
    search_fields = ["text"]
