"""API tokens in the admin: created for a user with its key shown once, revoked by deleting, never edited.

The user's own admin is registered in audit/admin.py: its changes need a reason and go into the audit trail,
and accounts, at the bottom of the app ladder, cannot import the audit."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from accounts.models import ApiToken
from accounts.tokens import token_save


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at"]
    list_filter = ["expires_at"]
    search_fields = ["user__username", "name", "prefix"]
    autocomplete_fields = ["user"]
    form = ApiTokenForm
    readonly_fields = ["prefix", "created_at", "expires_at"]

    def get_fields(self, request, obj=None):
        return ["user", "name"] if obj is None else ["user", "name", "prefix", "created_at", "expires_at"]

    def has_change_permission(self, request, obj=None):
        return False  # a token is issued or revoked, never edited

    def save_model(self, request, obj, form, change):
        key = token_save(obj)
        messages.warning(
            request, f"新令牌：{key}（请立即复制并交给使用者：它只显示这一次，系统不保存完整令牌。）"
        )
