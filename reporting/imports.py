"""The Excel template round trip: a reporter downloads its unit's template for a quarter, fills it offline,
uploads it, sees a preview with every row's errors, and confirms.

An upload is a file from outside, so it is judged in this order, each step refusing with a clear message
before the next one runs, and nothing is written unless the user confirms a preview without errors:

1. size (settings.UPLOAD_MAX_BYTES), emptiness, the .xlsx extension;
2. the file is really a zip: a bounded number of parts, a bounded total inflated size and compression ratio
   (zip bombs), only the parts an xlsx workbook has (no macros, external links, OLE or ActiveX objects);
3. only then openpyxl reads it, in read-only mode, formulas as text (never evaluated), with defusedxml
   underneath (checked at import: entity bombs and external entities are refused); rows are streamed and
   counted, and the sheet is refused past settings.IPCITY_IMPORT_MAX_ROWS;
4. the hidden metadata sheet must carry our signature (HMAC with SECRET_KEY over the unit, the quarter and
   the indicators), so a foreign, tampered, other unit's or other quarter's workbook is refused;
5. each row is judged with `parse_number` and `figure_errors`, as the reporting form judges it; a formula in
   an input cell is a row error. The confirmation stores everything through `figures_save`, all or nothing.
"""

from __future__ import annotations

import datetime
import logging
import re
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
from django.db.models import Q
from django.utils.crypto import constant_time_compare, salted_hmac
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.xml.functions import iterparse

from audit.services import TEXT_LIMIT
from indicators import measures
from indicators.measures import NO, YES, Figure, figure_errors, figure_parse, parts_text
from indicators.models import Indicator
from ipcity.figures import plain
from ipcity.workbook import Cell, Column, SheetSpec, Style, WorkbookSpec, fit_width, solid, write_workbook
from reporting.models import Period, ReviewState, Submission
from reporting.services.entry import EDITABLE, FigureInput, figures_save, unit_indicators

if TYPE_CHECKING:
    from accounts.models import User
    from plans.models import Unit

if not openpyxl.xml.DEFUSEDXML:
    # Without defusedxml openpyxl parses with the standard library, which expands entity bombs.
    raise ImproperlyConfigured(
        "openpyxl 未使用 defusedxml：请安装 defusedxml，且不要设置 OPENPYXL_DEFUSEDXML=False。"
    )

logger = logging.getLogger(__name__)

KIND = "ipcity-figures"
VERSION = "1"
SHEET = "填报"
META_SHEET = "_meta"
# Keeps hands off the layout; authenticity comes from the signature, not this.
PROTECT_PASSWORD = "ipcity"  # noqa: S105  # nosec B105
PREVIOUS_QUARTERS = 4
TITLE_ROWS = 2
HEADER_ROW = TITLE_ROWS + 1
MAX_COLUMNS = 100  # a sheet declaring more columns than this is refused
META_LINES = 7  # the metadata sheet's lines before one line per indicator (see _meta_rows)
RATIO_FLOOR = 1024 * 1024  # parts smaller than this may compress as well as they like

# Column positions of the fill-in sheet (0-based), shared by the writer and the reader.
KEY, NUMBER, NAME, UNIT, HOW = 0, 1, 2, 3, 4
FIRST_PREVIOUS = 5
STATE = FIRST_PREVIOUS + PREVIOUS_QUARTERS
VALUE, NUMERATOR, DENOMINATOR, NOTE = STATE + 1, STATE + 2, STATE + 3, STATE + 4
WIDTH = NOTE + 1
INPUTS = {VALUE: "本季度数值", NUMERATOR: "分子", DENOMINATOR: "分母", NOTE: "说明"}
# The cell each part of a figure is typed in: a milestone's done in the value column.
COLUMNS = {
    measures.VALUE: VALUE,
    measures.DONE: VALUE,
    measures.NUMERATOR: NUMERATOR,
    measures.DENOMINATOR: DENOMINATOR,
}

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
# The template
# ------------------------------------------------------------------------------------------------------------


def indicator_key(indicator: Indicator) -> str:
    """How a template row names its indicator: codes are unique within a plan, so the plan comes first."""
    return f"{indicator.plan.slug}/{indicator.code}"


