"""Background jobs of the reports app. Tasks take ids, load rows, call a service."""

from __future__ import annotations

from celery import shared_task

from exports.models import ExportJob
from exports.services import export_job_run


@shared_task(bind=True, name="exports.export_job")
def export_job_task(self, job_id: str) -> str:
    """Generate an export job's workbook, reporting PROGRESS {done, total} (rows written) as it goes; returns
    the job id, the only handle to its file."""
    job = ExportJob.objects.select_related("plan").get(pk=job_id)

    def progress(done: int, total: int) -> None:
        self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    export_job_run(job=job, progress=progress)
    return job_id
