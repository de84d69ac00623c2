"""The admin's 审计记录 page; the base class of every admin that shows a model's history (read-only, no
revert); and `AuditedAdmin`, through which every admin change is saved with the reason the admin typed."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import User
from accounts.permissions import is_reviewer
from audit.models import AuditRecord
from audit.selectors import audit_details, audited_models
from audit.services import TEXT_LIMIT, admin_change, admin_delete, reason_required

ADMIN_RESET_REASON = "管理后台重设密码"


class ReadOnly:
    """No add, change or delete in the admin, for anyone, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryAdmin(SimpleHistoryAdmin):
    """A model's history in the admin, read-only. simple-history's version page would save the old version
    back on POST (SIMPLE_HISTORY_REVERT_DISABLED only hides its button): a revert is a change without the
    reason every change needs, so the page answers GET only."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReasonForm(forms.ModelForm):
    """An admin form that asks why (written into the history with the admin user) and, for rows under the
    optimistic lock, remembers the version it showed so a stale form cannot overwrite a newer change."""

    change_reason = forms.CharField(
        label="修改原因",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="必填，将与修改人、修改时间一并记入变更记录。",
    )
    seen_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and hasattr(self.instance, "version"):
            self.fields["seen_version"].initial = self.instance.version

    def clean_change_reason(self) -> str:
        return reason_required(self.cleaned_data["change_reason"], "修改原因")

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if self.instance.pk and seen is not None:
            current = (
                type(self.instance)
                .objects.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current != seen:
                raise ValidationError(
                    "该记录已被他人修改（版本已变化），为避免覆盖他人的修改，请重新打开本页后再改。"
                )
        return cleaned


# For an audited admin with its own fieldsets: where 修改原因 goes (the default layout shows it by itself).
REASON_FIELDSET = ("修改原因", {"fields": ["change_reason", "seen_version"]})


class AuditedAdmin(HistoryAdmin):
    """Saves (and inline changes) through the audited services, with the reason the admin typed."""

    form = ReasonForm

    def save_model(self, request, obj, form, change):
        if change and not set(form.changed_data) - {"change_reason", "seen_version"}:
            return  # only an inline changed: the row itself gets no empty audit record
        with transaction.atomic():
            admin_change(
                row=obj,
                by=request.user,
                reason=form.cleaned_data["change_reason"],
                seen_version=form.cleaned_data.get("seen_version"),
            )
            self.after_write(obj)

    def save_formset(self, request, form, formset, change):
        reason = form.cleaned_data["change_reason"]
        instances = formset.save(commit=False)
        with transaction.atomic():
            for obj in formset.deleted_objects:
                admin_delete(row=obj, by=request.user, reason=reason)
                self.after_write(obj)
            for obj in instances:
                admin_change(row=obj, by=request.user, reason=reason)
                self.after_write(obj)
            formset.save_m2m()

    def after_write(self, obj) -> None:
        """Whatever must follow a change of `obj` in the same transaction (a roll-up to queue); none here."""

    def has_delete_permission(self, request, obj=None):
        # A deletion page asks no reason: deletions go through an indicator's inline, which does.
        return False


class ModelFilter(admin.SimpleListFilter):
    title = "对象类型"
    parameter_name = "model"

    def lookups(self, request, model_admin):
        return audited_models()

    def queryset(self, request, queryset):
        return queryset.filter(model=self.value()) if self.value() else queryset


class AuditChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        details = audit_details(self.result_list)
        for record in self.result_list:
            record.detail = details.get(record.id)


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnly, admin.ModelAdmin):
    """Every audited change in one list, newest first: who, when, which object, each field old → new, why."""

    list_display = ["history_date", "who", "what", "history_type", "changes", "history_change_reason"]
    list_filter = [
        ModelFilter,
        ("history_user", admin.RelatedOnlyFieldListFilter),
        ("history_date", admin.DateFieldListFilter),
    ]
    search_fields = ["object_id", "history_change_reason"]
    list_display_links = None
    list_select_related = ["history_user"]
    list_per_page = 50
    show_full_result_count = False
    actions = None

    class Media:
        # The admin's list keeps a cell on one line: a reason or a long change would be cut off at the edge.
        css = {"all": ["css/admin-audit.css"]}

    def get_changelist(self, request, **kwargs):
        return AuditChangeList

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        # The office reads the trail it is accountable for; nobody writes it.
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or is_reviewer(user))

    @admin.display(description="操作人", ordering="history_user")
    def who(self, record):
        return str(record.history_user) if record.history_user else "系统"

    @admin.display(description="对象")
    def what(self, record):
        label = record.detail.label if getattr(record, "detail", None) else record.model
        app_label, model_name = record.model.split(".")
        try:
            url = reverse(f"admin:{app_label}_{model_name}_history", args=[record.object_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description="变更（原值 → 新值）")
    def changes(self, record):
        detail = getattr(record, "detail", None)
        if detail is None or not detail.changes:
            return "—"
        return format_html_join(
            "",
            "<div>{}：{} → {}</div>",
            ((change.label, change.old, change.new) for change in detail.changes),
        )


# The user admin lives here, above accounts: its changes are audited like every other (accounts, the ladder's
# bottom, cannot import the audit). Role, unit and the staff and superuser flags need a reason; a password set
# by an administrator is recorded (without its hash) with its own reason.
class UserChangeReasonForm(ReasonForm, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class UserCreationReasonForm(ReasonForm, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User


class AuditedPasswordForm(AdminPasswordChangeForm):
    def save(self, commit=True):
        self.user._change_reason = ADMIN_RESET_REASON  # the admin user comes from the request
        return super().save(commit)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    form = UserChangeReasonForm
    add_form = UserCreationReasonForm
    change_password_form = AuditedPasswordForm
    list_display = ["username", "last_name", "first_name", "role", "unit", "is_active"]
    list_filter = ["role", "is_active", "unit__region"]
    search_fields = ["username", "first_name", "last_name", "email", "unit__name"]
    autocomplete_fields = ["unit"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("角色与单位", {"fields": ["role", "unit"]}),
        REASON_FIELDSET,
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        ("角色与单位", {"fields": ["role", "unit"]}),
        REASON_FIELDSET,
    ]

    def has_delete_permission(self, request, obj=None):
        # Who did what stays in the audit trail: a user who leaves is deactivated (untick 有效), never deleted
        # (deleting would blank the user on every record; the audit guard refuses that in the database too).
        return False