def previous_quarters(period: Period) -> list[tuple[int, int]]:
    """The PREVIOUS_QUARTERS quarters before `period`, oldest first."""
    index = period.year * 4 + period.quarter - 1
    return [divmod(i, 4) for i in range(index - PREVIOUS_QUARTERS, index)]


def _quarter_name(year: int, quarter: int) -> str:
    return f"{year}年第{quarter}季度"


def template_headers(period: Period) -> list[str]:
    """The fill-in sheet's header row for a quarter (the reader checks it cell by cell)."""
    previous = [_quarter_name(year, quarter + 1) for year, quarter in previous_quarters(period)]
    return ["代码", "序号", "指标", "计量单位", "填写要求", *previous, "本季度状态", *INPUTS.values()]


def _signature(*, version: str, unit_id: str, year: str, quarter: str, plans: str, keys: list[str]) -> str:
    message = "\n".join([KIND, version, unit_id, year, quarter, plans, *keys])
    return salted_hmac("reporting.imports.template", message, algorithm="sha256").hexdigest()


def _shown(indicator: Indicator, value, numerator, denominator, done) -> Any:
    """A stored figure as the template shows it in a read-only column."""
    kind = indicator.kind
    if kind.is_qualitative:
        return None if done is None else (YES if done else NO)
    if kind.has_parts:
        return parts_text(numerator, denominator)
    return value


@dataclass(frozen=True)
class TemplateData:
    """What a template holds for a unit and quarter, read in a fixed number of queries."""

    unit: Unit
    period: Period
    indicators: list[Indicator]
    current: dict[int, Submission]  # indicator id → the quarter's stored figure
    previous: dict[tuple[int, int, int], Any]  # (indicator id, year, quarter) → the figure as shown

    @classmethod
    def load(cls, unit: Unit, period: Period) -> TemplateData:
        indicators = unit_indicators(unit, period.year)
        current = {row.indicator_id: row for row in Submission.objects.filter(unit=unit, period=period)}
        by_id = {indicator.pk: indicator for indicator in indicators}
        quarters = Q()
        for year, quarter in previous_quarters(period):
            quarters |= Q(period__year=year, period__quarter=quarter + 1)
        rows = (
            Submission.objects.filter(quarters, unit=unit, indicator_id__in=by_id)
            .exclude(state=ReviewState.DRAFT)
            .values_list(
                "indicator_id", "period__year", "period__quarter", "value", "numerator", "denominator", "done"
            )
        )
        previous = {
            (indicator_id, year, quarter): _shown(by_id[indicator_id], *figure)
            for indicator_id, year, quarter, *figure in rows
        }
        return cls(unit=unit, period=period, indicators=indicators, current=current, previous=previous)


def template_rows(data: TemplateData) -> Iterator[list[Any]]:
    """The fill-in sheet's rows, one per indicator the unit reports: read-only columns, then input cells
    (styled `input`, unlocked) prefilled with the quarter's stored figure. Inputs that do not apply to the
    indicator, and every input of a figure already submitted or approved, stay locked (styled `na`)."""
    quarters = previous_quarters(data.period)
    for number, indicator in enumerate(data.indicators, start=1):
        row = data.current.get(indicator.pk)
        editable = row is None or row.state in EDITABLE
        applies = {COLUMNS[name] for name in indicator.kind.inputs} | {NOTE}
        stored = {
            VALUE: _shown(indicator, row.value, None, None, row.done) if row else None,
            NUMERATOR: row.numerator if row else None,
            DENOMINATOR: row.denominator if row else None,
            NOTE: row.note if row else None,
        }
        inputs = [
            Cell(
                stored[column] if column in applies else None,
                "input" if editable and column in applies else "na",
            )
            for column in INPUTS
        ]
        yield [
            indicator_key(indicator),
            number,
            indicator.name,
            indicator.unit,
            indicator.kind.instruction(indicator),
            *(data.previous.get((indicator.pk, year, quarter + 1)) for year, quarter in quarters),
            row.get_state_display() if row else "未填写",
            *inputs,
        ]


