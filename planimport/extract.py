"""A plan document's text from an uploaded file: .txt (UTF-8, GBK, GB18030), .docx, or .pdf with a text layer.

What is too big, not what it claims to be, a zip bomb in a .docx, an encrypted or image-only PDF is refused
with a Chinese message before any text is stored. The limits are the Excel upload's (settings): the size of
the file, the parts of a zip, their inflated size and compression ratio.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError

EXTENSIONS = (".txt", ".docx", ".pdf")
MAX_TEXT_CHARS = 500_000  # a plan runs to tens of thousands of characters; far past this is not a plan
MAX_PDF_PAGES = 300
RATIO_FLOOR = 1024 * 1024  # zip parts smaller than this may compress as well as they like
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, or a password-protected .docx

MESSAGES = {
    "empty": "文件是空的，请选择方案文件。",
    "too_big": "文件过大（上限{limit}），请删去附件图片后重新上传，或粘贴方案文字。",
    "wrong_type": (
        "不支持的文件类型（{name}）。请上传 .docx、带文字层的 .pdf 或 .txt 文件，或直接粘贴方案文字。"
    ),
    "legacy_doc": "“{name}”是旧版Word（.doc）或加密的Word文件，无法读取。请另存为 .docx 并取消密码后上传。",
    "not_zip": "“{name}”不是有效的Word（.docx）文件。",
    "bomb": "文件解压后过大或压缩比异常（疑似“压缩炸弹”），不予导入。",
    "too_many_parts": "文件结构异常（包含{count}个部件，上限为{limit}个），不予导入。",
    "macro": "文件含有宏或嵌入对象，出于安全考虑不予导入。请另存为不含宏的 .docx 后上传。",
    "unsafe_xml": "文件含有不安全的XML内容（实体声明或外部引用），不予导入。",
    "encrypted_pdf": "PDF文件已加密，无法读取文字。请取消密码后上传，或粘贴方案文字。",
    "image_pdf": (
        "PDF文件没有文字层（可能是扫描件或图片），无法读取。请上传Word版或带文字层的PDF，或粘贴方案文字。"
    ),
    "bad_pdf": "“{name}”不是有效的PDF文件，或文件已损坏。",
    "too_many_pages": "PDF页数过多（{count}页，上限{limit}页），不予导入。",
    "encoding": "无法识别文本文件的编码。请将文件另存为UTF-8或GBK编码后上传，或粘贴方案文字。",
    "too_long": "文字过长（{count}字，上限{limit}字），这不像一份工作方案。",
    "no_text": "文件中没有读到文字。",
}


class DocumentRefused(ValidationError):
    """The file is refused as a whole; `code` (a key of MESSAGES) says why."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(MESSAGES[code].format(**params), code=code)


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_parts: int
    max_inflated: int
    max_ratio: int


def document_text(data: bytes, name: str, limits: Limits) -> str:
    """The text of an uploaded plan document, or DocumentRefused. Nothing is written anywhere."""
    short = PurePath(name).name[:60]
    if not data:
        raise DocumentRefused("empty")
    if len(data) > limits.max_bytes:
        raise DocumentRefused("too_big", limit=f"{limits.max_bytes / 1024 / 1024:.3g} MB")
    suffix = PurePath(name).suffix.lower()
    if suffix not in EXTENSIONS:
        raise DocumentRefused("wrong_type", name=short)
    reader = {".txt": _txt_text, ".docx": _docx_text, ".pdf": _pdf_text}[suffix]
    text = reader(data, short, limits)
    return checked_text(text)


def checked_text(text: str) -> str:
    """Pasted or extracted text, refused when empty or far too long for a plan."""
    text = text.replace("\x00", "")
    if not text.strip():
        raise DocumentRefused("no_text")
    if len(text) > MAX_TEXT_CHARS:
        raise DocumentRefused("too_long", count=len(text), limit=MAX_TEXT_CHARS)
    return text


def _txt_text(data: bytes, name: str, limits: Limits) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    encoding = best.encoding if best is not None else "gb18030"
    # GBK and GB2312 are subsets of GB18030: decoding as the superset loses nothing.
    if encoding.replace("_", "").lower() in ("gbk", "gb2312", "cp936", "gb18030", "hz"):
        encoding = "gb18030"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        pass
    raise DocumentRefused("encoding")


def _docx_text(data: bytes, name: str, limits: Limits) -> str:
    if data[:8] == _OLE_MAGIC:
        raise DocumentRefused("legacy_doc", name=name)
    buffer = io.BytesIO(data)
    try:
        with zipfile.ZipFile(buffer) as archive:
            parts = archive.infolist()
            _check_parts(parts, limits)
            if "word/document.xml" not in archive.namelist():
                raise DocumentRefused("not_zip", name=name)
            # Declared sizes are checked above and zipfile never inflates past them.
            body = archive.read("word/document.xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise DocumentRefused("not_zip", name=name) from None
    if b"<!ENTITY" in body or b"<!DOCTYPE" in body:
        raise DocumentRefused("unsafe_xml")
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises whatever lxml or its package reader meet in a broken file
        raise DocumentRefused("not_zip", name=name) from None
    lines = []
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):
            lines.extend("\t".join(cell.text.strip() for cell in row.cells) for row in block.rows)
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _check_parts(parts: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(parts) > limits.max_parts:
        raise DocumentRefused("too_many_parts", count=len(parts), limit=limits.max_parts)
    inflated = 0
    for part in parts:
        lowered = part.filename.lower()
        if "vbaproject" in lowered or "activex" in lowered or lowered.endswith(".bin"):
            raise DocumentRefused("macro")
        if part.flag_bits & 0x1:
            raise DocumentRefused("legacy_doc", name=part.filename[:60])
        inflated += part.file_size
        if part.file_size > RATIO_FLOOR and part.file_size > limits.max_ratio * max(part.compress_size, 1):
            raise DocumentRefused("bomb")
    if inflated > limits.max_inflated:
        raise DocumentRefused("bomb")


def _pdf_text(data: bytes, name: str, limits: Limits) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data.lstrip()[:5] == b"%PDF-":
        raise DocumentRefused("bad_pdf", name=name)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentRefused("encrypted_pdf")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentRefused("too_many_pages", count=len(reader.pages), limit=MAX_PDF_PAGES)
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        if "encrypt" in str(error).lower() or "decrypt" in str(error).lower():
            raise DocumentRefused("encrypted_pdf") from None
        raise DocumentRefused("bad_pdf", name=name) from None
    text = "\n".join(pages)
    # A scan carries no text layer: at most a page number or two per page.
    if len("".join(text.split())) < 20 * max(len(pages), 1) / 2:
        raise DocumentRefused("image_pdf")
    return text
