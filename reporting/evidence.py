"""What an evidence file (佐证材料) must be before it is stored: small enough, and really what its name says.

The extension decides what a file claims to be; its first bytes (and, for the zip-based formats, its table of
contents) must agree. Nothing is decompressed, so a zip bomb is refused or stored inert, never expanded.
Office files carrying macros (VBA) are refused: an OOXML zip with a `vbaProject.bin` member, an old OLE
.doc/.xls whose directory holds a VBA storage. Names lose directory parts and bidirectional controls.
"""

from __future__ import annotations

import os
import re
import struct
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


def _zip_names(file: IO[bytes]) -> set[str] | None:
    """The members of a real zip archive (its central directory reads), or None."""
    file.seek(0)
    if file.read(4) != b"PK\x03\x04":
        return None
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None


def _zip_with(member: str) -> Callable[[IO[bytes]], bool]:
    """A real zip archive holding `member`, as Office Open XML and OFD are."""

    def check(file: IO[bytes]) -> bool:
        names = _zip_names(file)
        return names is not None and member in names

    return check


END_OF_CHAIN = 0xFFFFFFFE
OLE_ENTRY = 128  # bytes per directory entry
# Where VBA lives in an OLE file: Word's "Macros" storage, Excel's "_VBA_PROJECT_CUR", the "VBA" storage below
# them and PowerPoint's "_VBA_PROJECT" stream. Case-insensitive, as the format's names are.
VBA_STORAGES = {"macros", "_vba_project_cur", "_vba_project", "vba"}


def _ole_names(file: IO[bytes]) -> set[str] | None:
    """The names in a Compound File Binary's directory (the format of .doc and .xls), or None when the file is
    not one that reads. Only the header, the FAT and the directory chain are read; loops and sectors past the
    end of the file make it unreadable, never an endless walk."""
    file.seek(0)
    data = file.read()  # already no larger than the upload limit
    if len(data) < 512 or not data.startswith(OLE_HEADER):
        return None
    shift = int.from_bytes(data[30:32], "little")
    if shift not in (9, 12):
        return None
    size = 1 << shift
    sectors = len(data) // size  # the header takes the first one

    def sector(number: int) -> bytes | None:
        return data[(number + 1) * size : (number + 2) * size] if number + 1 < sectors else None

    fat_count, first_dir, difat_next, difat_count = struct.unpack_from("<II16xII", data, 44)
    fat_sectors = list(struct.unpack_from("<109I", data, 76))
    for _ in range(min(difat_count, sectors)):  # FATs past the header's 109 entries, in DIFAT sectors
        block = sector(difat_next)
        if block is None:
            return None
        *more, difat_next = struct.unpack(f"<{size // 4}I", block)
        fat_sectors.extend(more)
    fat: list[int] = []
    for number in fat_sectors[: min(fat_count, sectors)]:
        block = sector(number)
        if block is None:
            return None
        fat.extend(struct.unpack(f"<{size // 4}I", block))
    names, seen, number = set(), set(), first_dir
    while number != END_OF_CHAIN:
        block = sector(number) if number < len(fat) and number not in seen else None
        if block is None:
            return None
        seen.add(number)
        for start in range(0, size, OLE_ENTRY):
            length, kind = struct.unpack_from("<HB", block, start + 64)
            if kind in (1, 2, 5) and 2 <= length <= 64:  # storage, stream, root
                names.add(block[start : start + length - 2].decode("utf-16-le", "replace"))
        number = fat[number]
    return names


def _ole_readable(file: IO[bytes]) -> bool:
    """An old Office file: a Compound File whose directory reads."""
    return _ole_names(file) is not None


def has_macros(file: IO[bytes]) -> bool:
    """Whether an Office file carries VBA code: a `vbaProject.bin` in an OOXML zip (whatever its folder), or
    a VBA storage in an OLE directory."""
    try:
        names = _zip_names(file)
        if names is not None:
            return any(name.rsplit("/", 1)[-1].lower() == "vbaproject.bin" for name in names)
        names = _ole_names(file)
        return names is not None and any(name.lower() in VBA_STORAGES for name in names)
    finally:
        file.seek(0)


KINDS: dict[str, tuple[str, Callable[[IO[bytes]], bool]]] = {
    ".pdf": ("PDF", _starts_with(b"%PDF-")),
    ".jpg": ("JPG图片", _starts_with(b"\xff\xd8\xff")),
    ".jpeg": ("JPG图片", _starts_with(b"\xff\xd8\xff")),
    ".png": ("PNG图片", _starts_with(b"\x89PNG\r\n\x1a\n")),
    ".docx": ("Word文档", _zip_with("word/document.xml")),
    ".xlsx": ("Excel表格", _zip_with("xl/workbook.xml")),
    ".doc": ("Word文档", _ole_readable),
    ".xls": ("Excel表格", _ole_readable),
    ".ofd": ("OFD版式文件", _zip_with("OFD.xml")),
}
ACCEPT = ",".join(KINDS)  # for <input type="file" accept=…>
ALLOWED_TEXT = "PDF、JPG/PNG图片、Word（doc/docx）、Excel（xls/xlsx）、OFD"
OFFICE = {".docx", ".xlsx", ".doc", ".xls"}
# Bidirectional controls (LRE…RLO, LRI…PDI, LRM, RLM): "报告\u202efdp.exe" would show as "报告exe.pdf".
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def max_bytes() -> int:
    return settings.UPLOAD_MAX_BYTES


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f}MB".replace(".0MB", "MB")
    return f"{max(1, round(size / 1024))}KB"


def clean_name(name: str) -> str:
    """The file's own name without any directory part and without bidirectional controls, as the user will
    see it again when downloading. Every upload that keeps a name (evidence, the Excel import) goes through
    it."""
    base = os.path.basename(BIDI_CONTROLS.sub("", name).replace("\\", "/")).strip() or "未命名文件"
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
    if ext in OFFICE and has_macros(file):
        return f"“{shown}”含有宏（VBA代码），出于安全考虑不能上传。请另存为不含宏的文件（如PDF）后再上传。"
    return None


def attachment(field, name: str):
    """A stored file as a download, always an attachment (a browser never renders it in our origin); a file
    missing from storage is a 404. Every evidence download (figures, tasks, 督办 answers) goes through it."""
    from django.http import FileResponse, Http404

    try:
        handle = field.open("rb")
    except FileNotFoundError as missing:
        raise Http404("文件不存在。") from missing
    response = FileResponse(handle, as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
