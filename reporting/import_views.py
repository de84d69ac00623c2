"""Pages of the Excel import, for reporters: download the unit's template, upload it, preview, confirm.

The workbook is parsed once, on upload; its rows wait for the preview and the confirmation as JSON under
MEDIA_ROOT/imports/ named by a random token (a preview view never opens the workbook again). The token and the
JSON's SHA-256 are known only to the session that uploaded it, so another user's (or another unit's) token is
a 404 and a file changed on disk is not read. Files older than IPCITY_IMPORT_TTL_SECONDS are discarded. The
preview and the confirmation judge the stored rows afresh: signature, unit, quarter, layout, versions.
"""

from __future__ import annotations

import functools
import hashlib
import io
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import REPORTERS, role_required
from audit.services import Conflict
from reporting.evidence import clean_name
from reporting.excel.preview import Imported, template_confirm, template_judge, template_read
from reporting.excel.template import template_filename, template_write
from reporting.excel.upload import ImportRefused, Upload, megabytes, upload_dumps, upload_loads
from reporting.models import Period
from reporting.selectors import unit_owes
from reporting.services.calendar import period_accepts

SESSION_KEY = "excel_imports"
KEPT_PER_SESSION = 5
RECENT_PERIODS = 4
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _import_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _open_periods(unit, today) -> list[Period]:
    """The recent quarters the unit may still report into today."""
    recent = Period.objects.filter(opens_on__lte=today).order_by("-year", "-quarter")[:RECENT_PERIODS]
    return [period for period in recent if period_accepts(period, unit, today)]