def _meta_rows(data: TemplateData) -> list[list[str]]:
    unit_id, year, quarter = str(data.unit.pk), str(data.period.year), str(data.period.quarter)
    plans = ",".join(dict.fromkeys(indicator.plan.slug for indicator in data.indicators))
    keys = [indicator_key(indicator) for indicator in data.indicators]
    signature = _signature(
        version=VERSION, unit_id=unit_id, year=year, quarter=quarter, plans=plans, keys=keys
    )
    versions = {indicator_id: row.version for indicator_id, row in data.current.items()}
    return [
        ["模板", KIND],
        ["版本", VERSION],
        ["单位", unit_id, data.unit.name],
        ["年度", year],
        ["季度", quarter],
        ["方案", plans],
        ["签名", signature],
        # The version of each stored figure when the template was made (0: none yet), so an import cannot
        # overwrite a figure someone changed in the meantime.
        *(
            ["指标", key, str(versions.get(indicator.pk, 0))]
            for key, indicator in zip(keys, data.indicators, strict=True)
        ),
    ]


TEMPLATE_STYLES = {"na": Style(fill=solid("EDEDED"))}


def template_book(*, unit: Unit, period: Period) -> WorkbookSpec:
    """The unit's template for a quarter, as a spec for the shared Excel writer."""
    data = TemplateData.load(unit, period)
    first = HEADER_ROW + 1
    milestones = [
        f"{get_column_letter(VALUE + 1)}{first + index}"
        for index, indicator in enumerate(data.indicators)
        if indicator.kind.is_qualitative
    ]
    validations = []
    if milestones:
        choice = DataValidation(
            type="list", formula1=f'"{YES},{NO}"', allow_blank=True, showErrorMessage=True
        )
        choice.error, choice.errorTitle = f"请填写“{YES}”或“{NO}”。", "是否完成"
        for cell in milestones:
            choice.add(cell)
        validations.append(choice)
    headers = template_headers(period)
    widths = {
        KEY: 4,
        NUMBER: 6,
        NAME: fit_width((indicator.name for indicator in data.indicators), minimum=20, maximum=44),
        UNIT: 9,
        HOW: fit_width(
            (indicator.kind.instruction(indicator) for indicator in data.indicators), minimum=16, maximum=44
        ),
        STATE: 11,
        NOTE: 30,
    }
    columns = [
        Column(header, width=widths.get(index, 14), hidden=index == KEY)
        for index, header in enumerate(headers)
    ]
    return WorkbookSpec(
        title=f"{data.unit.name}{period}指标填报模板",
        sheets=[
            SheetSpec(
                title=SHEET,
                title_rows=[
                    f"{data.unit.name} {period} 指标数据填报模板",
                    "请只在浅黄色单元格中填写：数值不带单位；定性目标填“是”或“否”；留空的指标不会导入。"
                    "导入后保存为草稿，请在本季度填报页面核对后报送。",
                ],
                columns=columns,
                rows=template_rows(data),
                size=len(data.indicators),
                body_style="cell",
                freeze_cols=NAME + 1,
                validations=validations,
                protect=PROTECT_PASSWORD,
            ),
            SheetSpec(
                title=META_SHEET,
                columns=[Column("项目"), Column("值"), Column("附")],
                rows=_meta_rows(data),
                header=False,
                state="veryHidden",
                protect=PROTECT_PASSWORD,
            ),
        ],
        styles=TEMPLATE_STYLES,
    )


def template_write(*, unit: Unit, period: Period, out: IO[bytes]) -> None:
    write_workbook(template_book(unit=unit, period=period), out)


def template_filename(unit: Unit, period: Period) -> str:
    return f"{unit.name}_{period}_指标填报模板.xlsx"


# ------------------------------------------------------------------------------------------------------------
# Reading an upload: the checks before any parsing, then the workbook, streamed
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
        with zipfile.ZipFile(file) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ImportRefused("not_zip", name=name[:60]) from None
    finally:
        file.seek(0)
    _check_parts(parts)


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


def _bounded_rows(sheet, limit: int) -> Iterator[tuple]:
    """The sheet's rows from the first, each WIDTH values wide, refused past `limit` rows. The declared
    dimension is checked, then dropped: it may lie either way, and rows are counted as they stream."""
    if (sheet.max_row or 0) > limit or (sheet.max_column or 0) > MAX_COLUMNS:
        raise ImportRefused("huge", rows=settings.IPCITY_IMPORT_MAX_ROWS, columns=MAX_COLUMNS)
    sheet.reset_dimensions()
    for number, values in enumerate(sheet.iter_rows(max_col=WIDTH, values_only=True), start=1):
        if number > limit:
            raise ImportRefused("huge", rows=settings.IPCITY_IMPORT_MAX_ROWS, columns=MAX_COLUMNS)
        yield values


