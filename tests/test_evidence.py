"""Evidence files (佐证材料): allowed types by extension and content, the size limit, hostile uploads refused
with nothing written, removal, and downloads only for those who may see the figure."""

from __future__ import annotations

import io
import struct
import zipfile
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError

from indicators.measures import Figure
from reporting.evidence import OLE_HEADER, clean_name
from reporting.models import Evidence, Submission, TaskReport
from reporting.services.entry import EvidenceInput, FigureInput
from reporting.services.quarter import quarter_save
from tests import factories
from tests.page import seen
from tests.quarter import quarter_post

Q4 = "/report/?period=2026-4"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def zipped(*members: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in members:
            archive.writestr(member, "<x/>")
    return buffer.getvalue()


def compound(*storages: str) -> bytes:
    """A minimal Compound File Binary (what .doc and .xls are): a header, one FAT sector, one directory sector
    holding the root entry and the given storages."""
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    header = OLE_HEADER + bytes(16) + struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0,
                                                  4096, end, 0, end, 0)  # fmt: skip
    header += struct.pack("<109I", 0, *[free] * 108)
    fat = struct.pack("<128I", 0xFFFFFFFD, end, *[free] * 126)
    entries = b""
    for name, kind in [("Root Entry", 5), *((storage, 1) for storage in storages)]:
        encoded = (name + "\0").encode("utf-16-le")
        entries += encoded.ljust(64, b"\0") + struct.pack("<HB", len(encoded), kind).ljust(64, b"\0")
    return header + fat + entries.ljust(512, b"\0")


GENUINE = {
    "通知.pdf": PDF,
    "现场照片.png": PNG,
    "现场照片.JPG": JPG,
    "工作总结.docx": zipped("[Content_Types].xml", "word/document.xml"),
    "统计表.xlsx": zipped("[Content_Types].xml", "xl/workbook.xml"),
    "旧版文档.doc": compound("WordDocument", "1Table"),
    "旧版表格.xls": compound("Workbook"),
    "电子公文.ofd": zipped("OFD.xml", "Doc_0/Document.xml"),
}
HOSTILE = [
    ("setup.exe", b"MZ\x90\x00", "文件类型不允许上传"),
    ("page.html", b"<script>alert(1)</script>", "文件类型不允许上传"),
    ("logo.svg", b"<svg onload='x'/>", "文件类型不允许上传"),
    ("伪装.pdf", b"MZ\x90\x00 not a pdf", "不是有效的PDF"),
    ("伪装.png", PDF, "不是有效的PNG图片"),
    ("伪装.docx", zipped("xl/workbook.xml"), "不是有效的Word文档"),  # a real zip, but an Excel one
    ("截断.xlsx", b"PK\x03\x04" + b"\x00" * 40, "不是有效的Excel表格"),  # zip header, no directory
    ("伪装.xls", PDF, "不是有效的Excel表格"),
    ("伪装.ofd", zipped("word/document.xml"), "不是有效的OFD版式文件"),
    ("空文件.pdf", b"", "是空文件"),
    ("截断.doc", OLE_HEADER + b"\x00" * 64, "不是有效的Word文档"),  # an OLE header, no directory
    # Macros (VBA) in any Office format the list allows, wherever the archive hides them.
    ("带宏.docx", zipped("word/document.xml", "word/vbaProject.bin"), "含有宏"),
    ("带宏.xlsx", zipped("xl/workbook.xml", "xl/VBAProject.bin"), "含有宏"),
    ("带宏.doc", compound("WordDocument", "Macros", "VBA"), "含有宏"),
    ("带宏.xls", compound("Workbook", "_VBA_PROJECT_CUR", "VBA"), "含有宏"),
    ("演示.pptx", zipped("ppt/presentation.xml", "ppt/vbaProject.bin"), "文件类型不允许上传"),
]


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def upload(client, desk, key, name, content, figures=None):
    data = quarter_post(desk.unit_a, desk.period, desk.today, figures=figures)
    data[f"{key}-evidence"] = SimpleUploadedFile(name, content)
    return client.post(Q4, data)


