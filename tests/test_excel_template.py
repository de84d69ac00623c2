"""The Excel template round trip: download, fill offline, upload, preview with row errors, confirm."""

from __future__ import annotations

import datetime
import gc
import io
import statistics
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import openpyxl.xml
import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse

from indicators.measures import Figure
from indicators.models import Assignment, Indicator
from reporting.excel import preview
from reporting.excel import template as layout
from reporting.excel.preview import template_confirm, template_parse
from reporting.excel.template import template_write
from reporting.models import ReviewState, Submission
from reporting.services.entry import FigureInput, figures_save
from tests import factories
from tests.excel_files import fill
from tests.page import seen
from tests.soffice import convert, soffice_missing

D = Decimal
ARTIFACTS = Path(__file__).parent / "artifacts"
GI = "地理标志商标和地理标志保护产品总量"
COUNTIES = "培育建设国家知识产权强县建设示范试点县"
RATIO = "知识产权案件按期结案率"
FILLED = {
    "商标有效注册量": {"本季度数值": 85.2, "说明": "含马德里注册"},
    GI: {"本季度数值": 63},
    "版权登记量": {"本季度数值": "12.3456"},
    COUNTIES: {"本季度数值": "是"},
    RATIO: {"分子": 45, "分母": 50},
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads waiting for confirmation land in a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


def download(client, period) -> bytes:
    response = client.get(reverse("import-template", args=[period.year, period.quarter]))
    assert response.status_code == 200, response.content[:500]
    return response.content


def upload(client, data: bytes, period, name: str = "填报.xlsx"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("import-upload"), {"period": period.pk, "file": file})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def as_file(data: bytes, name: str = "填报.xlsx") -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def template_of(unit, period) -> bytes:
    out = io.BytesIO()
    template_write(unit=unit, period=period, out=out)
    return out.getvalue()


def rows_of(data: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [row for row in book[layout.SHEET].iter_rows(min_row=layout.HEADER_ROW + 1, values_only=True)]


def test_it_uses_defusedxml_underneath_openpyxl():
    from defusedxml import ElementTree as defused
    from openpyxl.xml import functions

    assert openpyxl.xml.DEFUSEDXML is True
    assert functions.iterparse is defused.iterparse


def test_the_signature_keeps_its_salt_and_covers_each_figures_version():
    # Pinned with the test SECRET_KEY: the salt keeps the name of the module the signing lived in first
    # (indicators/imports.py); each figure's stored version is part of what is signed (template version 2).
    def signed(seen: str) -> str:
        return layout.template_signature(
            version="2", unit_id="7", year="2025", quarter="3", plans="quanzhou-2024-2026",
            indicators=[("quanzhou-2024-2026/trademarks", seen)],
        )  # fmt: skip

    assert signed("0") == "68a0d518b8a50106c676a45b83c1c8097183e1df03fa83b2508bd9b30b3437b6"
    assert signed("1") != signed("0")


def test_it_offers_a_template_with_one_row_per_assigned_indicator(
    reporter_a_client, xl_period, xl_indicators
):
    data = download(reporter_a_client, xl_period)

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[layout.SHEET]
    assert [row[layout.NAME] for row in rows_of(data)] == list(xl_indicators)
    assert [cell.value for cell in sheet[layout.HEADER_ROW]] == layout.template_headers(xl_period)
    assert sheet["A1"].value == "市知识产权局 2025年第三季度 指标数据填报模板"
    assert sheet.column_dimensions["A"].hidden
    assert sheet.protection.sheet
    assert book[layout.META_SHEET].sheet_state == "veryHidden"
    labels = [row[0].value for row in book[layout.META_SHEET].iter_rows(max_col=1)]
    assert labels[:2] == ["模板", "版本"]
    assert labels.index("指标") == layout.META_LINES and labels.count("指标") == len(xl_indicators)


def test_it_tells_what_to_enter_per_kind_in_the_registrys_words(
    reporter_a_client, unit_a, xl_period, xl_indicators
):
    cumulative = Indicator.objects.get(code="new-trademarks")  # 新增注册商标, counted since the plan's start
    factories.AssignmentFactory(indicator=cumulative, unit=unit_a)
    rows = {row[layout.NAME]: row for row in rows_of(download(reporter_a_client, xl_period))}
    for name, indicator in {**xl_indicators, cumulative.name: cumulative}.items():
        assert rows[name][layout.HOW] == indicator.kind.instruction(indicator)
        assert rows[name][layout.UNIT] == (indicator.kind.entry_unit(indicator) or None)
    assert rows["商标有效注册量"][layout.HOW] == "填写季度末存量，单位：万件，最多2位小数"
    assert rows["新增注册商标"][layout.HOW].startswith("填写本季度新增数（系统自动累计），")
    assert rows[COUNTIES][layout.HOW] == "填写是否已完成（是/否），并上传佐证材料"


def test_a_per_capita_row_asks_for_the_count_and_says_the_system_divides(
    reporter_a_client, unit_a, xl_period, xl_indicators
):
    per_capita = Indicator.objects.get(code="hv-invention-patents-per-10k")
    factories.AssignmentFactory(indicator=per_capita, unit=unit_a)
    rows = rows_of(download(reporter_a_client, xl_period))
    (row,) = [row for row in rows if row[layout.NAME] == per_capita.name]
    assert row[layout.UNIT] == "件"
    assert row[layout.HOW] == (
        "填写季度末总数（不是每万人口数），单位：件，整数；系统按当年常住人口（万人）折算为每万人口数（件/万人）"
    )


def test_it_unlocks_only_the_inputs_that_apply(reporter_a_client, xl_period, xl_indicators):
    sheet = openpyxl.load_workbook(io.BytesIO(download(reporter_a_client, xl_period)))[layout.SHEET]
    unlocked = {
        (row[layout.NAME].value, header)
        for row in sheet.iter_rows(min_row=layout.HEADER_ROW + 1)
        for column, header in layout.INPUTS.items()
        if not row[column].protection.locked
    }
    expected = {
        (indicator.name, header)
        for indicator in xl_indicators.values()
        for header in (
            ["分子", "分母", "说明"]
            if indicator.measure == Indicator.Measure.RATIO
            else ["本季度数值", "说明"]
        )
    }
    assert unlocked == expected
    locked_elsewhere = [cell for row in sheet.iter_rows(max_col=layout.STATE + 1) for cell in row]
    assert all(cell.protection.locked for cell in locked_elsewhere)
    (choice,) = sheet.data_validations.dataValidation
    assert choice.formula1 == '"是,否"'
    assert str(choice.sqref) == "K7"


def test_it_prefills_previous_quarters_and_the_stored_figure(
    reporter_a_client, reporter_a, unit_a, xl_period, xl_indicators
):
    trademarks = xl_indicators["商标有效注册量"]
    ratio = xl_indicators[RATIO]
    sent = {
        "state": ReviewState.SUBMITTED,
        "submitted_at": datetime.datetime(2025, 7, 5, tzinfo=datetime.UTC),
    }
    for (year, quarter), value in {(2024, 4): "80.1", (2025, 1): "81.5", (2025, 2): "83.25"}.items():
        period = factories.PeriodFactory(year=year, quarter=quarter)
        factories.SubmissionFactory(indicator=trademarks, unit=unit_a, period=period, value=D(value), **sent)
    q2 = factories.PeriodFactory(year=2025, quarter=2)
    factories.SubmissionFactory(
        indicator=ratio, unit=unit_a, period=q2, value=None, numerator=D(9), denominator=D(10), **sent
    )
    factories.SubmissionFactory(
        indicator=trademarks, unit=unit_a, period=xl_period, value=D("84.4"), note="初报"
    )

    rows = {row[layout.NAME]: row for row in rows_of(download(reporter_a_client, xl_period))}

    previous = slice(layout.FIRST_PREVIOUS, layout.STATE)
    assert rows["商标有效注册量"][previous] == (None, 80.1, 81.5, 83.25)
    assert rows[ratio.name][previous] == (None, None, None, "9/10（90%）")
    assert rows["商标有效注册量"][layout.STATE] == "草稿"
    assert rows["商标有效注册量"][layout.VALUE] == 84.4
    assert rows["商标有效注册量"][layout.NOTE] == "初报"
    assert rows["地理标志商标和地理标志保护产品总量"][layout.STATE] == "未填写"


def test_it_locks_every_input_of_a_submitted_figure(reporter_a_client, unit_a, xl_period, xl_indicators):
    factories.SubmissionFactory(
        indicator=xl_indicators["商标有效注册量"],
        unit=unit_a,
        period=xl_period,
        state=ReviewState.SUBMITTED,
        submitted_at=datetime.datetime(2025, 8, 1, tzinfo=datetime.UTC),
    )
    sheet = openpyxl.load_workbook(io.BytesIO(download(reporter_a_client, xl_period)))[layout.SHEET]
    row = next(r for r in sheet.iter_rows(min_row=4) if r[layout.NAME].value == "商标有效注册量")
    assert row[layout.STATE].value == "已报送"
    assert all(row[column].protection.locked for column in layout.INPUTS)


def test_it_round_trips_a_filled_template(reporter_a_client, unit_a, xl_period, xl_indicators):
    data = fill(download(reporter_a_client, xl_period), FILLED)

    response = upload(reporter_a_client, data, xl_period, name="第三季度.xlsx")
    assert response.status_code == 302
    preview = reporter_a_client.get(response["Location"])
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "新增 5 项" in page and "有错误 0 行" in page and "确认导入5项" in page
    assert not Submission.objects.exists()

    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    confirmed = reporter_a_client.post(reverse("import-confirm", args=[token]))

    assert confirmed.status_code == 302
    assert messages_of(confirmed) == ["已保存5项指标数据（草稿），请在填报页核对后报送。"]
    assert confirmed["Location"] == "/report/?period=2025-3"
    stored = {row.indicator.name: row for row in Submission.objects.select_related("indicator")}
    ratio = xl_indicators[RATIO]
    assert stored["商标有效注册量"].value == D("85.2")
    assert stored["商标有效注册量"].note == "含马德里注册"
    assert stored["地理标志商标和地理标志保护产品总量"].value == D(63)
    assert stored["版权登记量"].value == D("12.3456")
    assert stored["培育建设国家知识产权强县建设示范试点县"].done is True
    assert (stored[ratio.name].numerator, stored[ratio.name].denominator) == (D(45), D(50))
    assert {row.state for row in stored.values()} == {ReviewState.DRAFT}
    assert {row.unit_id for row in stored.values()} == {unit_a.pk}
    reasons = {row.history.get().history_change_reason for row in stored.values()}
    assert reasons == {"Excel导入（第三季度.xlsx）"}
    assert not list((Path(settings.MEDIA_ROOT) / "imports").glob(f"{token}*"))


def test_an_imported_file_name_loses_its_bidirectional_controls(reporter_a_client, xl_period, xl_indicators):
    data = fill(download(reporter_a_client, xl_period), FILLED)
    response = upload(reporter_a_client, data, xl_period, name="\u202e第三季度\u2066.xlsx")
    assert "第三季度.xlsx" in seen(reporter_a_client.get(response["Location"])).text
    reporter_a_client.post(reverse("import-confirm", args=[token_of(response)]))
    reasons = {row.history_change_reason for row in Submission.history.all()}
    assert reasons == {"Excel导入（第三季度.xlsx）"}


def test_it_imports_changes_to_stored_drafts_and_leaves_the_rest(
    reporter_a, unit_a, xl_period, xl_indicators
):
    figures_save(
        unit=unit_a,
        period=xl_period,
        by=reporter_a,
        inputs=[FigureInput(xl_indicators["商标有效注册量"].pk, Figure(value=D("84")))],
    )
    data = fill(template_of(unit_a, xl_period), {"商标有效注册量": {"本季度数值": 86}})

    preview = template_parse(as_file(data), unit=unit_a, period=xl_period)
    assert [(row.name, row.status) for row in preview.rows if row.status != "empty"] == [
        ("商标有效注册量", "changed")
    ]
    assert template_confirm(as_file(data), unit=unit_a, period=xl_period, by=reporter_a).figures == 1

    row = Submission.objects.get()
    assert (row.value, row.version) == (D(86), 2)
    assert row.history.first().history_change_reason == "Excel导入（填报.xlsx）"


def test_it_never_clears_a_stored_figure_left_empty(reporter_a, unit_a, xl_period, xl_indicators):
    figures_save(
        unit=unit_a,
        period=xl_period,
        by=reporter_a,
        inputs=[FigureInput(xl_indicators["商标有效注册量"].pk, Figure(value=D("84")))],
    )
    data = fill(template_of(unit_a, xl_period), {"商标有效注册量": {"本季度数值": None}})

    preview = template_parse(as_file(data), unit=unit_a, period=xl_period)

    assert {row.status for row in preview.rows} == {"empty"}
    with pytest.raises(ValidationError, match="没有需要导入的内容"):
        template_confirm(as_file(data), unit=unit_a, period=xl_period, by=reporter_a)
    assert Submission.objects.get().value == D(84)


@pytest.mark.parametrize(
    ("name", "values", "message"),
    [
        ("商标有效注册量", {"本季度数值": -3}, "第4行 商标有效注册量：数值不能为负数。"),
        ("商标有效注册量", {"本季度数值": "八十五"}, "第4行 商标有效注册量：数值：“八十五”不是数字"),
        # text cells read by the one strict number reading, as the form and the API read them
        (GI, {"本季度数值": "3,5"}, f"第5行 {GI}：数值：“3,5”不是有效的数字：千位分隔符只能每三位一组"),
        (GI, {"本季度数值": "8e1"}, f"第5行 {GI}：数值：“8e1”不是有效的数字：不能使用科学计数法（e）"),
        (GI, {"本季度数值": "1_0"}, f"第5行 {GI}：数值：“1_0”不是有效的数字：数字中不能有下划线。"),
        (RATIO, {"分子": "4,5", "分母": 50}, f"第8行 {RATIO}：按期结案的知识产权案件数：“4,5”不是有效的数字"),
        (GI, {"本季度数值": 63.5}, f"第5行 {GI}：数值应为整数。"),
        (COUNTIES, {"本季度数值": "完成了"}, f"第7行 {COUNTIES}：是否完成请填写“是”或“否”"),
        ("商标有效注册量", {"说明": "只有说明"}, "第4行 商标有效注册量：只填写了说明，请同时填写数值。"),
        ("商标有效注册量", {"本季度数值": "=1+1"}, "第4行 商标有效注册量：本季度数值（K4）是公式“=1+1”"),
    ],
)  # fmt: skip
def test_it_reports_each_bad_row_by_number_and_indicator(
    reporter_a, unit_a, xl_period, xl_indicators, name, values, message
):
    data = fill(template_of(unit_a, xl_period), {name: values})

    preview = template_parse(as_file(data), unit=unit_a, period=xl_period)

    assert len(preview.errors) == 1 and preview.errors[0].startswith(message), preview.errors
    with pytest.raises(ValidationError):
        template_confirm(as_file(data), unit=unit_a, period=xl_period, by=reporter_a)
    assert not Submission.objects.exists()


def test_it_judges_a_ratio_as_the_form_does(reporter_a, unit_a, xl_period, xl_indicators):
    ratio = xl_indicators[RATIO]
    data = fill(template_of(unit_a, xl_period), {ratio.name: {"分子": 51, "分母": 50}})

    (error,) = template_parse(as_file(data), unit=unit_a, period=xl_period).errors

    assert error == f"第8行 {ratio.name}：{ratio.numerator_label}不能大于{ratio.denominator_label}。"


def test_it_shows_the_preview_with_errors_highlighted(reporter_a_client, unit_a, xl_period, xl_indicators):
    data = fill(
        template_of(unit_a, xl_period),
        {"商标有效注册量": {"本季度数值": "约85"}, "地理标志商标和地理标志保护产品总量": {"本季度数值": 63}},
    )
    response = reporter_a_client.get(upload(reporter_a_client, data, xl_period)["Location"])

    page = seen(response)
    assert "表格中有1处错误，本次不能导入" in page.text and "有错误 1 行" in page.text
    assert "第4行 商标有效注册量：数值：“约85”不是数字" in page.text
    rows = {row["行号"].text: row for row in page.table("行号").rows()}
    assert rows["4"]["表格中的数值"].text == "约85" and "不是数字" in rows["4"]["处理"].text
    assert [number for number, row in rows.items() if "不是数字" in row["处理"].text] == ["4"]
    assert "确认导入" not in page.text


def test_it_refuses_a_figure_changed_in_the_system_after_download(
    reporter_a, unit_a, xl_period, xl_indicators
):
    trademarks = xl_indicators["商标有效注册量"]
    figures_save(
        unit=unit_a, period=xl_period, by=reporter_a, inputs=[FigureInput(trademarks.pk, Figure(value=D(84)))]
    )
    template = template_of(unit_a, xl_period)
    row = Submission.objects.get()
    figures_save(
        unit=unit_a,
        period=xl_period,
        by=reporter_a,
        inputs=[FigureInput(trademarks.pk, Figure(value=D(90)), row.version)],
    )

    stale = (
        "第4行 商标有效注册量：下载模板后，该指标已在系统中被修改。"
        "为避免覆盖他人的修改，请重新下载模板后填写。"
    )
    for data in (template, fill(template, {"商标有效注册量": {"本季度数值": 86}})):
        # Untouched, the template still holds 84: importing it would silently undo the change to 90.
        assert template_parse(as_file(data), unit=unit_a, period=xl_period).errors == [stale]
        with pytest.raises(ValidationError):
            template_confirm(as_file(data), unit=unit_a, period=xl_period, by=reporter_a)
    assert Submission.objects.get().value == D(90)


def test_it_refuses_to_change_a_submitted_figure(reporter_a, unit_a, xl_period, xl_indicators):
    template = template_of(unit_a, xl_period)
    factories.SubmissionFactory(
        indicator=xl_indicators["商标有效注册量"],
        unit=unit_a,
        period=xl_period,
        value=D(80),
        state=ReviewState.SUBMITTED,
        submitted_at=datetime.datetime(2025, 8, 1, tzinfo=datetime.UTC),
    )
    data = fill(template, {"商标有效注册量": {"本季度数值": 86}})

    errors = template_parse(as_file(data), unit=unit_a, period=xl_period).errors

    assert errors == ["第4行 商标有效注册量：已报送，不能修改。如需更正请联系办公室。"]


@pytest.mark.slow
@pytest.mark.skipif(soffice_missing(), reason="LibreOffice 未安装")
def test_it_imports_a_template_saved_by_another_spreadsheet_program(
    reporter_a, unit_a, xl_period, xl_indicators, tmp_path
):
    source = tmp_path / "in" / "填报.xlsx"
    source.parent.mkdir()
    source.write_bytes(fill(template_of(unit_a, xl_period), FILLED))
    resaved = convert(source, "xlsx", tmp_path)

    with open(resaved, "rb") as file:
        assert template_confirm(file, unit=unit_a, period=xl_period, by=reporter_a).figures == 5

    stored = {row.indicator.name: row for row in Submission.objects.select_related("indicator")}
    assert stored["商标有效注册量"].value == D("85.2") and stored["版权登记量"].value == D("12.3456")
    assert (stored[RATIO].numerator, stored[RATIO].denominator, stored[COUNTIES].done) == (D(45), D(50), True)


# ------------------------------------------------------------------------------------------------------------
# Pages: who may use them, tokens, expiry, query counts
# ------------------------------------------------------------------------------------------------------------


def token_of(response) -> str:
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_it_shows_the_start_page_with_the_open_quarters(reporter_a_client, xl_period, xl_indicators):
    factories.PeriodFactory(year=2025, quarter=2)  # locked since 2025-07-30

    page = seen(reporter_a_client.get(reverse("import-start")))

    assert "下载2025年第三季度模板" in page.text and "2025年第二季度" not in page.text
    assert page.find("nav", cls="mainnav").links()["Excel导入"] == "/imports/"


@pytest.mark.parametrize("role", ["reviewer_client", "leader_client", "admin_client_"])
def test_it_is_for_reporters_only(request, role, xl_period):
    client = request.getfixturevalue(role)
    assert client.get(reverse("import-start")).status_code == 403
    assert client.get(reverse("import-template", args=[2025, 3])).status_code == 403
    assert "Excel导入" not in client.get(reverse("home")).content.decode()


def test_it_sends_anonymous_users_to_log_in(client, xl_period):
    response = client.get(reverse("import-start"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_stops_reading_an_oversized_upload_before_parsing(reporter_a_client, xl_period, monkeypatch):
    from reporting import import_views

    monkeypatch.setattr(import_views, "template_read", lambda *args, **kwargs: pytest.fail("parsed"))

    response = upload(reporter_a_client, b"PK" + b"\0" * settings.UPLOAD_MAX_BYTES, xl_period)

    assert response.status_code == 400
    assert "文件过大，超过上限5 MB" in response.content.decode()


def test_it_offers_no_template_for_a_locked_or_unknown_quarter(reporter_a_client, xl_period):
    factories.PeriodFactory(year=2025, quarter=2)

    locked = reporter_a_client.get(reverse("import-template", args=[2025, 2]))

    assert locked.status_code == 302 and messages_of(locked) == ["2025年第二季度不在填报期内，不能下载模板。"]
    assert reporter_a_client.get(reverse("import-template", args=[2031, 1])).status_code == 404


def test_it_hides_an_upload_from_everyone_but_its_uploader(
    reporter_a_client, reporter_b, unit_a, xl_period, xl_indicators
):
    data = fill(template_of(unit_a, xl_period), {"商标有效注册量": {"本季度数值": 85}})
    token = token_of(upload(reporter_a_client, data, xl_period))
    reporter_a_client.force_login(reporter_b)  # another unit's reporter, same browser or not

    assert reporter_a_client.get(reverse("import-preview", args=[token])).status_code == 404
    assert reporter_a_client.post(reverse("import-confirm", args=[token])).status_code == 404
    assert reporter_a_client.get(reverse("import-preview", args=["x" * 24])).status_code == 404
    assert not Submission.objects.exists()


def test_it_discards_an_upload_left_unconfirmed(reporter_a_client, unit_a, xl_period, xl_indicators, xl_now):
    data = fill(template_of(unit_a, xl_period), {"商标有效注册量": {"本季度数值": 85}})
    token = token_of(upload(reporter_a_client, data, xl_period))
    stored = Path(settings.MEDIA_ROOT) / "imports" / f"{token}.json"
    assert stored.exists()

    xl_now.shift(datetime.timedelta(seconds=settings.IPCITY_IMPORT_TTL_SECONDS + 1))
    response = reporter_a_client.post(reverse("import-confirm", args=[token]))

    assert messages_of(response) == ["上传的文件已过期（超过1小时未确认），请重新上传。"]
    assert not stored.exists() and not Submission.objects.exists()


def test_it_keeps_only_the_latest_uploads_of_a_session(reporter_a_client, unit_a, xl_period, xl_indicators):
    from reporting.import_views import KEPT_PER_SESSION

    data = fill(template_of(unit_a, xl_period), {"商标有效注册量": {"本季度数值": 85}})
    tokens = [token_of(upload(reporter_a_client, data, xl_period)) for _ in range(KEPT_PER_SESSION + 1)]

    assert reporter_a_client.get(reverse("import-preview", args=[tokens[0]])).status_code == 404
    assert not (Path(settings.MEDIA_ROOT) / "imports" / f"{tokens[0]}.json").exists()
    assert all(
        reporter_a_client.get(reverse("import-preview", args=[t])).status_code == 200 for t in tokens[1:]
    )


def test_it_cancels_an_upload(reporter_a_client, unit_a, xl_period, xl_indicators):
    data = fill(template_of(unit_a, xl_period), {"商标有效注册量": {"本季度数值": 85}})
    token = token_of(upload(reporter_a_client, data, xl_period))

    response = reporter_a_client.post(reverse("import-cancel", args=[token]))

    assert messages_of(response) == ["已取消本次导入，没有保存任何数据。"]
    assert not (Path(settings.MEDIA_ROOT) / "imports" / f"{token}.json").exists()
    assert reporter_a_client.get(reverse("import-preview", args=[token])).status_code == 404


def test_it_writes_nothing_when_the_quarter_locks_before_confirmation(
    reporter_a_client, unit_a, xl_period, xl_indicators, xl_now, settings
):
    settings.IPCITY_IMPORT_TTL_SECONDS = settings.SESSION_COOKIE_AGE = 180 * 24 * 3600  # a long lunch
    data = fill(template_of(unit_a, xl_period), {"商标有效注册量": {"本季度数值": 85}})
    token = token_of(upload(reporter_a_client, data, xl_period))

    xl_now.move_to(datetime.datetime(2025, 11, 5, 9, tzinfo=datetime.UTC))
    response = reporter_a_client.post(reverse("import-confirm", args=[token]))

    assert messages_of(response) == [
        "2025年第三季度已于2025年10月30日锁定，不能再填报。如确需补报，请联系办公室开放例外。"
    ]
    assert not Submission.objects.exists()


def test_it_reports_a_conflict_at_confirmation(
    reporter_a_client, unit_a, xl_period, xl_indicators, monkeypatch
):
    from audit.services import Conflict

    def conflicting(**kwargs):
        raise Conflict("市知识产权局 商标有效注册量 2025年第三季度已被他人修改。")

    data = fill(template_of(unit_a, xl_period), {"商标有效注册量": {"本季度数值": 85}})
    token = token_of(upload(reporter_a_client, data, xl_period))
    monkeypatch.setattr(preview, "figures_save", conflicting)

    response = reporter_a_client.post(reverse("import-confirm", args=[token]))

    assert messages_of(response) == [
        "市知识产权局 商标有效注册量 2025年第三季度已被他人修改。 请重新下载模板，填写后再导入。"
    ]
    assert response["Location"] == reverse("import-preview", args=[token])


def test_it_reads_the_database_a_fixed_number_of_times(
    reporter_a_client, unit_a, xl_period, xl_indicators, django_assert_max_num_queries
):
    data = fill(download(reporter_a_client, xl_period), FILLED)

    with django_assert_max_num_queries(4):
        template_parse(as_file(data), unit=unit_a, period=xl_period)
    with django_assert_max_num_queries(QUERIES["download"]):
        download(reporter_a_client, xl_period)
    with django_assert_max_num_queries(QUERIES["upload"]):
        response = upload(reporter_a_client, data, xl_period)
    with django_assert_max_num_queries(QUERIES["preview"]):
        reporter_a_client.get(response["Location"])
    with django_assert_max_num_queries(QUERIES["confirm"]):
        reporter_a_client.post(reverse("import-confirm", args=[token_of(response)]))
    assert Submission.objects.count() == 5


def test_it_parses_an_upload_once_and_previews_and_confirms_the_rows_kept(
    reporter_a_client, unit_a, xl_period, xl_indicators, monkeypatch, django_assert_max_num_queries
):
    from reporting.excel import upload as reading

    data = fill(download(reporter_a_client, xl_period), FILLED)
    response = upload(reporter_a_client, data, xl_period)
    monkeypatch.setattr(
        reading, "_open", lambda *args, **kwargs: pytest.fail("the workbook was opened again")
    )

    with django_assert_max_num_queries(QUERIES["preview"]):
        page = reporter_a_client.get(response["Location"])
    reporter_a_client.get(response["Location"])
    confirmed = reporter_a_client.post(reverse("import-confirm", args=[token_of(response)]))

    assert page.status_code == 200 and "确认导入" in page.content.decode()
    assert messages_of(confirmed)[-1].startswith(f"已保存{len(FILLED)}项指标数据")
    assert Submission.objects.get(indicator__name="商标有效注册量").value == D("85.2")


def test_it_does_not_read_kept_rows_changed_on_disk(reporter_a_client, unit_a, xl_period, xl_indicators):
    data = fill(template_of(unit_a, xl_period), {"商标有效注册量": {"本季度数值": 85}})
    token = token_of(upload(reporter_a_client, data, xl_period))
    kept = Path(settings.MEDIA_ROOT) / "imports" / f"{token}.json"
    kept.write_bytes(kept.read_bytes().replace(b"85", b"95"))

    response = reporter_a_client.post(reverse("import-confirm", args=[token]))

    assert messages_of(response) == ["上传的文件已过期（超过1小时未确认），请重新上传。"]
    assert not kept.exists() and not Submission.objects.exists()


# Per request, whatever the number of rows: session, user, unit, period, then the page's own reads (template:
# whether the unit owes anything, indicators, the quarter's figures, four earlier quarters' figures, tasks,
# the unit's roles on them, the quarter's task reports; parse: indicators, the quarter's rows, tasks, the
# quarter's task reports).
# Confirming judges the rows kept on upload again, then figures_save reads its own two and writes each new
# figure (insert, history row), figures and task reports inside one savepoint; the session is saved inside a
# savepoint.
WRITTEN = len(FILLED)
# download: one for the tasks' last reports (沿用上季度); preview: the top bar's bell
QUERIES = {"download": 12, "upload": 12, "preview": 9, "confirm": 12 + 2 * WRITTEN + 5}


# ------------------------------------------------------------------------------------------------------------
# Speed: an import of 10,000 rows within 2× of a bare read-only pass over the same file (PRODUCT.md)
# ------------------------------------------------------------------------------------------------------------

SPEED_ROWS = 10_000


def _bare_pass(data: bytes) -> int:
    """What any import must at least do: open the file read-only and stream every row of every sheet."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = sum(1 for sheet in book.worksheets for _ in sheet.iter_rows(values_only=True))
    book.close()
    return rows


def _cpu_median(runs: int, call) -> float:
    """Median CPU time of this process over `runs` calls: other processes on a shared machine take wall
    time, not this process's CPU time, and a median ignores the odd slow run."""
    timings = []
    for _ in range(runs):
        gc.collect()
        started = time.process_time()
        call()
        timings.append(time.process_time() - started)
    return statistics.median(timings)


@pytest.fixture
def ten_thousand(db):
    """A unit reporting 10,000 indicators (stocks, ratios and milestones), each with a stored draft, and its
    template; the drafts then move on, so every row of the template reads as a change to import."""
    plan = factories.PlanFactory()
    unit = factories.UnitFactory(region=plan.region)
    period = factories.PeriodFactory(year=2025, quarter=3)
    kinds = [Indicator.Measure.STOCK] * 8 + [Indicator.Measure.RATIO, Indicator.Measure.MILESTONE]
    indicators = Indicator.objects.bulk_create(
        Indicator(
            plan=plan,
            code=f"i{n}",
            name=f"指标{n}",
            unit="件",
            measure=kinds[n % 10],
            category=Indicator.Category.CREATION,
            position=n,
            numerator_label="分子" if kinds[n % 10] == Indicator.Measure.RATIO else "",
            denominator_label="分母" if kinds[n % 10] == Indicator.Measure.RATIO else "",
        )
        for n in range(SPEED_ROWS)
    )
    Assignment.objects.bulk_create(Assignment(indicator=indicator, unit=unit) for indicator in indicators)

    def draft(n: int, indicator: Indicator) -> Submission:
        figure = {
            Indicator.Measure.STOCK: {"value": D(n)},
            Indicator.Measure.RATIO: {"numerator": D(n % 50), "denominator": D(50)},
            Indicator.Measure.MILESTONE: {"done": False},
        }[indicator.measure]
        return Submission(indicator=indicator, unit=unit, period=period, **figure)

    Submission.objects.bulk_create(draft(n, indicator) for n, indicator in enumerate(indicators))
    data = template_of(unit, period)
    Submission.objects.filter(unit=unit).update(value=F("value") + 1, numerator=0, done=True)
    return unit, period, data


@pytest.mark.slow
def test_it_imports_ten_thousand_rows_within_twice_a_bare_read_only_pass(ten_thousand):
    unit, period, data = ten_thousand

    preview = template_parse(as_file(data), unit=unit, period=period)
    assert (len(preview.rows), preview.count("changed"), preview.errors) == (SPEED_ROWS, SPEED_ROWS, [])
    assert _bare_pass(data) > SPEED_ROWS * 2  # both sheets

    # Both ran once above (warm: imports, the database's caches); then the median CPU time of five runs each.
    bare = _cpu_median(5, lambda: _bare_pass(data))
    parse = _cpu_median(5, lambda: template_parse(as_file(data), unit=unit, period=period))

    ratio = parse / bare
    line = (
        f"Excel import of {SPEED_ROWS} rows: {parse:.3f}s, bare read-only {bare:.3f}s CPU, ratio {ratio:.2f}"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "excel_import_speed.txt").write_text(f"{line} ({len(data):,} bytes)\n")
    print(f"\n{line}")
    assert ratio <= 2