@dataclass
class _Upload:
    meta: dict[str, list[str]]
    indicators: list[tuple[str, str]]  # (key, version seen) in template order
    header: tuple
    rows: list[tuple[int, tuple]]  # (sheet row number, values) of the non-empty rows after the header


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class _Sheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet, sized only from a declared <dimension>. openpyxl looks for one by parsing
    the sheet until <sheetData> ends, which for a sheet without one (ours, written in write-only mode; any
    hostile file) is a whole extra pass over every row before the first is read."""

    def _get_size(self) -> None:
        source = self._get_source()
        try:
            for _event, element in iterparse(source, events=("start",)):  # defusedxml's, as openpyxl's
                if element.tag == DIMENSION_TAG:
                    bounds = SheetDimension.from_tree(element).boundaries
                    self._min_column, self._min_row, self._max_column, self._max_row = bounds
                    return
                if element.tag == DATA_TAG:
                    return
        finally:
            source.close()


class _Reader(ExcelReader):
    """openpyxl's read-only loading (`load_workbook(read_only=True)`) with `_Sheet`s. Chartsheets are never
    read: an upload with one is refused before (see _ALLOWED_PARTS)."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                worksheet = _Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                worksheet.sheet_state = sheet.state
                self.wb._sheets.append(worksheet)


def _open(file: IO[bytes]) -> Any:
    reader = _Reader(file, read_only=True, data_only=False, keep_links=False, keep_vba=False)
    reader.read()
    return reader.wb


def _read(file: IO[bytes]) -> _Upload:
    with _reading():
        book = _open(file)
        try:
            if META_SHEET not in book.sheetnames or SHEET not in book.sheetnames:
                raise ImportRefused("not_template")
            meta: dict[str, list[str]] = {}
            indicators = []
            for values in _bounded_rows(book[META_SHEET], META_LINES + settings.IPCITY_IMPORT_MAX_ROWS):
                label, *rest = (_text(value) for value in values[:3])
                if label == "指标":
                    indicators.append((rest[0], rest[1]))
                elif label:
                    meta.setdefault(label, rest)
            header: tuple = ()
            rows = []
            rows_limit = HEADER_ROW + settings.IPCITY_IMPORT_MAX_ROWS
            for number, values in enumerate(_bounded_rows(book[SHEET], rows_limit), start=1):
                if number == HEADER_ROW:
                    header = values
                elif number > HEADER_ROW and any(value is not None and value != "" for value in values):
                    rows.append((number, values))
        finally:
            book.close()
    return _Upload(meta=meta, indicators=indicators, header=header, rows=rows)


def _check_template(upload: _Upload, *, unit: Unit, period: Period) -> None:
    meta = upload.meta
    if meta.get("模板", [""])[0] != KIND:
        raise ImportRefused("not_template")
    unit_id, year, quarter = (meta.get(label, [""])[0] for label in ("单位", "年度", "季度"))
    signature = _signature(
        version=meta.get("版本", [""])[0],
        unit_id=unit_id,
        year=year,
        quarter=quarter,
        plans=meta.get("方案", [""])[0],
        keys=[key for key, _ in upload.indicators],
    )
    if not constant_time_compare(signature, meta.get("签名", [""])[0]):
        raise ImportRefused("tampered")
    if meta.get("版本", [""])[0] != VERSION:
        raise ImportRefused("old_version")
    if unit_id != str(unit.pk):
        raise ImportRefused("other_unit", unit=unit.name)
    if (year, quarter) != (str(period.year), str(period.quarter)):
        raise ImportRefused(
            "other_period", template=_quarter_name(int(year), int(quarter)), period=str(period)
        )
    expected = template_headers(period)
    for index, title in enumerate(expected):
        found = _text(upload.header[index]) if index < len(upload.header) else ""
        if found != title:
            column = get_column_letter(index + 1)
            raise ImportRefused("layout", detail=f"表头{column}列应为“{title}”，现为“{found[:20]}”")


