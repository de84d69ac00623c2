"""The hostile upload corpus: every file is refused with a clear Chinese message and nothing is written.

Files refused as a whole are checked through the upload page (400, the message shown, no file kept, no
figure written) and through `template_parse` (the refusal's code). Files whose rows are refused (formulas,
forged rows) reach the preview, which lists the errors, and their confirmation writes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from reporting.excel.preview import template_confirm, template_parse
from reporting.excel.upload import ImportRefused
from reporting.models import Submission
from tests import excel_files as files
from tests import factories
from tests.test_excel_template import as_file, messages_of, template_of, upload


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads waiting for confirmation land in a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Bases:
    """The genuine files the hostile ones are made from."""

    template: bytes  # unit_a's 2025 Q3 template as downloaded
    other_unit: bytes  # unit_b's template for the same quarter
    other_period: bytes  # unit_a's template for 2025 Q2


@pytest.fixture
def bases(unit_a, unit_b, xl_period, xl_indicators):
    template = template_of(unit_a, xl_period)
    return Bases(
        template=template,
        other_unit=template_of(unit_b, xl_period),
        other_period=template_of(unit_a, factories.PeriodFactory(year=2025, quarter=2)),
    )


def _set_meta(label: str, value: str):
    def change(sheet):
        for row in sheet.iter_rows():
            if row[0].value == label:
                row[1].value = value

    return change


def _edit_seen_version(sheet):
    """The hidden version cell of the first figure, edited so an import would overwrite newer data."""
    row = next(row for row in sheet.iter_rows() if row[0].value == "指标")
    row[2].value = "99"


def case(id: str, build, code: str, message: str, name: str = "填报.xlsx"):
    """A hostile file: how to build it from the genuine ones, the refusal's code, what its message says."""
    return pytest.param(name, build, code, message, id=id)


REFUSED = [
    case("empty", lambda b: b"", "empty", "上传的文件是空的"),
    case("too-big", lambda b: files.too_big(settings.UPLOAD_MAX_BYTES), "too_big", "文件过大"),
    case("renamed-xls", lambda b: files.ole_file(), "wrong_type", "“填报.xls”不是.xlsx文件", name="填报.xls"),
    case("csv", lambda b: files.csv_file(), "wrong_type", "“填报.csv”不是.xlsx文件", name="填报.csv"),
    case("xls-named-xlsx", lambda b: files.ole_file(), "legacy", "旧版Excel（.xls）格式或设置了打开密码"),
    case("not-a-zip", lambda b: files.not_a_zip(), "not_zip", "不是有效的.xlsx文件"),
    case("zip-bomb", lambda b: files.zip_bomb(b.template), "bomb", "疑似“压缩炸弹”"),
    case("many-small-bombs", lambda b: files.many_small_bombs(b.template), "bomb", "疑似“压缩炸弹”"),
    case("too-many-parts", lambda b: files.too_many_parts(b.template), "too_many_parts", "上限为100个"),
    case("lying-sizes", lambda b: files.lying_sizes(b.template), "unreadable", "文件内容无法读取"),
    case("encrypted-part", lambda b: files.encrypted_part(b.template), "encrypted", "加密"),
    case("macro", lambda b: files.with_macro(b.template), "macro", "文件含有宏（VBA代码）"),
    case("external-link", lambda b: files.with_external_link(b.template), "link", "外部链接"),
    case("ole-object", lambda b: files.with_ole_object(b.template), "embedded", "嵌入对象"),
    case(
        "unexpected-part", lambda b: files.with_unexpected_part(b.template), "unexpected_part", "payload.exe"
    ),
    case("entity-bomb-sheet", lambda b: files.entity_bomb_in_sheet(b.template), "unsafe_xml", "不安全的XML"),
    case(
        "entity-bomb-strings",
        lambda b: files.entity_bomb_in_shared_strings(b.template),
        "unsafe_xml",
        "不安全的XML",
    ),
    case("external-entity", lambda b: files.external_entity(b.template), "unsafe_xml", "不安全的XML"),
    case(
        "huge-rows",
        lambda b: files.huge_rows(b.template, settings.IPCITY_IMPORT_MAX_ROWS + 10),
        "huge",
        "表格超出上限（最多10000行数据",
    ),
    case(
        "huge-declared",
        lambda b: files.huge_declared(b.template),
        "too_many_cells",
        "单元格过多（超过200000个）",
    ),
    case("far-row", lambda b: files.far_row(b.template), "huge", "表格超出上限"),
    case("foreign-workbook", lambda b: files.foreign_workbook(), "not_template", "这不是本系统的填报模板"),
    case(
        "other-unit",
        lambda b: b.other_unit,
        "other_unit",
        "这是其他单位的填报模板，不能导入市知识产权局的数据",
    ),
    case(
        "other-period",
        lambda b: b.other_period,
        "other_period",
        "这是2025年第二季度的模板，当前导入的是2025年第三季度",
    ),
    case(
        "tampered-unit",
        lambda b: files.tampered(b.other_unit, _set_meta("单位", "1")),
        "tampered",
        "模板的标识信息与签名不符",
    ),
    case(
        "tampered-signature",
        lambda b: files.tampered(b.template, _set_meta("签名", "0" * 64)),
        "tampered",
        "模板的标识信息与签名不符",
    ),
    case(
        "tampered-seen-version",
        lambda b: files.tampered(b.template, _edit_seen_version),
        "tampered",
        "模板的标识信息与签名不符",
    ),
    case(
        "changed-header",
        lambda b: files.edit(b.template, lambda book: setattr(book["填报"]["K3"], "value", "数值（万件）")),
        "layout",
        "表头K列应为“本季度数值”，现为“数值（万件）”",
    ),
]


