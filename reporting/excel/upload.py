"""Reading an uploaded template safely, before any row is judged.

An upload is a file from outside, so it is judged in this order, each step refusing with a clear message
(`ImportRefused`) before the next one runs:

1. size (settings.UPLOAD_MAX_BYTES), emptiness, the .xlsx extension;
2. the file is really a zip: a bounded number of parts, a bounded total inflated size and compression ratio
   (zip bombs), only the parts an xlsx workbook has (no macros, external links, OLE or ActiveX objects);
3. the parse work is counted without parsing: the shared strings (the `<sst count uniqueCount>` attributes
   read from the part's first bytes, then the `<si>` tags counted by streaming the part, stopping at the
   limit, since attributes may be missing or lie) and each sheet's cells (its `<dimension>`, then its `<c>`
   tags, the same way) are refused past settings.IPCITY_IMPORT_MAX_STRINGS and IPCITY_IMPORT_MAX_CELLS: a
   small file inflating within the limits can still hold millions of strings that take a worker seconds;
4. only then openpyxl reads it, in read-only mode, formulas as text (never evaluated), with defusedxml
   underneath (checked at import: entity bombs and external entities are refused); rows are streamed and
   counted, the sheet is refused past settings.IPCITY_IMPORT_MAX_ROWS, and the reading past
   settings.IPCITY_IMPORT_MAX_SECONDS of wall time;
5. the hidden metadata sheet must carry our signature (HMAC with SECRET_KEY over the unit, the quarter, the
   indicators and the tasks), so a foreign, tampered, other unit's or other quarter's workbook is refused.

The rows themselves are judged in `reporting.excel.preview`.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import openpyxl
import openpyxl.xml
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.crypto import constant_time_compare
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from ipcity.quarters import Quarter
from reporting.excel.task_sheet import TASK_HEADER_ROW, TASK_HEADERS, TASK_SHEET, TASK_WIDTH
from reporting.excel.template import (
    ACCEPTED_VERSIONS,
    HEADER_ROW,
    KIND,
    META_LINES,
    META_SHEET,
    SHEET,
    WIDTH,
    template_headers,
    template_signature,
)
from reporting.models import Period

if TYPE_CHECKING:
    from plans.models import Unit

if not openpyxl.xml.DEFUSEDXML:
    # Without defusedxml openpyxl parses with the standard library, which expands entity bombs.
    raise ImproperlyConfigured(
        "openpyxl 未使用 defusedxml：请安装 defusedxml，且不要设置 OPENPYXL_DEFUSEDXML=False。"
    )

logger = logging.getLogger(__name__)

MAX_COLUMNS = 100  # a sheet declaring more columns than this is refused
RATIO_FLOOR = 1024 * 1024  # parts smaller than this may compress as well as they like

# The parts an xlsx written by us, Excel, WPS or LibreOffice holds; anything else is refused.
_ALLOWED_PARTS = re.compile(
    r"\[Content_Types\]\.xml|_rels/\.rels|docProps/(app|core|custom)\.xml|docProps/thumbnail\.(jpeg|jpg|png|wmf|emf)"
    r"|xl/(workbook|styles|sharedStrings|calcChain|metadata)\.xml|xl/_rels/workbook\.xml\.rels"
    r"|xl/theme/theme\d+\.xml|xl/worksheets/sheet\d+\.xml|xl/worksheets/_rels/sheet\d+\.xml\.rels"
    r"|xl/printerSettings/printerSettings\d+\.bin|xl/comments\d+\.xml|xl/comments/comment\d+\.xml"
    r"|xl/threadedComments/threadedComment\d+\.xml|xl/persons/person\d*\.xml"
    r"|xl/drawings/(vmlDrawing\d+\.vml|drawing\d+\.xml|_rels/(vmlDrawing|drawing)\d+\.(vml|xml)\.rels)"
    r"|customXml/(item\d+\.xml|itemProps\d+\.xml|_rels/item\d+\.xml\.rels)|docMetadata/LabelInfo\.xml"
)
_SHEET_PART = re.compile(r"xl/worksheets/sheet\d+\.xml")
_STRINGS_PART = "xl/sharedStrings.xml"
_HEAD_BYTES = 4096  # where a part's root attributes and a sheet's <dimension> are, before any content
_PREFIX = rb"(?:[A-Za-z_][\w.-]{0,30}:)?"  # an XML namespace prefix, as other writers may use
_SST_TAG = re.compile(rb"<" + _PREFIX + rb"sst\b[^>]*>")
_COUNT_ATTRIBUTE = re.compile(rb"\b(?:count|uniqueCount)\s*=\s*[\"'](\d{1,15})[\"']")
_DIMENSION = re.compile(rb"<" + _PREFIX + rb"dimension\b[^>]*\bref\s*=\s*[\"']([A-Za-z0-9:$]{1,40})[\"']")
_STRING_TAG = re.compile(rb"<" + _PREFIX + rb"si[\s/>]")
_CELL_TAG = re.compile(rb"<" + _PREFIX + rb"c[\s/>]")
_TAG_OVERLAP = 64  # longer than any tag the patterns above match, so none is missed between two chunks

# Parts refused with their own message (matched as substrings, case-insensitively).
_FORBIDDEN_PARTS = (
    (("vbaproject", "vbadata", "macrosheets/", "xl/dialogsheets/"), "macro"),
    (("externallinks/", "connections.xml", "querytables/"), "link"),
    (("embeddings/", "activex/", "oleobject", "ctrlprops/"), "embedded"),
)


# ------------------------------------------------------------------------------------------------------------
# Messages. Every refusal names what is wrong and what to do; none of them writes anything.
# ------------------------------------------------------------------------------------------------------------

REDOWNLOAD = "请在“Excel导入”页面重新下载本单位本季度的模板填写后上传。"
MESSAGES = {
    "empty": "上传的文件是空的，请选择填写好的Excel模板（.xlsx文件）。",
    "too_big": "文件过大，超过上限{limit}。模板中只需填写数值，请不要插入图片或其他内容。",
    "wrong_type": "只能导入本系统下载的Excel模板（.xlsx文件），“{name}”不是.xlsx文件。"
    "如用WPS或Excel另存过，请选择“Excel工作簿（*.xlsx）”格式。",
    "legacy": "“{name}”是旧版Excel（.xls）格式或设置了打开密码的文件，无法导入。"
    "请取消密码，并另存为“Excel工作簿（*.xlsx）”后上传。",
    "not_zip": "“{name}”不是有效的.xlsx文件（文件已损坏，或是改了扩展名的其他格式文件）。" + REDOWNLOAD,
    "too_many_parts": "文件结构异常（包含{count}个部件，上限为{limit}个），不予导入。" + REDOWNLOAD,
    "bomb": "文件解压后过大或压缩比异常（疑似“压缩炸弹”），不予导入。" + REDOWNLOAD,
    "macro": "文件含有宏（VBA代码），出于安全考虑不予导入。请在本系统下载的模板中填写，并保存为.xlsx格式。",
    "link": "文件含有指向其他文件的外部链接，不予导入。请直接填写数值，不要引用其他工作簿。",
    "embedded": "文件含有嵌入对象（OLE或ActiveX控件），出于安全考虑不予导入。" + REDOWNLOAD,
    "unexpected_part": "文件含有模板中不应出现的内容（{part}），不予导入。" + REDOWNLOAD,
    "encrypted": "文件中有加密的部件，无法导入。请取消密码后上传。",
    "unsafe_xml": "文件含有不安全的XML内容（实体声明或外部引用），不予导入。" + REDOWNLOAD,
    "unreadable": "文件内容无法读取（不是有效的Excel工作簿）。" + REDOWNLOAD,
    "huge": "表格超出上限（最多{rows}行数据、{columns}列），不予导入。" + REDOWNLOAD,
    "too_many_strings": "文件中的文字条目过多（超过{limit}条），不是正常填写的模板，不予导入。" + REDOWNLOAD,
    "too_many_cells": "表格的单元格过多（超过{limit}个），不是正常填写的模板，不予导入。" + REDOWNLOAD,
    "too_slow": "文件读取超过{seconds}秒仍未完成，表格内容异常，不予导入。" + REDOWNLOAD,
    "not_template": "这不是本系统的填报模板（找不到模板标识）。" + REDOWNLOAD,
    "tampered": "模板的标识信息与签名不符（模板被改动过，或来自其他系统），不予导入。" + REDOWNLOAD,
    "old_version": "模板版本已过期。" + REDOWNLOAD,
    "other_unit": "这是其他单位的填报模板，不能导入{unit}的数据。" + REDOWNLOAD,
    "other_period": "这是{template}的模板，当前导入的是{period}。请选择正确的季度，或下载{period}的模板。",
    "layout": "表格结构被改动过（{detail}），无法按模板读取。" + REDOWNLOAD,
}


class ImportRefused(ValidationError):
    """The upload as a whole is refused before any row is judged; `code` says why (a key of MESSAGES)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(MESSAGES[code].format(**params), code=code)


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.3g} MB"