# ------------------------------------------------------------------------------------------------------------
# Judging rows: the preview, and the confirmation
# ------------------------------------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    """One row of the upload: the figure read from it, or what is wrong with it."""

    number: int  # the sheet row, as the user sees it in Excel
    indicator: Indicator | None
    figure: Figure | None = None
    errors: list[str] = field(default_factory=list)
    stored: Submission | None = None
    seen_version: int | None = None
    typed: str = ""  # what the row's input cells held, as text (the preview shows it next to an error)
    typed_note: str = ""

    @property
    def status(self) -> str:
        """error, empty (nothing to import), same (equal to what is stored), new or changed."""
        if self.errors:
            return "error"
        if self.figure is None:
            return "empty"
        if self.stored is None:
            return "new"
        return "changed" if _changes(self.stored, self.figure) else "same"

    @property
    def name(self) -> str:
        return self.indicator.name if self.indicator else "（未知指标）"

    @property
    def shown(self) -> str:
        """The figure read from the row, as people write it."""
        return _as_text(self.indicator, self.figure)

    @property
    def stored_shown(self) -> str:
        """The quarter's figure now in the system, as people write it."""
        return _as_text(self.indicator, self.stored)


def _as_text(indicator: Indicator | None, figure: Figure | Submission | None) -> str:
    if indicator is None or figure is None:
        return ""
    shown = _shown(indicator, figure.value, figure.numerator, figure.denominator, figure.done)
    return "" if shown is None else (shown if isinstance(shown, str) else plain(shown))


@dataclass
class ImportPreview:
    unit: Unit
    period: Period
    name: str
    rows: list[PreviewRow]

    @property
    def errors(self) -> list[str]:
        return [error for row in self.rows for error in row.errors]

    def count(self, status: str) -> int:
        return sum(row.status == status for row in self.rows)

    @property
    def writes(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.status in ("new", "changed")]

    def inputs(self) -> list[FigureInput]:
        return [
            FigureInput(indicator_id=row.indicator.pk, figure=row.figure, version=row.seen_version)
            for row in self.writes
        ]


def _changes(stored: Submission, figure: Figure) -> bool:
    return (stored.value, stored.numerator, stored.denominator, stored.done, stored.note) != (
        figure.value,
        figure.numerator,
        figure.denominator,
        figure.done,
        figure.note,
    )


def _is_formula(value: Any) -> bool:
    # With data_only=False openpyxl hands back a formula as its text ("=…"), or as an object for array and
    # data-table formulas; text typed with a leading "=" is refused the same way.
    return isinstance(value, ArrayFormula | DataTableFormula) or (
        isinstance(value, str) and value.lstrip().startswith(("=", "＝"))
    )


def _typed(value: Any) -> str:
    """A cell as the preview and the messages quote it (at most 30 characters)."""
    text = _text(value.text if isinstance(value, ArrayFormula) else value)
    return text if len(text) <= 30 else text[:30] + "…"


def _formula_problems(number: int, values: tuple) -> list[str]:
    problems = []
    for column, label in INPUTS.items():
        value = values[column]
        if _is_formula(value):
            shown = _typed(value) or "数组公式"
            problems.append(
                f"{label}（{get_column_letter(column + 1)}{number}）是公式“{shown}”，"
                "本系统不计算公式，请直接填写数值。"
            )
    return problems


def _read_done(raw: Any) -> tuple[bool | None, str | None]:
    """A milestone's cell: 是 or 否 (or a boolean cell), as the template's drop-down offers."""
    if raw is True or _text(raw) == YES:
        return True, None
    if raw is False or _text(raw) == NO:
        return False, None
    if _text(raw):
        return None, f"是否完成请填写“{YES}”或“{NO}”，不能填写“{_typed(raw)}”。"
    return None, None


def _read_figure(values: tuple, indicator: Indicator) -> tuple[Figure, list[str]]:
    """The figure a row's input cells hold for its indicator, and what keeps them from being read."""
    raw: dict[str, object] = {name: values[column] for name, column in COLUMNS.items()}
    return figure_parse(indicator, {**raw, "note": _text(values[NOTE])}, read_done=_read_done)