@pytest.mark.parametrize("name", list(GENUINE))
def test_it_keeps_each_allowed_type(reporter_a_client, desk, settings, name):
    key = f"indicator-{desk.stock.pk}"
    response = upload(reporter_a_client, desk, key, name, GENUINE[name])
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.name, evidence.size) == (name, len(GENUINE[name]))
    assert evidence.submission.state == "draft"  # a figure not filled yet gets an empty draft to hold it
    [path] = stored_files(settings)
    assert path.read_bytes() == GENUINE[name]
    assert path.name != name  # stored under a generated name, the user's name kept for downloads
    record = Evidence.history.get()
    assert record.history_change_reason == f"上传佐证材料：{name}"


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE)
def test_it_refuses_a_hostile_upload_alone_with_a_clear_message(
    reporter_a_client, desk, settings, name, content, message
):
    figures = {desk.stock: {"value": "88"}}
    response = upload(reporter_a_client, desk, f"indicator-{desk.stock.pk}", name, content, figures=figures)
    page = seen(response)
    assert response.status_code == 200
    assert message in page.text and "以下佐证材料未上传" in page.text
    assert "已保存为草稿（1项）：商标有效注册量。" in page.text  # the figure beside it was saved
    assert not Evidence.objects.exists() and stored_files(settings) == []
    assert Submission.objects.get().value == 88


def test_one_bad_file_among_good_ones_is_refused_alone(reporter_a_client, desk, settings):
    task = desk.unit_a.tasks.order_by("pk").first()
    data = quarter_post(desk.unit_a, desk.period, desk.today)
    data[f"indicator-{desk.stock.pk}-evidence"] = [
        SimpleUploadedFile("通知.pdf", PDF),
        SimpleUploadedFile("setup.exe", b"MZ\x90\x00"),
    ]
    data[f"task-{task.pk}-evidence"] = SimpleUploadedFile("现场照片.png", PNG)
    page = seen(reporter_a_client.post(Q4, data))
    assert "“setup.exe”的文件类型不允许上传" in page.text
    assert "以下佐证材料未上传（其他文件已上传）" in page.text
    assert "已上传佐证材料：“通知.pdf”、“现场照片.png”。" in page.text
    assert sorted(Evidence.objects.values_list("name", flat=True)) == ["现场照片.png", "通知.pdf"]
    assert len(stored_files(settings)) == 2
    # The rows created to hold the files carry their versions on the page: the next save does not conflict.
    fields = {**page.fields(), "action": "save", f"task-{task.pk}-status": "in_progress"}
    assert reporter_a_client.post(Q4, fields).status_code == 302