# ------------------------------------------------------------------------------------------------------------
# The checks before any parsing, then the workbook, streamed
# ------------------------------------------------------------------------------------------------------------


def _file_size(file: IO[bytes]) -> int:
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size


def check_upload(file: IO[bytes], name: str) -> None:
    """Refuse, before any XML is parsed, what is too big, not an xlsx, or not shaped like one."""
    size = _file_size(file)
    if size == 0:
        raise ImportRefused("empty")
    if size > settings.UPLOAD_MAX_BYTES:
        raise ImportRefused("too_big", limit=megabytes(settings.UPLOAD_MAX_BYTES))
    if not name.lower().endswith(".xlsx"):
        raise ImportRefused("wrong_type", name=name[:60])
    head = file.read(8)
    file.seek(0)
    if head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE compound file: .xls, or an encrypted xlsx
        raise ImportRefused("legacy", name=name[:60])
    if not zipfile.is_zipfile(file):
        raise ImportRefused("not_zip", name=name[:60])
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        file.seek(0)
        raise ImportRefused("not_zip", name=name[:60]) from None
    try:
        _check_parts(archive.infolist())
        with _reading():  # a part that fails to inflate is the file's fault
            _check_counts(archive)
    finally:
        archive.close()
        file.seek(0)


def _check_parts(parts: list[zipfile.ZipInfo]) -> None:
    if len(parts) > settings.IPCITY_IMPORT_MAX_PARTS:
        raise ImportRefused("too_many_parts", count=len(parts), limit=settings.IPCITY_IMPORT_MAX_PARTS)
    seen: set[str] = set()
    inflated = 0
    for part in parts:
        name = part.filename
        lowered = name.lower()
        for needles, code in _FORBIDDEN_PARTS:
            if any(needle in lowered for needle in needles):
                raise ImportRefused(code)
        if name in seen or not _ALLOWED_PARTS.fullmatch(name):
            raise ImportRefused("unexpected_part", part=name[:60])
        seen.add(name)
        if part.flag_bits & 0x1:
            raise ImportRefused("encrypted")
        if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ImportRefused("unreadable")
        # Python's zipfile never inflates a part beyond the size its header declares (it stops there and the
        # CRC check fails), so the declared sizes bound what openpyxl can be made to read.
        inflated += part.file_size
        if part.file_size > RATIO_FLOOR and part.file_size > settings.IPCITY_IMPORT_MAX_RATIO * max(
            part.compress_size, 1
        ):
            raise ImportRefused("bomb")
    if inflated > settings.IPCITY_IMPORT_MAX_INFLATED:
        raise ImportRefused("bomb")