def _judge(number: int, values: tuple, indicator: Indicator) -> PreviewRow:
    """One row read as the reporting form reads a figure: parsed, then checked by `figure_errors`."""
    typed = [values[COLUMNS[name]] for name in indicator.kind.inputs]
    row = PreviewRow(
        number=number,
        indicator=indicator,
        typed="/".join(map(_typed, typed)) if any(value is not None for value in typed) else "",
        typed_note=_typed(values[NOTE]),
    )
    problems = _formula_problems(number, values)
    if not problems:
        figure, problems = _read_figure(values, indicator)
        if not problems and figure.is_empty and figure.note:
            problems.append("只填写了说明，请同时填写数值。")
        elif not problems and not figure.is_empty:
            problems = figure_errors(indicator, figure)
        if len(figure.note) > TEXT_LIMIT:
            problems.append(f"说明不能超过{TEXT_LIMIT}字。")
        if not problems and not figure.is_empty:
            row.figure = figure
    row.errors = [f"第{number}行 {indicator.name}：{problem}" for problem in problems]
    return row


def template_parse(file: IO[bytes], *, unit: Unit, period: Period, name: str | None = None) -> ImportPreview:
    """Read an uploaded template into a preview: per row the figure read, or its errors (in Chinese, naming
    the sheet row and the indicator). Raises ImportRefused when the file as a whole is refused. Writes
    nothing; reads the database in a fixed number of queries whatever the number of rows."""
    name = name if name is not None else getattr(file, "name", "") or ""
    check_upload(file, name)
    upload = _read(file)
    _check_template(upload, unit=unit, period=period)
    indicators = {indicator_key(indicator): indicator for indicator in unit_indicators(unit, period.year)}
    stored = {row.indicator_id: row for row in Submission.objects.filter(unit=unit, period=period)}
    seen_versions = dict(upload.indicators)
    rows: list[PreviewRow] = []
    first_row: dict[str, int] = {}
    for number, values in upload.rows:
        key = _text(values[KEY])
        indicator = indicators.get(key)
        if key not in seen_versions:
            rows.append(PreviewRow(number, None, errors=[f"第{number}行：不是模板中的指标行，不能导入。"]))
            continue
        if indicator is None:
            rows.append(
                PreviewRow(number, None, errors=[f"第{number}行：本单位已不再填报该指标，请重新下载模板。"])
            )
            continue
        if key in first_row:
            error = f"第{number}行 {indicator.name}：与第{first_row[key]}行是同一指标，请只保留一行。"
            rows.append(PreviewRow(number, indicator, errors=[error]))
            continue
        first_row[key] = number
        row = _judge(number, values, indicator)
        row.stored = stored.get(indicator.pk)
        version = seen_versions[key]
        row.seen_version = int(version) if version.isdigit() else -1
        if row.status in ("new", "changed"):
            _check_writable(row)
        rows.append(row)
    return ImportPreview(unit=unit, period=period, name=name, rows=rows)


def _check_writable(row: PreviewRow) -> None:
    """A changed figure must still be editable and unchanged in the system since the template was made."""
    stored, prefix = row.stored, f"第{row.number}行 {row.name}："
    if stored is not None and stored.state not in EDITABLE:
        row.errors.append(f"{prefix}{stored.get_state_display()}，不能修改。如需更正请联系办公室。")
    elif (stored.version if stored else 0) != row.seen_version:
        row.errors.append(
            f"{prefix}下载模板后，该指标已在系统中被修改。为避免覆盖他人的修改，请重新下载模板后填写。"
        )


def template_confirm(
    file: IO[bytes],
    *,
    unit: Unit,
    period: Period,
    by: User,
    name: str | None = None,
    today: datetime.date | None = None,
) -> int:
    """Import an upload: judge it again exactly as the preview did and, when no row has an error, store every
    new or changed figure as a draft through `figures_save`, in one transaction, audited as an Excel import.
    Returns how many figures were stored. Raises ImportRefused or ValidationError (every row's message) and
    writes nothing; a figure someone changed meanwhile raises services.Conflict, also writing nothing."""
    preview = template_parse(file, unit=unit, period=period, name=name)
    if preview.errors:
        raise ValidationError(preview.errors)
    inputs = preview.inputs()
    if not inputs:
        raise ValidationError("表格中没有需要导入的数值（均为空或与系统中一致）。")
    try:
        figures_save(
            unit=unit,
            period=period,
            inputs=inputs,
            by=by,
            today=today,
            reason=f"Excel导入（{preview.name[:80]}）",
        )
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        numbers = {f"indicator-{row.indicator.pk}": row.number for row in preview.writes}
        raise ValidationError(
            [
                f"第{numbers[key]}行 {message}" if key in numbers else message
                for key, messages in error.message_dict.items()
                for message in messages
            ]
        ) from None
    return len(inputs)
