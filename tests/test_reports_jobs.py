"""Export jobs: the form at /reports/, the job page and its JSON status, the download; the Celery task."""

from __future__ import annotations

import io
import uuid

import pytest
from django.test import Client
from docx import Document
from openpyxl import load_workbook

from exports import books as exports
from exports.models import ExportJob
from exports.tasks import export_job_task
from tests import factories
from tests.page import seen

FORM = {"plan": "quanzhou-2024-2026", "year": 2025, "quarter": 3, "kind": "report"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _start(client, django_capture_on_commit_callbacks, **form):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/jobs/", {**FORM, **form})
    return response


def test_it_asks_anonymous_visitors_to_log_in(db):
    assert Client().get("/reports/").status_code == 302
    assert Client().post("/reports/jobs/", FORM).status_code == 302


def test_a_reporter_may_not_export_the_whole_plan(reporter_a_client, reporter_a, plans):
    job = factories.ExportJobFactory(plan=plans["quanzhou-2024-2026"], requested_by=reporter_a)
    assert reporter_a_client.get("/reports/").status_code == 403
    assert reporter_a_client.post("/reports/jobs/", FORM).status_code == 403
    for suffix in ("", "status/", "download/"):
        assert reporter_a_client.get(f"/reports/jobs/{job.pk}/{suffix}").status_code == 403
    assert not ExportJob.objects.exclude(pk=job.pk).exists()


def test_the_form_offers_plans_and_the_last_ended_quarter(leader_client, plans, time_machine):
    time_machine.move_to("2025-11-03 09:00:00+08:00")
    response = leader_client.get("/reports/")
    html = response.content.decode()
    assert "泉州市示范城市工作方案" in html and "镇江经开区示范园区工作方案" in html
    assert {"year": "2025", "quarter": "3"}.items() <= seen(response).fields().items()
    assert "/reports/bulletin/quanzhou-2024-2026/" in html


def test_it_generates_the_report_and_the_page_links_the_download(
    report_scenario, leader_client, leader, django_capture_on_commit_callbacks, media
):
    response = _start(leader_client, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/jobs/{job.pk}/"
    assert (job.state, job.requested_by, job.file.name) == ("done", leader, f"exports/{job.pk}.xlsx")
    assert (media / "exports" / f"{job.pk}.xlsx").exists()
    assert list((media / "exports").iterdir()) == [media / "exports" / f"{job.pk}.xlsx"]  # no partial left

    page = leader_client.get(response["Location"]).content.decode()
    assert (
        f"/reports/jobs/{job.pk}/download/" in page and "已生成" in page
    )  # done on first view, even without JS
    assert "js/reports-exports.js" in page

    status = leader_client.get(f"/reports/jobs/{job.pk}/status/").json()
    assert status["state"] == "done" and status["percent"] == 100
    assert status["download_url"] == f"/reports/jobs/{job.pk}/download/"

    download = leader_client.get(status["download_url"])
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert "filename*=utf-8''" in download["Content-Disposition"]  # 泉州市示范城市工作方案2025年第三季度…
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook.sheetnames == ["封面", "汇总", "指标进度", "任务进展", "报送情况", "目标考核"]


def test_it_generates_the_bulletin_as_excel(
    report_scenario, reviewer_client, django_capture_on_commit_callbacks
):
    _start(reviewer_client, django_capture_on_commit_callbacks, kind="bulletin")
    job = ExportJob.objects.get()
    assert job.kind == "bulletin" and job.state == "done"
    assert job.download_name == "泉州市示范城市工作方案2025年第三季度工作推进情况通报.xlsx"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"year": 2030}, "请选择方案实施期内的年度。"),
        ({"plan": "zhenjiang-edz-2024-2026", "year": 2023}, "请选择方案实施期内的年度。"),
        ({"quarter": 5}, "季度应为第一至第四季度。"),
        ({"plan": "nope"}, "请选择系统中的工作方案。"),
        ({"kind": "everything"}, "请选择导出内容。"),
    ],
)
def test_it_refuses_bad_input_in_chinese(
    leader_client, plans, django_capture_on_commit_callbacks, form, message
):
    response = _start(leader_client, django_capture_on_commit_callbacks, **form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ExportJob.objects.exists()


def test_another_persons_job_is_not_found(plans, leader_client):
    other = factories.UserFactory(role="leader", username="other-leader")
    job = factories.ExportJobFactory(
        plan=plans["quanzhou-2024-2026"], requested_by=other, state="done", file="exports/x.xlsx"
    )
    for suffix in ("", "status/", "download/"):
        assert leader_client.get(f"/reports/jobs/{job.pk}/{suffix}").status_code == 404
    assert leader_client.get(f"/reports/jobs/{uuid.uuid4()}/").status_code == 404


def test_the_office_sees_everyones_jobs(plans, leader, client, reviewer):
    job = factories.ExportJobFactory(plan=plans["quanzhou-2024-2026"], requested_by=leader)
    client.force_login(reviewer)
    assert client.get(f"/reports/jobs/{job.pk}/status/").json()["state"] == "pending"


def test_a_running_job_reports_the_progress_its_task_stored(plans, leader, leader_client, monkeypatch):
    monkeypatch.setitem(export_job_task.app.conf, "task_always_eager", False)  # as with a broker and a worker
    job = factories.ExportJobFactory(plan=plans["quanzhou-2024-2026"], requested_by=leader, state="running")
    export_job_task.backend.store_result(str(job.pk), {"done": 3, "total": 12}, "PROGRESS")
    status = leader_client.get(f"/reports/jobs/{job.pk}/status/").json()
    assert (status["state"], status["done"], status["total"], status["percent"]) == ("running", 3, 12, 25)
    assert status["download_url"] is None
    assert leader_client.get(f"/reports/jobs/{job.pk}/download/").status_code == 404


def test_the_task_reports_progress_with_update_state(report_scenario, leader, monkeypatch):
    job = factories.ExportJobFactory(plan=report_scenario.plan, requested_by=leader)
    calls = []
    monkeypatch.setattr(export_job_task, "update_state", lambda **kwargs: calls.append(kwargs))
    assert export_job_task.apply(args=[str(job.pk)], task_id=str(job.pk)).result == str(job.pk)
    assert calls and all(call["state"] == "PROGRESS" for call in calls)
    last = calls[-1]["meta"]
    assert last["done"] == last["total"] > 0


def test_running_a_job_twice_rewrites_the_same_file(report_scenario, leader, media):
    job = factories.ExportJobFactory(plan=report_scenario.plan, requested_by=leader)
    for _ in range(2):
        export_job_task.apply(args=[str(job.pk)], task_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == "done" and job.rows > 0
    assert [p.name for p in (media / "exports").iterdir()] == [f"{job.pk}.xlsx"]


def test_a_failing_export_marks_the_job_failed_and_leaves_no_file(
    report_scenario, leader, media, monkeypatch
):
    def broken(**kwargs):
        with open(kwargs["out"], "wb") as half:
            half.write(b"PK half a workbook")
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(exports.EXPORTS, "report", broken)
    job = factories.ExportJobFactory(plan=report_scenario.plan, requested_by=leader)
    export_job_task.apply(args=[str(job.pk)], task_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == "failed" and job.error == "生成失败，请稍后重试或联系管理员。" and not job.file
    assert list((media / "exports").iterdir()) == []


def test_a_broker_that_cannot_take_the_task_fails_the_job_with_a_message(
    plans, leader_client, django_capture_on_commit_callbacks, monkeypatch
):
    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(export_job_task, "apply_async", down)
    response = _start(leader_client, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.state == "failed"
    assert "后台任务服务暂时不可用" in leader_client.get(response["Location"]).content.decode()


def test_the_status_endpoint_uses_a_fixed_number_of_queries(
    plans, leader, leader_client, django_assert_max_num_queries
):
    job = factories.ExportJobFactory(
        plan=plans["quanzhou-2024-2026"], requested_by=leader, state="done", file="x"
    )
    with django_assert_max_num_queries(3):
        assert leader_client.get(f"/reports/jobs/{job.pk}/status/").status_code == 200


@pytest.mark.parametrize("kind", ["report", "bulletin"])
def test_it_generates_the_word_document_as_a_job_with_progress(
    report_scenario, leader_client, django_capture_on_commit_callbacks, media, monkeypatch, kind
):
    calls = []
    monkeypatch.setattr(export_job_task, "update_state", lambda **kwargs: calls.append(kwargs["meta"]))
    response = _start(leader_client, django_capture_on_commit_callbacks, kind=kind, format="docx")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.state == "done" and job.format == "docx"
    assert job.download_name.endswith(".docx") and job.file.name == f"exports/{job.pk}.docx"
    assert calls[-1]["done"] == calls[-1]["total"] > 0
    download = leader_client.get(f"/reports/jobs/{job.pk}/download/")
    document = Document(io.BytesIO(b"".join(download.streaming_content)))
    assert any(p.text.startswith("关于") for p in document.paragraphs)


def test_a_pdf_job_without_libreoffice_fails_with_a_chinese_message(
    report_scenario, leader_client, django_capture_on_commit_callbacks, media, monkeypatch
):
    monkeypatch.setattr("exports.pdf.shutil.which", lambda name: None)
    response = _start(leader_client, django_capture_on_commit_callbacks, kind="bulletin", format="pdf")
    job = ExportJob.objects.get()
    assert job.state == "failed" and "未安装 LibreOffice" in job.error and not job.file
    assert "未安装 LibreOffice" in leader_client.get(response["Location"]).content.decode()
    assert list((media / "exports").iterdir()) == []


def test_it_refuses_an_unknown_format_in_chinese(plans, leader_client):
    response = leader_client.post("/reports/jobs/", {**FORM, "format": "doc"})
    assert response.status_code == 400
    assert "请选择 Excel、Word 或 PDF 格式。" in response.content.decode()
    assert not ExportJob.objects.exists()
