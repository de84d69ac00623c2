"""What an evidence file (佐证材料) must be before it is stored: small enough, and really what its name says.

The extension decides what a file claims to be; its first bytes (and, for the zip-based formats, its table of
contents) must agree. Nothing is decompressed, so a zip bomb is refused or stored inert, never expanded.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from typing import IO

from django.conf import settings

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # doc, xls (Compound File Binary)
NAME_LIMIT = 200
MAX_FILES_PER_ROW = 10


def _starts_with(*headers: bytes) -> Callable[[IO[bytes]], bool]:
    def check(file: IO[bytes]) -> bool:
        file.seek(0)
        head = file.read(16)
        return any(head.startswith(header) for header in headers)

    return check


def _zip_with(member: str) -> Callable[[IO[bytes]], bool]:
    """A real zip archive (its central directory reads) holding `member`, as Office Open XML and OFD are."""

    def check(file: IO[bytes]) -> bool:
        file.seek(0)
        if file.read(4) != b"PK\x03\x04":
            return False
        file.seek(0)
        try:
            with zipfile.ZipFile(file) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            return False
        return member in names

    return check


KINDS: dict[str, tuple[str, Callable[[IO[bytes]], bool]]] = {
    ".pdf": ("PDF", _starts_with(b"%PDF-")),
    ".jpg": ("JPG图片", _starts_with(b"\xff\xd8\xff")),
    ".jpeg": ("JPG图片", _starts_with(b"\xff\xd8\xff")),
    ".png": ("PNG图片", _starts_with(b"\x89PNG\r\n\x1a\n")),
    ".docx": ("Word文档", _zip_with("word/document.xml")),
    ".xlsx": ("Excel表格", _zip_with("xl/workbook.xml")),
    ".doc": ("Word文档", _starts_with(OLE_HEADER)),
    ".xls": ("Excel表格", _starts_with(OLE_HEADER)),
    ".ofd": ("OFD版式文件", _zip_with("OFD.xml")),
}
ACCEPT = ",".join(KINDS)  # for <input type="file" accept=…>
ALLOWED_TEXT = "PDF、JPG/PNG图片、Word（doc/docx）、Excel（xls/xlsx）、OFD"


def max_bytes() -> int:
    return settings.UPLOAD_MAX_BYTES


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f}MB".replace(".0MB", "MB")
    return f"{max(1, round(size / 1024))}KB"


def clean_name(name: str) -> str:
    """The file's own name without any directory part, as the user will see it again when downloading."""
    base = os.path.basename(name.replace("\\", "/")).strip() or "未命名文件"
    stem, ext = os.path.splitext(base)
    return stem[: NAME_LIMIT - len(ext)] + ext


def evidence_problem(name: str, size: int, file: IO[bytes]) -> str | None:
    """Why this upload cannot be kept as evidence (a Chinese sentence naming the file), or None."""
    shown = clean_name(name)
    ext = os.path.splitext(shown)[1].lower()
    if ext not in KINDS:
        return f"“{shown}”的文件类型不允许上传，只接受{ALLOWED_TEXT}。"
    if size == 0:
        return f"“{shown}”是空文件。"
    if size > max_bytes():
        return f"“{shown}”大小为{size_text(size)}，超过{size_text(max_bytes())}的上限，请压缩后再上传。"
    label, check = KINDS[ext]
    try:
        genuine = check(file)
    finally:
        file.seek(0)
    if not genuine:
        return f"“{shown}”的内容不是有效的{label}（与扩展名不符或文件已损坏），未上传。"
    return None