def test_it_refuses_a_file_over_the_size_limit(reporter_a_client, desk, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = upload(
        reporter_a_client, desk, f"task-{desk.unit_a.tasks.first().pk}", "大文件.pdf", PDF + b"0" * 2048
    )
    assert "大小为2KB，超过1KB的上限" in response.content.decode()
    assert not Evidence.objects.exists() and not TaskReport.objects.exists() and stored_files(settings) == []


def test_a_failed_submit_keeps_the_files_as_drafts_and_a_refused_save_removes_them(
    desk, reporter_a, settings, monkeypatch
):
    saved = attach(desk, reporter_a, f"indicator-{desk.stock.pk}", submit=True)
    assert saved.submitted is None and "尚未填写" in str(saved.errors)  # submitting needs everything owed
    assert Evidence.objects.count() == 1 and len(stored_files(settings)) == 1  # the file stays, as a draft's

    def refuse(**kwargs):
        raise DatabaseError("disk full")

    # A write that fails after the files were stored (here the submit) keeps nothing: no new file either.
    figures = [FigureInput(i.pk, Figure(value=D(1)), 0) for i in (desk.count,)]
    monkeypatch.setattr("reporting.services.quarter.unit_period_submit", refuse)
    with pytest.raises(DatabaseError):
        quarter_save(
            unit=desk.unit_a, period=desk.period, figures=figures, tasks=[], by=reporter_a, submit=True,
            evidence=[EvidenceInput(f"indicator-{desk.count.pk}", SimpleUploadedFile("照片.png", PNG))],
        )  # fmt: skip
    assert Evidence.objects.count() == 1 and len(stored_files(settings)) == 1
    assert not Submission.objects.filter(indicator=desk.count).exists()


def test_a_submitted_row_takes_no_more_evidence(desk, reporter_a):
    factories.SubmissionFactory(
        indicator=desk.stock, unit=desk.unit_a, period=desk.period, state="submitted",
        submitted_at="2026-11-20T10:00:00+08:00",
    )  # fmt: skip
    saved = attach(desk, reporter_a, f"indicator-{desk.stock.pk}")
    assert saved.refused_files == {
        f"indicator-{desk.stock.pk}": ["“通知.pdf”未上传：当前为“已报送”，不能再修改佐证材料。"]
    }
    assert not Evidence.objects.exists()


def test_it_refuses_evidence_for_something_the_unit_does_not_report(desk, reporter_a):
    other = factories.IndicatorFactory()
    saved = attach(desk, reporter_a, f"indicator-{other.pk}")
    assert "本单位不填报该项" in str(saved.refused_files) and not Evidence.objects.exists()


def test_it_limits_the_files_of_one_row(desk, reporter_a):
    files = [
        EvidenceInput(key=f"indicator-{desk.stock.pk}", upload=SimpleUploadedFile(f"{n}.pdf", PDF))
        for n in range(11)
    ]
    saved = quarter_save(
        unit=desk.unit_a, period=desk.period, figures=[], tasks=[], by=reporter_a, evidence=files
    )
    assert saved.refused_files == {
        f"indicator-{desk.stock.pk}": ["“10.pdf”未上传：每项最多上传10个佐证材料。"]
    }
    assert Evidence.objects.count() == 10


def test_a_file_name_loses_any_directory_part_and_its_bidirectional_controls():
    assert clean_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert clean_name("报告\u202efdp.exe") == "报告fdp.exe"  # shown as "报告exe.pdf" with the control
    assert clean_name("\u2066通知\u2069\u200e\u200f\u202a\u202b\u202c\u202d.pdf") == "通知.pdf"
    assert clean_name("C:\\Users\\张三\\通知.pdf") == "通知.pdf"
    assert clean_name("") == "未命名文件"
    assert len(clean_name("长" * 300 + ".pdf")) == 200


def test_a_stored_name_has_no_bidirectional_control(reporter_a_client, desk):
    response = upload(reporter_a_client, desk, f"indicator-{desk.stock.pk}", "通知\u202e.pdf", PDF)
    assert response.status_code == 302 and Evidence.objects.get().name == "通知.pdf"


def attach(desk, by, key, name="通知.pdf", content=PDF, **kwargs):
    """Attach a file through the quarter's one write, as the page does."""
    upload_ = SimpleUploadedFile(name, content)
    return quarter_save(
        unit=desk.unit_a, period=desk.period, figures=[], tasks=[], by=by,
        evidence=[EvidenceInput(key=key, upload=upload_)], **kwargs,
    )  # fmt: skip


@pytest.fixture
def evidence(desk, reporter_a):
    attach(desk, reporter_a, f"indicator-{desk.stock.pk}")
    return Evidence.objects.get()


def test_the_unit_removes_its_evidence_while_it_may_still_change(
    reporter_a_client, desk, evidence, settings, django_capture_on_commit_callbacks
):
    data = quarter_post(desk.unit_a, desk.period, desk.today)
    data["remove_evidence"] = [evidence.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert reporter_a_client.post(Q4, data).status_code == 302
    assert not Evidence.objects.exists() and stored_files(settings) == []
    assert Evidence.history.filter(history_type="-").get().history_change_reason == "删除佐证材料：通知.pdf"


def test_another_units_evidence_cannot_be_removed(reporter_b_client, desk, evidence):
    data = quarter_post(desk.unit_b, desk.period, desk.today)
    data["remove_evidence"] = [evidence.pk]
    assert "不存在或已被删除" in reporter_b_client.post(Q4, data).content.decode()
    assert Evidence.objects.exists()


def test_it_downloads_as_an_attachment_for_those_who_may_see_it(
    client, desk, evidence, reporter_a, reviewer, leader
):
    for user in (reporter_a, reviewer, leader):
        client.force_login(user)
        response = client.get(f"/evidence/{evidence.pk}/")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert "filename*=utf-8''%E9%80%9A%E7%9F%A5.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PDF


def test_another_unit_gets_a_404_for_a_download(reporter_b_client, desk, evidence):
    assert reporter_b_client.get(f"/evidence/{evidence.pk}/").status_code == 404


def test_anonymous_visitors_are_asked_to_log_in_for_a_download(client, desk, evidence):
    assert client.get(f"/evidence/{evidence.pk}/")["Location"].startswith("/login/")


def test_the_page_lists_evidence_with_a_remove_box_and_the_detail_page_its_history(
    reporter_a_client, desk, evidence
):
    page = seen(reporter_a_client.get(Q4))
    assert page.link(evidence.name) == f"/evidence/{evidence.pk}/"
    remove = page.find("input", name="remove_evidence", value=str(evidence.pk))
    assert remove.attrs["type"] == "checkbox" and "checked" not in remove.attrs
    html = reporter_a_client.get(f"/submissions/{evidence.submission_id}/").content.decode()
    assert "上传佐证材料" in html and "通知.pdf" in html
    assert Submission.objects.get().value is None  # the draft holds the file, no figure yet
