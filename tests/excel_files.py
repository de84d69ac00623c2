"""Workbooks for the Excel import tests: filling a template as a user would, and the hostile corpus.

Every hostile file is generated here from a real template (or from nothing), cheaply and deterministically,
so the corpus lives in code rather than in binary fixtures.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Callable
from typing import Any

import openpyxl
from openpyxl.worksheet.formula import ArrayFormula

from ipcity.typography import NO_BREAK
from reporting.excel.template import INPUTS, NAME, SHEET, VALUE

SHEET_PART = "xl/worksheets/sheet1.xml"
META_PART = "xl/worksheets/sheet2.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
INPUT_COLUMN = {label: index + 1 for index, label in INPUTS.items()}  # header → 1-based column


def printed(value: Any) -> Any:
    """A cell's text as a reader sees it: without the zero-width no-break spaces that keep a printed line
    from starting with punctuation (`ipcity.typography.kept_together`)."""
    return value.replace(NO_BREAK, "") if isinstance(value, str) else value


def fill(data: bytes, rows: dict[str, dict[str, Any]], *, unprotect: bool = False) -> bytes:
    """The template filled in as a user would in Excel: `rows` maps an indicator name to {input header: value}
    (headers 本季度数值, 分子, 分母, 说明). Raises if an input cell the user would type into is locked."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[SHEET]
    found = set()
    for cells in sheet.iter_rows(min_row=4):
        name = cells[NAME].value
        if name in rows:
            found.add(name)
            for header, value in rows[name].items():
                cell = cells[INPUT_COLUMN[header] - 1]
                if not unprotect:
                    assert cell.protection.locked is False, f"{name} {header} is locked"
                cell.value = value
    assert found == set(rows), f"rows not in the template: {set(rows) - found}"
    if unprotect:
        sheet.protection.sheet = False
    return _save(book)