@pytest.fixture
def upload_dir():
    path = Path(settings.MEDIA_ROOT) / "imports"
    before = set(path.glob("*")) if path.exists() else set()
    yield path
    assert (set(path.glob("*")) if path.exists() else set()) == before, "a refused upload was kept"


@pytest.mark.parametrize(("name", "build", "code", "message"), REFUSED)
def test_it_refuses_the_hostile_file_on_upload(
    reporter_a_client, unit_a, xl_period, xl_indicators, bases, upload_dir, name, build, code, message
):
    data = build(bases)
    stored = factories.SubmissionFactory(
        indicator=xl_indicators["商标有效注册量"], unit=unit_a, period=xl_period
    )

    response = upload(reporter_a_client, data, xl_period, name=name)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(Submission.objects.values_list("pk", "value", "version")) == [(stored.pk, stored.value, 1)]


@pytest.mark.parametrize(("name", "build", "code", "message"), REFUSED)
def test_it_refuses_the_hostile_file_before_judging_any_row(
    unit_a, xl_period, bases, name, build, code, message
):
    with pytest.raises(ImportRefused) as refusal:
        template_parse(as_file(build(bases), name), unit=unit_a, period=xl_period)

    assert refusal.value.code == code
    assert message in refusal.value.messages[0]


def test_it_counts_rows_by_streaming_not_by_the_declared_dimension(unit_a, xl_period, bases):
    # Declared small, actually huge: the dimension lies, the count does not.
    rows = "".join(f'<row r="{r}"><c r="K{r}"><v>{r}</v></c></row>' for r in range(1, 10_020))
    sheet = files._sheet_xml(rows, dimension="A1:N20")
    data = files.rezip(bases.template, replace={files.SHEET_PART: sheet})

    with pytest.raises(ImportRefused, match="表格超出上限"):
        template_parse(as_file(data), unit=unit_a, period=xl_period)


# Parse work bounded: a small file within every size limit can still hold millions of strings or cells.


def test_it_refuses_a_million_shared_strings_within_a_second_and_keeps_nothing(
    reporter_a_client, unit_a, xl_period, bases, upload_dir
):
    data = files.many_shared_strings(bases.template)
    assert len(data) < settings.UPLOAD_MAX_BYTES  # the finding's file: under every size and ratio limit

    started = time.monotonic()
    response = upload(reporter_a_client, data, xl_period)
    elapsed = time.monotonic() - started

    assert response.status_code == 400
    assert "文件中的文字条目过多（超过200000条）" in response.content.decode()
    assert elapsed < 1.0
    assert not Submission.objects.exists()