def _check_counts(archive: zipfile.ZipFile) -> None:
    """Refuse too many shared strings or cells, counted in the zip's parts before any of them is parsed."""
    names = set(archive.namelist())
    if _STRINGS_PART in names:
        limit = settings.IPCITY_IMPORT_MAX_STRINGS
        head = _head(archive, _STRINGS_PART)
        tag = _SST_TAG.search(head)
        declared = [int(count) for count in _COUNT_ATTRIBUTE.findall(tag.group())] if tag else []
        if any(count > limit for count in declared) or _tags_over(archive, _STRINGS_PART, _STRING_TAG, limit):
            raise ImportRefused("too_many_strings", limit=limit)
    for name in sorted(names):
        if _SHEET_PART.fullmatch(name):
            limit = settings.IPCITY_IMPORT_MAX_CELLS
            dimension = _DIMENSION.search(_head(archive, name))
            if (dimension and _cells_in(dimension.group(1).decode()) > limit) or _tags_over(
                archive, name, _CELL_TAG, limit
            ):
                raise ImportRefused("too_many_cells", limit=limit)


def _head(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as stream:
        return stream.read(_HEAD_BYTES)


def _cells_in(ref: str) -> int:
    """How many cells a <dimension ref> spans (0 when it does not parse: the tags are counted anyway)."""
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    except (ValueError, TypeError):
        return 0
    if None in (min_col, min_row, max_col, max_row):
        return 0
    return (max_col - min_col + 1) * (max_row - min_row + 1)


def _tags_over(archive: zipfile.ZipFile, name: str, tag: re.Pattern[bytes], limit: int) -> bool:
    """Whether the part holds more than `limit` of `tag`, streamed in chunks and stopped once past it."""
    count, tail = 0, b""
    with archive.open(name) as stream:
        while chunk := stream.read(256 * 1024):
            text = tail + chunk
            # A match lying wholly in the tail was counted with the previous chunk.
            count += sum(1 for match in tag.finditer(text) if match.end() > len(tail))
            if count > limit:
                return True
            tail = text[-_TAG_OVERLAP:]
    return False


@contextmanager
def _reading() -> Iterator[None]:
    """Turn whatever a hostile or broken file makes openpyxl raise into a refusal."""
    try:
        yield
    except ImportRefused:
        raise
    except Exception as error:  # the file is untrusted input: any failure to read it is the file's fault
        if _caused_by(error, DefusedXmlException):  # openpyxl wraps it in a ValueError when opening
            raise ImportRefused("unsafe_xml") from None
        logger.info("Excel导入：文件无法读取", exc_info=True)
        raise ImportRefused("unreadable") from None


def _caused_by(error: BaseException | None, kind: type[BaseException]) -> bool:
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, kind):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _bounded_rows(sheet, limit: int, deadline: float, width: int = WIDTH) -> Iterator[tuple]:
    """The sheet's rows from the first, each `width` values wide, refused past `limit` rows or past the
    `deadline` (time.monotonic()). The declared dimension is checked, then dropped: it may lie either way,
    and rows are counted as they stream."""
    if (sheet.max_row or 0) > limit or (sheet.max_column or 0) > MAX_COLUMNS:
        raise ImportRefused("huge", rows=settings.IPCITY_IMPORT_MAX_ROWS, columns=MAX_COLUMNS)
    sheet.reset_dimensions()
    for number, values in enumerate(sheet.iter_rows(max_col=width, values_only=True), start=1):
        if number > limit:
            raise ImportRefused("huge", rows=settings.IPCITY_IMPORT_MAX_ROWS, columns=MAX_COLUMNS)
        if time.monotonic() > deadline:
            raise ImportRefused("too_slow", seconds=f"{settings.IPCITY_IMPORT_MAX_SECONDS:g}")
        yield values


