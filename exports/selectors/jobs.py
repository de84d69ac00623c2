"""Export jobs a person may see, and a job's progress as the status page polls it."""

from __future__ import annotations

from celery import current_app
from celery.result import AsyncResult
from django.db.models import (
    QuerySet,
)

from accounts.permissions import is_reviewer
from exports.models import ExportJob

# Export jobs ---------------------------------------------------------------------------------------------


def export_jobs_visible(user) -> QuerySet[ExportJob]:
    """Jobs a user may see: its own; the office (reviewers, admins) sees everyone's."""
    jobs = ExportJob.objects.select_related("plan", "requested_by")
    return jobs if is_reviewer(user) else jobs.filter(requested_by=user)


def export_job_progress(job: ExportJob) -> dict:
    """The job's state for the polling page. A finished job answers from its row; a running one from the
    PROGRESS meta its Celery task reports (`update_state`), read from the result backend."""
    done = total = job.rows if job.state == ExportJob.State.DONE else 0
    state = job.state
    if state in (ExportJob.State.PENDING, ExportJob.State.RUNNING) and not current_app.conf.task_always_eager:
        # Without a broker the task ran inside the request that started it: there is nothing to ask.
        result = AsyncResult(str(job.pk), app=current_app)
        if result.state == "PROGRESS" and isinstance(result.info, dict):
            state = ExportJob.State.RUNNING
            done, total = int(result.info.get("done", 0)), int(result.info.get("total", 0))
        elif result.state == "FAILURE":
            state = ExportJob.State.FAILED
    percent = 100 if state == ExportJob.State.DONE else (min(99, done * 100 // total) if total else 0)
    return {
        "state": state,
        "label": ExportJob.State(state).label,
        "done": done,
        "total": total,
        "percent": percent,
        "rows": job.rows,
        "error": job.error,
    }
