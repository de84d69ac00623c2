"""The office's plan-import pages: upload a document or paste its text, review the draft beside the text,
publish it. Each view validates, calls one service or selector, and renders."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import REVIEWERS, role_required
from planimport.forms import PublishForm, UploadForm
from planimport.models import Draft
from planimport.publish import draft_publish
from planimport.review import draft_edit
from planimport.revision import revision_apply
from planimport.selectors import draft_review, draft_revision, drafts_recent
from planimport.services import draft_read, draft_save
from plans.models import Plan


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def plan_import(request):
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload:
                draft = draft_read(data=upload.read(), name=upload.name, slug=form.cleaned_data["slug"])
            else:
                draft = draft_read(pasted=form.cleaned_data["pasted"], slug=form.cleaned_data["slug"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            row = draft_save(draft=draft, filename=upload.name if upload else "", by=request.user)
            messages.success(request, f"已识别“{row.title or '方案'}”，请逐项核对后发布。")
            return redirect("plan-draft", pk=row.pk)
    return render(
        request,
        "planimport/import.html",
        {"form": form, "drafts": drafts_recent()},
        status=400 if form.errors else 200,
    )


@role_required(*REVIEWERS)
@require_GET
def plan_draft(request, pk: int):
    draft = get_object_or_404(Draft, pk=pk)
    editable = draft.status == Draft.Status.DRAFT
    context = draft_review(draft) | {"draft": draft, "publish_form": PublishForm(), "editable": editable}
    context["revision"] = draft_revision(draft)
    return render(request, "planimport/review.html", context)


@role_required(*REVIEWERS)
@require_POST
def plan_draft_edit(request, pk: int):
    draft = get_object_or_404(Draft, pk=pk)
    try:
        done = draft_edit(
            draft=draft, action=request.POST.get("action", ""), form=request.POST.dict(), by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    anchor = request.POST.get("anchor", "")
    return redirect(
        reverse("plan-draft", kwargs={"pk": draft.pk}) + (f"#{anchor}" if anchor.isascii() else "")
    )


@role_required(*REVIEWERS)
@require_POST
def plan_draft_publish(request, pk: int):
    draft = get_object_or_404(Draft, pk=pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("plan-draft", pk=draft.pk)
    try:
        plan = draft_publish(draft=draft, region=form.region_choice(), by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("plan-draft", pk=draft.pk)
    messages.success(request, f"方案“{plan.title}”已发布，进度看板已可查看。")
    return redirect("reports:overview", slug=plan.slug)


@role_required(*REVIEWERS)
@require_POST
def plan_draft_revise(request, pk: int):
    draft = get_object_or_404(Draft, pk=pk)
    try:
        plan = revision_apply(
            draft=draft,
            accepted=request.POST.getlist("accept"),
            fingerprint=request.POST.get("fingerprint", ""),
            by=request.user,
        )
    except (ValidationError, Plan.DoesNotExist) as error:
        text = (
            " ".join(error.messages) if isinstance(error, ValidationError) else "没有同一标识的已发布方案。"
        )
        messages.error(request, text)
        return redirect("plan-draft", pk=draft.pk)
    messages.success(request, f"已按修订文件更新方案“{plan.title}”（仅所选修改）。")
    return redirect("reports:overview", slug=plan.slug)