@dataclass
class Upload:
    meta: dict[str, list[str]]
    indicators: list[tuple[str, str]]  # (key, version seen) in template order
    header: tuple  # () when the workbook has no figures sheet
    rows: list[tuple[int, tuple]]  # (sheet row number, values) of the non-empty rows after the header
    tasks: list[tuple[str, str]] = field(default_factory=list)  # as `indicators`, for the task sheet
    task_header: tuple = ()  # () when the workbook has no task sheet
    task_rows: list[tuple[int, tuple]] = field(default_factory=list)


# The parsed upload kept for its preview and confirmation (parsed once, on upload), as JSON: cell values are
# None, text, numbers, booleans, dates and times, or formulas (kept so the preview still refuses them).
_TEMPORAL = {"datetime": datetime.datetime, "date": datetime.date, "time": datetime.time}


def _cell_to_json(value: Any) -> Any:
    if isinstance(value, ArrayFormula):
        return {"$": "array", "ref": value.ref, "text": value.text}
    if isinstance(value, DataTableFormula):
        return {"$": "table", **dict(value)}
    if isinstance(value, datetime.timedelta):
        return {"$": "timedelta", "seconds": value.total_seconds()}
    for kind, type_ in _TEMPORAL.items():  # datetime before date: a datetime is a date too
        if isinstance(value, type_):
            return {"$": kind, "iso": value.isoformat()}
    return value


