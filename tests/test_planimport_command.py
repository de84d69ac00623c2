"""`manage.py import_plan PATH [--json OUT] [--save]` and the reading of plan files: .txt in UTF-8, GBK
and GB18030, .docx, .pdf with a text layer; hostile files refused in Chinese with nothing stored."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfWriter

from planimport.extract import DocumentRefused
from planimport.models import Draft
from planimport.services import draft_read
from tests import factories

SOURCES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
QZ_TEXT = (SOURCES / "quanzhou-2024-2026.txt").read_text(encoding="utf-8")
ZJ_TEXT = (SOURCES / "zhenjiang-edz-2024-2026.txt").read_text(encoding="utf-8")


def _keys(value):
    """The shape of a JSON value: its keys all the way down (first item of each list)."""
    if isinstance(value, dict):
        return {key: _keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_keys(value[0])] if value else []
    return None


def _docx_bytes(text: str) -> bytes:
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines` (ASCII, Helvetica)."""
    stream = "BT /F1 12 Tf 72 760 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


@pytest.mark.django_db
def test_it_writes_the_draft_in_the_api_shapes_and_stores_nothing(tmp_path, client, plans):
    out = tmp_path / "draft.json"
    call_command("import_plan", str(SOURCES / "quanzhou-2024-2026.txt"), "--json", str(out))
    body = json.loads(out.read_text(encoding="utf-8"))
    client.force_login(factories.UserFactory(role="leader"))
    plan = client.get("/api/plans/quanzhou-2024-2026/").json()
    indicators = client.get("/api/plans/quanzhou-2024-2026/indicators/").json()
    assert _keys(body["plan"]) == _keys(plan)
    assert _keys(body["indicators"][0]) == _keys(indicators[0]) | {"baseline": None}
    assert body["plan"]["slug"] == "quanzhou-2024-2026"
    assert len(body["plan"]["sections"]) == 5
    assert body["plan"]["sections"][1]["tasks"][0]["units"][:2] == [
        {"name": "市知识产权局", "role": "lead"},
        {"name": "市金融监管局", "role": "co"},
    ]
    target = body["indicators"][0]["targets"][0]
    assert target == {
        "year": 2026,
        "comparator": "gt",
        "min": "6.0000",
        "max": None,
        "origin": "document",
        "source": "力争每万人口高价值发明专利拥有量突破6件",
    }
    assert body["review"]["indicators"][0]["targets"][0]["spans"][0]["text"] == target["source"]
    assert not Draft.objects.exists()


@pytest.mark.django_db
def test_save_stores_the_draft_with_its_text_for_review(tmp_path):
    path = tmp_path / "zhenjiang-edz-2024-2026.docx"
    path.write_bytes(_docx_bytes(ZJ_TEXT))
    call_command("import_plan", str(path), "--save")
    draft = Draft.objects.get()
    assert draft.title == "镇江经济技术开发区江苏省知识产权建设示范(园区)工作方案(2024—2026)"
    assert draft.status == Draft.Status.DRAFT
    assert len(draft.data["sections"]) == 6
    assert draft.data["plan"]["slug"] == "zhenjiang-edz-2024-2026"
    span = draft.data["indicators"][1]["targets"][0]["spans"][0]
    assert draft.text[span["start"] : span["end"]] == span["text"]
    assert draft.history.get().history_change_reason == "导入方案文件：zhenjiang-edz-2024-2026.docx"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_it_reads_text_files_in_every_chinese_encoding(encoding):
    text = QZ_TEXT.replace("\xa0", " ")  # GBK has no no-break space
    draft = draft_read(data=text.encode(encoding), name="plan.txt")
    assert draft["plan"]["title"] == "泉州市国家知识产权强市建设示范城市工作方案(2024-2026年)"
    assert sum(len(section["tasks"]) for section in draft["sections"]) == 18


def test_it_reads_a_word_document_paragraph_by_paragraph_and_its_tables():
    document = docx.Document()
    document.add_paragraph("样例高新区知识产权示范园区建设实施方案（2024—2026年）")
    document.add_paragraph("二、年度目标")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "2025年："
    table.rows[0].cells[1].text = "新增专利授权量达到350件"
    buffer = io.BytesIO()
    document.save(buffer)
    draft = draft_read(data=buffer.getvalue(), name="方案.docx")
    assert "2025年：\t新增专利授权量达到350件" in draft["text"]
    (indicator,) = draft["indicators"]
    assert [(t["year"], t["min"]) for t in indicator["targets"]] == [(2025, "350")]


def test_it_reads_a_pdf_text_layer():
    draft = draft_read(data=_text_pdf(["Plan (2024-2026)", "target 100 items"] * 3), name="plan.pdf")
    assert "target 100 items" in draft["text"]


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def _blank_pdf(password: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


HOSTILE = {
    "empty": ("plan.txt", b"", "文件是空的"),
    "too big": ("plan.txt", b"a" * (5 * 1024 * 1024 + 1), "文件过大"),
    "wrong type": ("plan.xlsx", b"PK\x03\x04", "不支持的文件类型"),
    "old word": ("plan.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版Word"),
    "not a zip": ("plan.docx", b"this is no zip", "不是有效的Word"),
    "zip bomb": ("plan.docx", _zip({"word/document.xml": b" " * (3 * 1024 * 1024)}), "压缩炸弹"),
    "macro": ("plan.docx", _zip({"word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"}), "宏"),
    "xml entities": (
        "plan.docx",
        _zip({"word/document.xml": b'<!DOCTYPE x [<!ENTITY a "b">]><w/>'}),
        "不安全",
    ),
    "image pdf": ("scan.pdf", _blank_pdf(), "没有文字层"),
    "encrypted pdf": ("locked.pdf", _blank_pdf("secret"), "已加密"),
    "broken pdf": ("plan.pdf", b"%PDF-1.4\nnonsense", "不是有效的PDF"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_and_unreadable_files_are_refused_in_chinese_with_nothing_stored(case, tmp_path):
    name, data, message = HOSTILE[case]
    with pytest.raises(DocumentRefused) as refused:
        draft_read(data=data, name=name)
    assert message in refused.value.messages[0]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError, match=message):
        call_command("import_plan", str(path), "--save")
    assert not Draft.objects.exists()


def test_pasted_text_is_read_like_a_file_and_empty_text_is_refused():
    assert draft_read(pasted=QZ_TEXT)["plan"]["issuer"] == "泉州市人民政府"
    with pytest.raises(DocumentRefused, match="没有读到文字"):
        draft_read(pasted="   \n ")


def test_a_missing_file_is_named():
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_plan", "/nonexistent/plan.docx")