def test_it_counts_shared_strings_when_their_count_is_not_declared(unit_a, xl_period, bases):
    data = files.many_shared_strings(bases.template, declared=False)

    started = time.monotonic()
    with pytest.raises(ImportRefused) as refusal:
        template_parse(as_file(data), unit=unit_a, period=xl_period)

    assert refusal.value.code == "too_many_strings"
    assert time.monotonic() - started < 1.0


def test_it_counts_cells_when_no_dimension_is_declared(unit_a, xl_period, bases, settings):
    settings.IPCITY_IMPORT_MAX_CELLS = 1000
    cells = "".join(f'<c r="A{r}"><v>{r}</v></c>' for r in range(1, 1002))
    data = files.rezip(
        bases.template, replace={files.SHEET_PART: files._sheet_xml(f'<row r="1">{cells}</row>')}
    )

    with pytest.raises(ImportRefused, match="表格的单元格过多（超过1000个）"):
        template_parse(as_file(data), unit=unit_a, period=xl_period)


def test_it_stops_reading_past_the_time_limit(unit_a, xl_period, bases, settings):
    settings.IPCITY_IMPORT_MAX_SECONDS = -1  # already past: the first row read is refused

    with pytest.raises(ImportRefused, match="文件读取超过-1秒仍未完成") as refusal:
        template_parse(as_file(bases.template), unit=unit_a, period=xl_period)

    assert refusal.value.code == "too_slow"


# Row-level refusals: the file reaches the preview, which names every bad row; confirming writes nothing.
GI = "地理标志商标和地理标志保护产品总量"
FORMULA_ROWS = ["商标有效注册量", GI, "版权登记量"]


def test_it_refuses_formulas_row_by_row_and_never_evaluates_them(
    reporter_a_client, reporter_a, unit_a, xl_period, bases
):
    data = files.formulas(
        files.fill(bases.template, {"培育建设国家知识产权强县建设示范试点县": {"本季度数值": "是"}}),
        FORMULA_ROWS,
    )

    preview = template_parse(as_file(data), unit=unit_a, period=xl_period)

    assert preview.errors == [
        "第4行 商标有效注册量：本季度数值（K4）是公式“=1+1”，本系统不计算公式，请直接填写数值。",
        f"第5行 {GI}：本季度数值（K5）是公式“=SUM(F1:I1)”，本系统不计算公式，请直接填写数值。",
        '第6行 版权登记量：本季度数值（K6）是公式“=WEBSERVICE("http://example.co…”，本系统不计算公式，请直接填写数值。',
    ]
    assert [row.status for row in preview.rows] == ["error", "error", "error", "new", "empty"]

    response = upload(reporter_a_client, data, xl_period)
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    page = reporter_a_client.get(response["Location"]).content.decode()
    confirmed = reporter_a_client.post(reverse("import-confirm", args=[token]))

    assert "表格中有3处错误，本次不能导入" in page and "确认导入" not in page
    assert messages_of(confirmed)[0].startswith("第4行 商标有效注册量：本季度数值（K4）是公式")
    assert not Submission.objects.exists()


def test_it_refuses_text_typed_as_a_formula_in_the_note(unit_a, xl_period, bases):
    data = files.fill(
        bases.template, {"商标有效注册量": {"本季度数值": 85, "说明": '=HYPERLINK("http://x")'}}
    )

    (error,) = template_parse(as_file(data), unit=unit_a, period=xl_period).errors

    assert error.startswith("第4行 商标有效注册量：说明（N4）是公式")


def test_it_refuses_a_row_whose_key_was_forged(reporter_a, unit_a, xl_period, bases):
    def forge(book):
        book["填报"]["A5"].value = "quanzhou-2024-2026/copyright-registrations-x"
        book["填报"]["K5"].value = 99

    data = files.edit(bases.template, forge)

    preview = template_parse(as_file(data), unit=unit_a, period=xl_period)

    assert preview.errors == ["第5行：不是模板中的指标行，不能导入。"]
    with pytest.raises(Exception, match="不是模板中的指标行"):
        template_confirm(as_file(data), unit=unit_a, period=xl_period, by=reporter_a)
    assert not Submission.objects.exists()