def _cell_from_json(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    kind = value.pop("$")
    if kind == "array":
        return ArrayFormula(value["ref"], value["text"])
    if kind == "table":
        value.pop("t", None)
        return DataTableFormula(**value)
    if kind == "timedelta":
        return datetime.timedelta(seconds=value["seconds"])
    return _TEMPORAL[kind].fromisoformat(value["iso"])


def upload_dumps(upload: Upload) -> bytes:
    return json.dumps(
        {
            "meta": upload.meta,
            "indicators": upload.indicators,
            "header": _values_to_json(upload.header),
            "rows": [[number, _values_to_json(values)] for number, values in upload.rows],
            "tasks": upload.tasks,
            "task_header": _values_to_json(upload.task_header),
            "task_rows": [[number, _values_to_json(values)] for number, values in upload.task_rows],
        },
        ensure_ascii=False,
    ).encode()


def _values_to_json(values: tuple) -> list:
    return [_cell_to_json(value) for value in values]


def _values_from_json(values: list) -> tuple:
    return tuple(_cell_from_json(value) for value in values)


def upload_loads(data: bytes) -> Upload:
    stored = json.loads(data)
    return Upload(
        meta=stored["meta"],
        indicators=[tuple(pair) for pair in stored["indicators"]],
        header=_values_from_json(stored["header"]),
        rows=[(number, _values_from_json(values)) for number, values in stored["rows"]],
        tasks=[tuple(pair) for pair in stored.get("tasks", [])],
        task_header=_values_from_json(stored.get("task_header", [])),
        task_rows=[(number, _values_from_json(values)) for number, values in stored.get("task_rows", [])],
    )


def cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _open(file: IO[bytes]) -> Any:
    """The workbook, read-only: rows stream from the file, formulas stay text (never evaluated), external
    links and macros are not kept. A sheet is sized from its declared <dimension> (every workbook we write
    declares one); openpyxl sizes one without by reading it through first, which the size and inflation
    checks before bound."""
    return openpyxl.load_workbook(file, read_only=True, data_only=False, keep_links=False, keep_vba=False)


def _sheet_rows(book, title: str, header_row: int, width: int, deadline: float) -> tuple[tuple, list]:
    """A fill-in sheet's header and its non-empty rows after it, numbered as in the sheet; ((), []) when the
    workbook has no such sheet (check_template refuses one missing that the metadata lists rows for)."""
    if title not in book.sheetnames:
        return (), []
    header: tuple = ()
    rows = []
    limit = header_row + settings.IPCITY_IMPORT_MAX_ROWS
    for number, values in enumerate(_bounded_rows(book[title], limit, deadline, width), start=1):
        if number == header_row:
            header = values
        elif number > header_row and any(value is not None and value != "" for value in values):
            rows.append((number, values))
    return header, rows


def read_upload(file: IO[bytes]) -> Upload:
    deadline = time.monotonic() + settings.IPCITY_IMPORT_MAX_SECONDS
    with _reading():
        book = _open(file)
        try:
            names = book.sheetnames
            if META_SHEET not in names or (SHEET not in names and TASK_SHEET not in names):
                raise ImportRefused("not_template")
            meta: dict[str, list[str]] = {}
            listed: dict[str, list[tuple[str, str]]] = {"指标": [], "任务": []}
            for values in _bounded_rows(
                book[META_SHEET], META_LINES + 2 * settings.IPCITY_IMPORT_MAX_ROWS, deadline
            ):
                label, *rest = (cell_text(value) for value in values[:3])
                if label in listed:
                    listed[label].append((rest[0], rest[1]))
                elif label:
                    meta.setdefault(label, rest)
            header, rows = _sheet_rows(book, SHEET, HEADER_ROW, WIDTH, deadline)
            task_header, task_rows = _sheet_rows(book, TASK_SHEET, TASK_HEADER_ROW, TASK_WIDTH, deadline)
        finally:
            book.close()
    return Upload(
        meta=meta,
        indicators=listed["指标"],
        header=header,
        rows=rows,
        tasks=listed["任务"],
        task_header=task_header,
        task_rows=task_rows,
    )


def check_template(upload: Upload, *, unit: Unit, period: Period) -> None:
    meta = upload.meta
    if meta.get("模板", [""])[0] != KIND:
        raise ImportRefused("not_template")
    unit_id, year, quarter = (meta.get(label, [""])[0] for label in ("单位", "年度", "季度"))
    signature = template_signature(
        version=meta.get("版本", [""])[0],
        unit_id=unit_id,
        year=year,
        quarter=quarter,
        plans=meta.get("方案", [""])[0],
        indicators=upload.indicators,
        tasks=upload.tasks,
    )
    if (
        meta.get("版本", [""])[0] not in ACCEPTED_VERSIONS
    ):  # before the signature: an older template is signed differently
        raise ImportRefused("old_version")
    if not constant_time_compare(signature, meta.get("签名", [""])[0]):
        raise ImportRefused("tampered")
    if unit_id != str(unit.pk):
        raise ImportRefused("other_unit", unit=unit.name)
    if (year, quarter) != (str(period.year), str(period.quarter)):
        raise ImportRefused(
            "other_period", template=str(Quarter(int(year), int(quarter))), period=str(period)
        )
    if upload.indicators or upload.header:
        _check_header(upload.header, template_headers(period), SHEET)
    if upload.tasks or upload.task_header:
        _check_header(upload.task_header, TASK_HEADERS, TASK_SHEET)


def _check_header(header: tuple, expected: list[str], sheet: str) -> None:
    if not header:
        raise ImportRefused("layout", detail=f"缺少“{sheet}”工作表")
    for index, title in enumerate(expected):
        found = cell_text(header[index]) if index < len(header) else ""
        if found != title:
            column = get_column_letter(index + 1)
            where = "" if sheet == SHEET else f"“{sheet}”表"
            raise ImportRefused("layout", detail=f"{where}表头{column}列应为“{title}”，现为“{found[:20]}”")
