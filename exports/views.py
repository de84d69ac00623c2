"""Pages of the office's exports: choose a plan and quarter, follow the background job, download the
workbook; the bulletin (通报) as a printable page. Readers only (reviewer, leader, admin): a reporter sees
neither the whole plan's report nor other units' names in a bulletin draft."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import READERS, REVIEWERS, is_reviewer, role_required
from audit.services import Conflict
from exports.documents import DRAFTS
from exports.documents.common import WORDING
from exports.forms import (
    BulletinReleaseForm,
    ExportForm,
    OfficialDocumentForm,
    PeriodForm,
    last_ended_quarter,
)
from exports.models import ExportJob
from exports.selectors.bulletin import bulletin_for
from exports.selectors.jobs import export_job_progress, export_jobs_visible
from exports.selectors.official import official_document
from exports.services import bulletin_release, export_job_start, official_document_save
from ipcity.quarters import period_text
from plans.models import Plan
from plans.selectors import plan_get

readers_only = role_required(*READERS)
RECENT_JOBS = 10


def _index(request, form: ExportForm, status: int = 200):
    jobs = export_jobs_visible(request.user).filter(requested_by=request.user)[:RECENT_JOBS]
    context = {"form": form, "jobs": jobs, "can_edit_documents": is_reviewer(request.user)}
    return render(request, "exports/index.html", context, status=status)


@readers_only
@require_GET
def exports(request):
    plan = Plan.objects.order_by("slug").first()
    initial = {}
    if plan is not None:
        initial["plan"] = plan.slug
        initial["year"], initial["quarter"] = last_ended_quarter(plan, timezone.localdate())
    return _index(request, ExportForm(initial=initial))


@readers_only
@require_POST
def export_start(request):
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _index(request, form, status=400)
    job = export_job_start(
        kind=form.cleaned_data["kind"],
        plan=form.cleaned_data["plan"],
        year=form.cleaned_data["year"],
        quarter=form.cleaned_data["quarter"],
        format=form.cleaned_data["format"],
        by=request.user,
    )
    return redirect("reports:export-job", pk=job.pk)


def _job(request, pk) -> ExportJob:
    return get_object_or_404(export_jobs_visible(request.user), pk=pk)


@readers_only
@require_GET
def export_job(request, pk):
    return render(request, "exports/job.html", {"job": _job(request, pk)})


@readers_only
@require_GET
def export_status(request, pk):
    job = _job(request, pk)
    status = export_job_progress(job)
    done = status["state"] == ExportJob.State.DONE
    status["download_url"] = reverse("reports:export-download", args=[job.pk]) if done else None
    return JsonResponse(status)


@readers_only
@require_GET
def export_download(request, pk):
    job = _job(request, pk)
    if job.state != ExportJob.State.DONE or not job.file.storage.exists(job.file.name):
        raise Http404("文件尚未生成或已被清理，请重新生成。")
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.download_name)


def _bulletin_page(request, plan, form: PeriodForm, release_form: BulletinReleaseForm | None = None):
    """The bulletin of the form's quarter, with the office's release form; 400 when the form is invalid."""
    if not form.is_valid():
        return render(request, "exports/bulletin.html", {"plan": plan, "form": form}, status=400)
    year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
    bulletin = bulletin_for(plan, year, quarter, today=timezone.localdate())
    if release_form is None and is_reviewer(request.user) and not bulletin.is_final:
        release_form = BulletinReleaseForm(initial={"year": year, "quarter": quarter}, years=plan.years)
    context = {
        "plan": plan,
        "form": form,
        "bulletin": bulletin,
        "release_form": release_form,
    }
    status = 400 if release_form is not None and release_form.errors else 200
    return render(request, "exports/bulletin.html", context, status=status)


@readers_only
@require_GET
def bulletin(request, slug):
    plan = plan_get(slug)
    if "year" in request.GET or "quarter" in request.GET:
        form = PeriodForm(request.GET, years=plan.years)
    else:
        year, quarter = last_ended_quarter(plan, timezone.localdate())
        form = PeriodForm({"year": year, "quarter": quarter}, years=plan.years)
    return _bulletin_page(request, plan, form)


@role_required(*REVIEWERS)
@require_POST
def bulletin_release_view(request, slug):
    """The office makes the quarter's bulletin 正式 (a reason required while items await review)."""
    plan = plan_get(slug)
    form = BulletinReleaseForm(request.POST, years=plan.years)
    if form.is_valid():
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
        try:
            bulletin_release(
                plan=plan, year=year, quarter=quarter, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error("reason", error)
        else:
            messages.success(request, "通报已发布为正式通报。")
            url = reverse("reports:bulletin", args=[plan.slug])
            return redirect(f"{url}?year={year}&quarter={quarter}")
    chosen = {"year": request.POST.get("year"), "quarter": request.POST.get("quarter")}
    period = PeriodForm(chosen, years=plan.years)
    if not period.is_valid():
        return render(request, "exports/bulletin.html", {"plan": plan, "form": period}, status=400)
    return _bulletin_page(request, plan, period, form)


# Outgoing documents (公文): the office's settings and wording ---------------------------------------------


def _document_period(request, plan) -> PeriodForm:
    data = request.POST if request.method == "POST" else request.GET
    if "year" in data or "quarter" in data:
        return PeriodForm({"year": data.get("year"), "quarter": data.get("quarter")}, years=plan.years)
    year, quarter = last_ended_quarter(plan, timezone.localdate())
    return PeriodForm({"year": year, "quarter": quarter}, years=plan.years)


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def document(request, slug, kind):
    """The generated draft of the quarter's report or 通报 in a form: the office's settings and the wording
    it may change (saved per quarter, audited), the figures' sentences shown as generated; export buttons
    for .docx, PDF and Excel."""
    if kind not in WORDING:
        raise Http404("没有这种公文。")
    plan = plan_get(slug)
    period = _document_period(request, plan)
    if not period.is_valid():
        return render(request, "exports/document.html", {"plan": plan, "period": period}, status=400)
    year, quarter = period.cleaned_data["year"], period.cleaned_data["quarter"]
    current = official_document(plan, year, quarter, kind)
    draft = DRAFTS[kind](plan, year, quarter, charts=False)
    drafts = draft.drafts
    if request.method == "POST":
        form = OfficialDocumentForm(request.POST, instance=current, kind=kind)
        if form.is_valid():
            values = {name: value for name, value in form.cleaned_data.items() if name != "version"}
            try:
                official_document_save(
                    plan=plan,
                    year=year,
                    quarter=quarter,
                    kind=kind,
                    values=values,
                    drafts=drafts,
                    by=request.user,
                    seen_version=form.cleaned_data["version"],
                )
            except (Conflict, ValidationError) as error:
                form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
            else:
                messages.success(request, "公文设置与措辞已保存，导出时使用。")
                url = reverse("reports:document", args=[plan.slug, kind])
                return redirect(f"{url}?year={year}&quarter={quarter}")
        status = 409 if any("他人" in str(e) for e in form.non_field_errors()) else 400
    else:
        form = OfficialDocumentForm(instance=current, kind=kind, initial={**drafts, **_kept(current, drafts)})
        form.fields["version"].initial = current.version
        status = 200
    context = {
        "plan": plan,
        "period": period,
        "kind": kind,
        "kind_label": ExportJob.Kind(kind).label,
        "period_label": period_text(year, quarter),
        "form": form,
        "preview": draft.gongwen,
        "formats": ExportJob.Format.choices,
    }
    return render(request, "exports/document.html", context, status=status)


def _kept(current, drafts: dict[str, str]) -> dict[str, str]:
    """The office's own words where it saved some; the draft's elsewhere."""
    return {name: getattr(current, name) for name in drafts if getattr(current, name)}
