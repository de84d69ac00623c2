"""Writes of the reports app: starting an export job and running it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import ensure_reviewer
from audit.services import Conflict, claim, reason_required, stamp
from exports.charts import NoChineseFont
from exports.documents import export_to_path
from exports.documents.common import SETTINGS, WORDING
from exports.models import BulletinRelease, ExportJob, OfficialDocument
from exports.pdf import PdfUnavailable
from ipcity.quarters import Quarter
from plans.models import Plan
from reporting.states import awaiting_review

logger = logging.getLogger(__name__)


def export_job_start(
    *, kind: str, plan: Plan, year: int, quarter: int, by: User, format: str = ExportJob.Format.XLSX
) -> ExportJob:
    """Record the request and queue its Celery task once the row is committed; the job's id is the task's id.

    Without a broker (no REDIS_URL) the task runs eagerly when the transaction commits, so by the time the
    caller's request answers the job is already done (or failed)."""
    with transaction.atomic():
        job = ExportJob.objects.create(
            kind=kind, format=format, plan=plan, year=year, quarter=quarter, requested_by=by
        )
        transaction.on_commit(lambda: _dispatch(job))
    return job


def _dispatch(job: ExportJob) -> None:
    """Send the job's task; a broker that cannot take it fails the job with a message the requester can act
    on, instead of a 500 page and a job that waits forever."""
    from exports.tasks import export_job_task

    try:
        export_job_task.apply_async(args=[str(job.pk)], task_id=str(job.pk))
    except Exception:
        logger.exception("export job %s could not be queued", job.pk)
        _failed(job, "后台任务服务暂时不可用，报表未能开始生成，请稍后重新生成。")


def _failed(job: ExportJob, message: str) -> ExportJob:
    job.state, job.error, job.finished_at = ExportJob.State.FAILED, message, timezone.now()
    job.save(update_fields=["state", "error", "finished_at"])
    return job


def export_job_run(*, job: ExportJob, progress: Callable[[int, int], None] | None = None) -> ExportJob:
    """Generate the job's file under MEDIA_ROOT/exports/<job id>.<format> (a workbook, a .docx or its PDF)
    and mark the job done, or failed with a Chinese message (the cause goes to the log; LibreOffice or a
    CJK font missing says so). The file appears whole or not at all. Running a job again rewrites the same
    file: the callers may retry."""
    name = f"exports/{job.pk}.{job.format}"
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING, error="")
    try:
        rows = export_to_path(
            kind=job.kind,
            format=job.format,
            plan=job.plan,
            year=job.year,
            quarter=job.quarter,
            path=Path(default_storage.path(name)),
            progress=progress,
        )
    except (PdfUnavailable, NoChineseFont) as error:
        logger.warning("export job %s failed: %s", job.pk, error)
        return _failed(job, str(error))
    except Exception:
        logger.exception("export job %s failed", job.pk)
        return _failed(job, "生成失败，请稍后重试或联系管理员。")
    job.state, job.file.name, job.rows, job.error = ExportJob.State.DONE, name, rows, ""
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "file", "rows", "error", "finished_at"])
    return job


def bulletin_release(*, plan: Plan, year: int, quarter: int, by: User, reason: str = "") -> BulletinRelease:
    """Make the quarter's bulletin 正式. The office only; while figures or task reports of the quarter await
    review a reason is required (ValidationError in Chinese otherwise), and the number pending is kept with
    it. Audited with the user and the reason. A bulletin already released stays as released (ValidationError).
    """
    ensure_reviewer(by)
    with transaction.atomic():
        if BulletinRelease.objects.select_for_update().filter(plan=plan, year=year, quarter=quarter).exists():
            raise ValidationError("本季度通报已发布为正式通报。")
        pending = awaiting_review(plan, Quarter(year, quarter), shown=0).count
        reason = (reason or "").strip()
        if pending:
            reason = reason_required(reason, f"发布说明（本季度尚有{pending}项待审核，须说明先行发布的理由）")
        release = BulletinRelease(
            plan=plan, year=year, quarter=quarter, pending=pending, reason=reason, released_by=by
        )
        stamp(release, by, f"发布正式通报：{reason}" if reason else "发布正式通报：本季度报送事项均已审核")
        release.save()
    return release


def official_document_save(
    *,
    plan: Plan,
    year: int,
    quarter: int,
    kind: str,
    values: dict[str, Any],
    drafts: dict[str, str],
    by: User,
    seen_version: int | None,
) -> OfficialDocument:
    """Keep the office's settings and wording of one outgoing document of a plan's quarter. The office only;
    audited with the user. A wording field equal to the generated draft is kept empty, so it follows the data
    and only the office's own words are kept (a re-export uses them). Someone else's save since
    `seen_version` raises Conflict and writes nothing."""
    ensure_reviewer(by)
    allowed = set(SETTINGS) | set(WORDING[kind])
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError(f"“{'、'.join(sorted(unknown))}”不是本公文可以修改的内容。")
    try:
        with transaction.atomic():
            row = (
                OfficialDocument.objects.select_for_update()
                .filter(plan=plan, year=year, quarter=quarter, kind=kind)
                .first()
            )
            if row is None:
                if seen_version:
                    raise Conflict("该公文的设置已被删除或尚未保存，请刷新页面后重新填写。")
                row = OfficialDocument(plan=plan, year=year, quarter=quarter, kind=kind, version=1)
            else:
                claim(row, seen_version)
            for name, value in values.items():
                if name in WORDING[kind]:
                    text = (value or "").strip()
                    value = "" if text == drafts.get(name, "").strip() else text
                setattr(row, name, value)
            row.full_clean()
            stamp(row, by, f"修改{row.get_kind_display()}的公文设置与措辞")
            row.save()
    except IntegrityError as error:  # two first saves at once: the other one won
        raise Conflict("该公文的设置刚刚已被他人保存，请刷新页面后重新填写。") from error
    return row
