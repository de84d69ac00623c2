"""The office's page of login locks: who is locked out, from where, until when; lift one with a reason."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.lockout import current_locks
from accounts.permissions import REVIEWERS, role_required
from audit.lockouts import unlock
from audit.models import Unlock
from audit.services import TEXT_LIMIT


class UnlockForm(forms.Form):
    username = forms.CharField(max_length=150, required=False)
    ip_address = forms.GenericIPAddressField(error_messages={"invalid": "地址格式不正确。"})
    reason = forms.CharField(max_length=TEXT_LIMIT, required=False)


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def lockouts(request):
    errors: list[str] = []
    if request.method == "POST":
        form = UnlockForm(request.POST)
        if form.is_valid():
            try:
                row = unlock(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                errors = error.messages
            else:
                messages.success(request, f"已解除 {row} 的登录锁定。")
                return redirect("office-lockouts")
        else:
            errors = [message for field in form.errors.values() for message in field]
    context = {
        "locks": current_locks(),
        "recent": Unlock.objects.all()[:20],
        "errors": errors,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "audit/lockouts.html", context)