class UploadForm(forms.Form):
    period = forms.ModelChoiceField(
        label="填报季度",
        queryset=Period.objects.none(),
        empty_label=None,
        error_messages={"required": "请选择季度。"},
    )
    # An empty file reaches template_read, which refuses it with the same message as every other refusal.
    file = forms.FileField(
        label="填写好的模板（.xlsx）",
        allow_empty_file=True,
        error_messages={"required": "请选择要上传的文件。"},
    )

    def __init__(self, *args, periods: list[Period], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = Period.objects.filter(pk__in=[period.pk for period in periods])


class _UploadLimit(FileUploadHandler):
    """Stops reading an upload past UPLOAD_MAX_BYTES: an oversized body is never stored, even temporarily."""

    exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.UPLOAD_MAX_BYTES:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def nothing_owed(unit, period: Period) -> str:
    return (
        f"{unit.name}在{period}没有需要填报的指标或重点任务，因此没有填报模板。"
        "如认为有误，请联系办公室分配填报指标或任务。"
    )


def _start_page(request, form=None, status=200):
    unit, today = request.user.unit, timezone.localdate()
    periods = _open_periods(unit, today)
    form = form or UploadForm(periods=periods, initial={"period": periods[0] if periods else None})
    owes = {year: unit_owes(unit, year) for year in {period.year for period in periods}}
    context = {
        "unit": unit,
        "periods": periods,
        "offered": [
            (period, None if owes[period.year] else nothing_owed(unit, period)) for period in periods
        ],
        "form": form,
        "max_size": megabytes(settings.UPLOAD_MAX_BYTES),
    }
    return render(request, "reporting/import_start.html", context, status=status)


@role_required(*REPORTERS)
@require_GET
def import_start(request):
    return _start_page(request)


@role_required(*REPORTERS)
@require_GET
def import_template(request, year: int, quarter: int):
    period = get_object_or_404(Period, year=year, quarter=quarter)
    unit = request.user.unit
    if not period_accepts(period, unit, timezone.localdate()):
        messages.error(request, f"{period}不在填报期内，不能下载模板。")
        return redirect("import-start")
    if not unit_owes(unit, period.year):
        messages.error(request, nothing_owed(unit, period))
        return redirect("import-start")
    buffer = io.BytesIO()
    template_write(unit=unit, period=period, out=buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, template_filename(unit, period))
    return response


@csrf_exempt
@require_POST
def import_upload(request):
    # The size limit must be in place before anything reads the body, CSRF checking included (Django's
    # documented pattern: exempt the outer view, protect the inner one).
    limit = _UploadLimit(request)
    request.upload_handlers.insert(0, limit)
    return _upload(request, limit)


@csrf_protect
@role_required(*REPORTERS)
def _upload(request, limit: _UploadLimit):
    unit, today = request.user.unit, timezone.localdate()
    periods = _open_periods(unit, today)
    form = UploadForm(request.POST, request.FILES, periods=periods)
    if limit.exceeded:
        form.errors.clear()  # the file field is empty because reading stopped, not because none was sent
        form.add_error(None, ImportRefused("too_big", limit=megabytes(settings.UPLOAD_MAX_BYTES)))
        return _start_page(request, form, status=400)
    if not form.is_valid():
        return _start_page(request, form, status=400)
    upload, period = form.cleaned_data["file"], form.cleaned_data["period"]
    name = clean_name(upload.name)  # the name the preview shows and the audit's reason quotes
    try:
        parsed = template_read(upload, name)
        template_judge(parsed, unit=unit, period=period, name=name)
    except ImportRefused as refusal:
        form.add_error("file", refusal)
        return _start_page(request, form, status=400)
    token = _store(request, parsed, period, name)
    return redirect("import-preview", token=token)


def _path(token: str) -> Path:
    return _import_dir() / f"{token}.json"


def _store(request, parsed: Upload, period: Period, name: str) -> str:
    """Keep the parsed upload for its preview and confirmation: a file named by a random token, the token and
    the file's hash in the session."""
    directory = _import_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _discard_expired(directory)
    token = secrets.token_urlsafe(18)
    data = upload_dumps(parsed)
    with open(_path(token), "xb") as out:
        out.write(data)
    stored = request.session.get(SESSION_KEY, {})
    while len(stored) >= KEPT_PER_SESSION:
        _forget(request, min(stored, key=lambda key: stored[key]["at"]), stored)
    stored[token] = {
        "unit": request.user.unit_id,
        "period": period.pk,
        "name": name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "at": time.time(),
    }
    request.session[SESSION_KEY] = stored
    return token


def _discard_expired(directory: Path) -> None:
    cutoff = time.time() - settings.IPCITY_IMPORT_TTL_SECONDS
    for path in directory.glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass  # another request discarded it first


def _forget(request, token: str, stored: dict | None = None) -> None:
    stored = request.session.get(SESSION_KEY, {}) if stored is None else stored
    stored.pop(token, None)
    request.session[SESSION_KEY] = stored
    _path(token).unlink(missing_ok=True)


def _stored(request, token: str) -> tuple[dict, Upload] | None:
    """The session's upload for `token` and its parsed rows; 404 for a token this session did not upload for
    this user's unit, None (and the entry forgotten) once it has expired or its file is not the one stored."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if entry is None or entry["unit"] != request.user.unit_id:
        raise Http404("没有找到该上传文件。")
    try:
        data = _path(token).read_bytes()
    except FileNotFoundError:
        data = b""
    fresh = time.time() - entry["at"] <= settings.IPCITY_IMPORT_TTL_SECONDS
    if not fresh or hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        _forget(request, token)
        return None
    return entry, upload_loads(data)


def _with_upload(view):
    """Runs `view(request, token, period, parsed, name)` with the session's stored upload of `token`, for its
    period and file name; once the upload has expired, the reporter is sent back to upload it again."""

    @functools.wraps(view)
    def with_upload(request, token: str):
        found = _stored(request, token)
        if found is None:
            messages.error(request, "上传的文件已过期（超过1小时未确认），请重新上传。")
            return redirect("import-start")
        entry, parsed = found
        period = get_object_or_404(Period, pk=entry["period"])
        return view(request, token, period, parsed, entry["name"])

    return with_upload


@role_required(*REPORTERS)
@require_GET
@_with_upload
def import_preview(request, token: str, period: Period, parsed: Upload, name: str):
    try:
        preview = template_judge(parsed, unit=request.user.unit, period=period, name=name)
    except ImportRefused as refusal:
        _forget(request, token)
        messages.error(request, refusal.messages[0])
        return redirect("import-start")
    statuses = ("new", "changed", "same", "empty", "error")
    counts = {status: preview.count(status) for status in statuses}
    task_counts = {status: preview.task_count(status) for status in statuses}
    writes = counts["new"] + counts["changed"]
    task_writes = task_counts["new"] + task_counts["changed"]
    context = {
        "preview": preview,
        "token": token,
        "counts": counts,
        "task_counts": task_counts,
        "errors": preview.errors,
        "writes": writes + task_writes,
        "will_save": Imported(figures=writes, tasks=task_writes),
    }
    return render(request, "reporting/import_preview.html", context)


@role_required(*REPORTERS)
@require_POST
@_with_upload
def import_confirm(request, token: str, period: Period, parsed: Upload, name: str):
    try:
        imported = template_confirm(parsed, unit=request.user.unit, period=period, by=request.user, name=name)
    except Conflict as conflict:
        messages.error(request, f"{conflict} 请重新下载模板，填写后再导入。")
        return redirect("import-preview", token=token)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("import-preview", token=token)
    _forget(request, token)
    messages.success(request, f"已保存{imported}（草稿），请在填报页核对后报送。")
    return redirect(f"{reverse('report')}?period={period.at.param}")


@role_required(*REPORTERS)
@require_POST
def import_cancel(request, token: str):
    if _stored(request, token) is not None:
        _forget(request, token)
    messages.info(request, "已取消本次导入，没有保存任何数据。")
    return redirect("import-start")