def edit(data: bytes, change: Callable[[openpyxl.Workbook], None]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    change(book)
    return _save(book)


def _save(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(
    data: bytes,
    *,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """The same zip with some parts replaced or added."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", compression) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, content in add.items():
            target.writestr(name, content)
    return out.getvalue()


def part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


# ------------------------------------------------------------------------------------------------------------
# The hostile corpus
# ------------------------------------------------------------------------------------------------------------


def not_a_zip() -> bytes:
    return "这不是Excel文件，只是一段文字。\n".encode() * 50


def ole_file() -> bytes:
    """What a legacy .xls (or a password-protected .xlsx) starts with: an OLE compound file header."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def csv_file() -> bytes:
    return "指标,本季度数值\n商标有效注册量,85.2\n".encode()


def too_big(limit: int) -> bytes:
    return b"PK\x03\x04" + b"\x00" * limit


def zip_bomb(template: bytes, inflated: int = 256 * 1024 * 1024) -> bytes:
    """The template with its sheet replaced by one part that inflates to `inflated` bytes (256 MB by default)
    from about a thousandth of that: zeros deflate about 1000:1. Compressed chunk by chunk, in well under a
    second."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for info in source.infolist():
            if info.filename != SHEET_PART:
                bomb.writestr(info.filename, source.read(info.filename))
        chunk = b"\x00" * (4 * 1024 * 1024)
        with bomb.open(SHEET_PART, "w", force_zip64=True) as sheet:
            for _ in range(inflated // len(chunk)):
                sheet.write(chunk)
    return out.getvalue()


def many_small_bombs(template: bytes, parts: int = 60, size: int = 1024 * 1024) -> bytes:
    """Parts each small enough to escape the ratio check, together inflating past the total limit."""
    blank = b" " * size
    return rezip(template, add={f"xl/worksheets/sheet{n}.xml": blank for n in range(10, 10 + parts)})


def too_many_parts(template: bytes, parts: int = 150) -> bytes:
    return rezip(template, add={f"xl/worksheets/sheet{n}.xml": b"<x/>" for n in range(10, 10 + parts)})


def _patch_central(data: bytes, name: str, *, offset: int, fmt: str, value: int, local: int | None) -> bytes:
    """Overwrite a field of `name`'s central directory record (at `offset`) and of its local header."""
    buffer = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    if local is not None:
        struct.pack_into(fmt, buffer, info.header_offset + local, value)
    position = 0
    encoded = name.encode()
    while True:
        position = data.index(b"PK\x01\x02", position)
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length] == encoded:
            break
        position += 4
    struct.pack_into(fmt, buffer, position + offset, value)
    return bytes(buffer)


def lying_sizes(template: bytes) -> bytes:
    """The sheet part's headers claim it inflates to 200 bytes; its data says otherwise."""
    return _patch_central(template, SHEET_PART, offset=24, fmt="<I", value=200, local=22)


def encrypted_part(template: bytes) -> bytes:
    """The sheet part flagged as encrypted (traditional PKWARE encryption)."""
    with zipfile.ZipFile(io.BytesIO(template)) as archive:
        flags = archive.getinfo(SHEET_PART).flag_bits
    return _patch_central(template, SHEET_PART, offset=8, fmt="<H", value=flags | 0x1, local=6)


def billion_laughs(root: str) -> bytes:
    """The classic entity bomb: ten levels of ten references, a billion "lol"s from a few hundred bytes."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{"".join(f"&lol{n - 1};" for _ in range(10))}">' for n in range(1, 10)
    ]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE bomb [{"".join(levels)}]>\n{root.replace("BOMB", "&lol9;")}'
    ).encode()


def entity_bomb_in_sheet(template: bytes) -> bytes:
    sheet = (
        f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>BOMB</t></is></c>'
        "</row></sheetData></worksheet>"
    )
    return rezip(template, replace={SHEET_PART: billion_laughs(sheet)})


SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def entity_bomb_in_shared_strings(template: bytes) -> bytes:
    """A string table (as Excel writes one with every workbook) that is a bomb, declared in the manifest so
    that openpyxl reads it when it opens the workbook."""
    strings = f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>BOMB</t></si></sst>'
    override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/></Types>'
    manifest = part(template, "[Content_Types].xml").replace(b"</Types>", override.encode())
    return rezip(
        template,
        replace={"[Content_Types].xml": manifest},
        add={"xl/sharedStrings.xml": billion_laughs(strings)},
    )


def external_entity(template: bytes) -> bytes:
    """XXE: the metadata sheet pulls a local file into a cell."""
    sheet = (
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is>'
        "</c></row></sheetData></worksheet>"
    )
    return rezip(template, replace={META_PART: sheet.encode()})


def with_macro(template: bytes) -> bytes:
    return rezip(template, add={"xl/vbaProject.bin": ole_file()})


def with_external_link(template: bytes) -> bytes:
    link = (
        '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<externalBook r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>'
        "</externalLink>"
    )
    return rezip(template, add={"xl/externalLinks/externalLink1.xml": link.encode()})


def with_ole_object(template: bytes) -> bytes:
    return rezip(template, add={"xl/embeddings/oleObject1.bin": ole_file()})


def with_unexpected_part(template: bytes) -> bytes:
    return rezip(template, add={"xl/media/payload.exe": b"MZ" + b"\x00" * 64})


def _sheet_xml(rows: str, dimension: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{MAIN_NS}">{dim}<sheetData>{rows}</sheetData></worksheet>'.encode()


def huge_rows(template: bytes, rows: int) -> bytes:
    """The fill-in sheet with `rows` rows of numbers (no dimension declared: only counting finds out)."""
    cells = "".join(f'<row r="{r}"><c r="K{r}"><v>{r}</v></c></row>' for r in range(1, rows + 1))
    return rezip(template, replace={SHEET_PART: _sheet_xml(cells)})


def huge_declared(template: bytes) -> bytes:
    """One cell in the sheet's last row and column, the dimension declaring the whole grid."""
    cell = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return rezip(template, replace={SHEET_PART: _sheet_xml(cell, dimension="A1:XFD1048576")})


def far_row(template: bytes) -> bytes:
    """A single row far below the limit and no dimension: openpyxl would fill a million empty rows."""
    return rezip(
        template, replace={SHEET_PART: _sheet_xml('<row r="1048576"><c r="K1048576"><v>1</v></c></row>')}
    )


def formulas(template: bytes, names: list[str]) -> bytes:
    """Formulas in input cells: a plain one, an array formula, and one that would reach out to a file."""
    values = ["=1+1", ArrayFormula("K1", "=SUM(F1:I1)"), '=WEBSERVICE("http://example.com/")']

    def change(book):
        sheet = book[SHEET]
        for cells in sheet.iter_rows(min_row=4):
            if cells[NAME].value in names:
                value = values[names.index(cells[NAME].value) % len(values)]
                if isinstance(value, ArrayFormula):
                    value = ArrayFormula(cells[VALUE].coordinate, value.text)
                cells[VALUE].value = value

    return edit(template, change)


def foreign_workbook() -> bytes:
    """A well-formed workbook that is not our template."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(["指标", "本季度数值"])
    sheet.append(["商标有效注册量", 85.2])
    return _save(book)


def tampered(template: bytes, change: Callable[[openpyxl.worksheet.worksheet.Worksheet], None]) -> bytes:
    return edit(template, lambda book: change(book["_meta"]))


STRINGS_PART = "xl/sharedStrings.xml"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
STRINGS_RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def many_shared_strings(template: bytes, count: int = 1_750_000, *, declared: bool = True) -> bytes:
    """The template with a shared-strings table of `count` short strings, declared in the content types and
    the workbook's relationships as Excel writes it (the finding: 4.6 MB inflating to 46 MB, under every size
    and ratio limit, costing openpyxl seconds). The parts are written directly, not through a spreadsheet
    library, so the file builds fast; `declared=False` leaves out the root's count attributes."""
    types = part(template, "[Content_Types].xml").decode()
    relations = part(template, "xl/_rels/workbook.xml.rels").decode()
    types = types.replace(
        "</Types>", f'<Override PartName="/{STRINGS_PART}" ContentType="{STRINGS_TYPE}"/></Types>'
    )
    relations = relations.replace(
        "</Relationships>",
        f'<Relationship Id="rIdStrings" Type="{STRINGS_RELATION}" Target="sharedStrings.xml"/>'
        "</Relationships>",
    )
    counts = f' count="{count}" uniqueCount="{count}"' if declared else ""
    # Random short texts, so that the part compresses about as well as real text does (ratio ~8).
    texts = random.Random(4).choices(range(4096), k=count)
    strings = "".join(f"<si><t>{text:x}</t></si>" for text in texts)
    xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{MAIN_NS}"{counts}>{strings}</sst>'
    return rezip(
        template,
        replace={"[Content_Types].xml": types.encode(), "xl/_rels/workbook.xml.rels": relations.encode()},
        add={STRINGS_PART: xml.encode()},
    )


def fill_tasks(data: bytes, rows: dict[str, dict[str, Any]]) -> bytes:
    """The template's task sheet filled in as a user would: `rows` maps a task title to {header: value}
    (推进状态, 进展情况, 存在问题, 下步计划). Raises if a cell the user would type into is locked."""
    from reporting.excel.task_sheet import T_TITLE, TASK_HEADER_ROW, TASK_INPUTS, TASK_SHEET

    columns = {label: column for column, label in TASK_INPUTS.items()}
    book = openpyxl.load_workbook(io.BytesIO(data))
    found = set()
    for cells in book[TASK_SHEET].iter_rows(min_row=TASK_HEADER_ROW + 1):
        title = cells[T_TITLE].value
        if title in rows:
            found.add(title)
            for header, value in rows[title].items():
                cell = cells[columns[header]]
                assert cell.protection.locked is False, f"{title} {header} is locked"
                cell.value = value
    assert found == set(rows), f"tasks not in the template: {set(rows) - found}"
    return _save(book)
