"""The bell's list and the office's group-robot settings. Views validate, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import REVIEWERS, role_required
from notifications.forms import WebhookForm
from notifications.models import Webhook
from notifications.selectors import PAGE, notifications_of, webhooks
from notifications.services import notifications_mark_read, webhook_save


@login_required
@require_GET
def notification_list(request):
    page = Paginator(notifications_of(request.user), PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one of the caller's notifications read and go where it points (someone else's is a 404)."""
    row = get_object_or_404(notifications_of(request.user), pk=pk)
    notifications_mark_read(user=request.user, ids=[row.pk])
    if row.link and url_has_allowed_host_and_scheme(row.link, allowed_hosts={request.get_host()}):
        return redirect(row.link)
    return redirect("notifications")


@login_required
@require_POST
def notification_read_all(request):
    count = notifications_mark_read(user=request.user)
    messages.success(request, f"已将{count}条消息标为已读。" if count else "没有未读消息。")
    return redirect("notifications")


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def office_webhooks(request):
    """企业微信/钉钉 group robots: off by default; the office sets the URL, turns it on, with a reason."""
    hooks = webhooks()
    forms_by = {
        hook.platform: WebhookForm(prefix=hook.platform, initial={"url": hook.url, "enabled": hook.enabled})
        for hook in hooks
    }
    if request.method == "POST":
        platform = request.POST.get("platform", "")
        if platform not in Webhook.Platform.values:
            return render(
                request, "notifications/webhooks.html", {"rows": _rows(hooks, forms_by)}, status=400
            )
        form = forms_by[platform] = WebhookForm(request.POST, prefix=platform)
        if form.is_valid():
            try:
                webhook_save(platform=platform, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, f"{Webhook.Platform(platform).label}设置已保存。")
                return redirect("office-webhooks")
    return render(request, "notifications/webhooks.html", {"rows": _rows(hooks, forms_by)})


def _rows(hooks, forms_by):
    return [(hook, forms_by[hook.platform]) for hook in hooks]
