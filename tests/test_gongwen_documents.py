"""The outgoing documents (公文) as .docx, read back with python-docx: the GB/T 9704-2012 page, the East Asian
fonts and sizes, the 文号, the as-of line, the 附件's one row per indicator; both converted to PDF."""

from __future__ import annotations

import datetime

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from exports import charts
from exports.documents import DRAFTS, export_to_path
from exports.documents.common import chinese_number, enumerated
from exports.models import OfficialDocument
from exports.pdf import PdfUnavailable
from tests.soffice import pdf_pages, soffice_missing

NUMBER = "泉知领办〔2025〕7号"


def _east_asia(run) -> str | None:
    return run.element.rPr.rFonts.get(qn("w:eastAsia"))


def _mm(length) -> float:
    return round(length.mm, 1)


def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def _paragraph(doc, text: str):
    return next(p for p in doc.paragraphs if p.text == text)


def _settings(plan, kind, **values) -> OfficialDocument:
    return OfficialDocument.objects.create(plan=plan, year=2025, quarter=3, kind=kind, **values)


def _docx(scenario, kind, tmp_path):
    path = tmp_path / f"{kind}.docx"
    export_to_path(
        kind=kind, format="docx", plan=scenario.plan, year=scenario.year, quarter=scenario.quarter, path=path
    )
    return Document(str(path))


@pytest.mark.parametrize("kind", ["report", "bulletin"])
def test_it_lays_out_the_page_as_gbt_9704(report_scenario, tmp_path, kind):
    doc = _docx(report_scenario, kind, tmp_path)
    section = doc.sections[0]
    # Word stores lengths in twips: compared to a tenth of a millimetre.
    assert (_mm(section.page_width), _mm(section.page_height)) == (210, 297)
    assert (_mm(section.top_margin), _mm(section.bottom_margin)) == (37, 35)
    assert (_mm(section.left_margin), _mm(section.right_margin)) == (28, 26)
    # Page numbers — 1 — on the outer edges: odd pages right, even pages left, in 4号 宋体.
    assert doc.settings.odd_and_even_pages_header_footer
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    assert odd.alignment == 2 and even.alignment == 0  # RIGHT, LEFT
    for footer in (odd, even):
        assert footer.text == "—  —"  # the PAGE field's number sits between the dashes
        assert b"PAGE" in footer._p.xml.encode()
        assert {_east_asia(run) for run in footer.runs} == {"宋体"}
        assert {run.font.size for run in footer.runs} == {Pt(14)}


@pytest.mark.parametrize("kind", ["report", "bulletin"])
def test_every_run_names_its_east_asian_font_title_2hao_xiaobiaosong_body_3hao_fangsong(
    report_scenario, tmp_path, kind
):
    doc = _docx(report_scenario, kind, tmp_path)
    title = next(p for p in doc.paragraphs if p.text.startswith("关于"))
    assert {(_east_asia(r), r.font.size) for r in title.runs} == {("方正小标宋简体", Pt(22))}
    body = _paragraph(doc, "一、总体情况").runs[0]
    assert (_east_asia(body), body.font.size) == ("黑体", Pt(16))
    opening = next(p for p in doc.paragraphs if p.text.startswith("根据《"))
    assert {(_east_asia(r), r.font.size) for r in opening.runs} == {("仿宋_GB2312", Pt(16))}
    # 22 lines to the page: every body paragraph's line pitch is exactly 28.95 pt.
    assert round(opening.paragraph_format.line_spacing.pt, 2) == 28.95
    for paragraph in doc.paragraphs:
        for run in paragraph.runs:
            if run.text:
                assert _east_asia(run), f"{run.text!r} has no East Asian font"


def test_the_fallback_fonts_are_song_bold_and_fangsong(report_scenario, tmp_path):
    _settings(report_scenario.plan, "bulletin", common_fonts=True)
    doc = _docx(report_scenario, "bulletin", tmp_path)
    title = next(p for p in doc.paragraphs if p.text.startswith("关于"))
    assert {(_east_asia(r), r.font.bold) for r in title.runs} == {("宋体", True)}
    opening = next(p for p in doc.paragraphs if p.text.startswith("根据《"))
    assert {_east_asia(r) for r in opening.runs} == {"仿宋"}


def test_the_report_carries_the_offices_settings_the_as_of_line_and_a_row_per_indicator(
    report_scenario, tmp_path
):
    plan = report_scenario.plan
    _settings(
        plan,
        "report",
        number=NUMBER,
        contact="张三",
        phone="0595-22500000",
        copy_to="省知识产权局",
        signed_on=datetime.date(2025, 10, 20),
    )
    doc = _docx(report_scenario, "report", tmp_path)
    texts = _texts(doc)
    assert NUMBER in texts
    masthead = _paragraph(doc, "泉州市知识产权工作领导小组办公室")
    assert masthead.runs[0].font.color.rgb is not None  # the red 版头
    assert "关于泉州市示范城市建设2025年第三季度工作进展情况的报告" in texts
    assert f"{plan.issuer}：" in texts  # 主送
    assert any(t.startswith("数据截至") and "尚有2项待审核" in t for t in texts)
    assert "2025年10月20日" in texts  # 成文日期, Arabic numerals without leading zeros
    assert "（联系人：张三，电话：0595-22500000）" in texts
    assert "抄送：省知识产权局。" in texts
    assert any(t.startswith("泉州市知识产权工作领导小组办公室\t2025年10月20日印发") for t in texts)
    # 附件说明: the second name aligned under the first
    first = texts.index("附件：1．2025年第三季度主要指标进展情况表")
    assert texts[first + 1] == "\u3000\u3000\u30002．2025年第三季度主要指标进展情况图"
    assert "附件1" in texts and "附件2" in texts
    (table,) = doc.tables
    assert [cell.text for cell in table.rows[0].cells][:2] == ["序号", "指标"]
    indicators = report_scenario.indicators
    assert len(table.rows) == 1 + len(indicators)
    assert [row.cells[1].text for row in table.rows[1:]] == [i.name for i in indicators]
    # The charts are PNG images in the document.
    assert len(doc.inline_shapes) >= 2 + 2  # two red/black rules at least, and the charts


def test_the_report_writes_each_indicator_against_its_target_and_pace_saying_provisional(
    report_scenario, tmp_path
):
    doc = _docx(report_scenario, "report", tmp_path)
    body = "\n".join(_texts(doc))
    headings = ["一、总体情况", "二、主要指标完成情况", "三、重点任务推进情况"]
    for heading in [*headings, "四、存在问题", "五、下步计划"]:
        assert heading in body
    first = report_scenario.progress[0]
    assert f"{first.indicator.name}截至第三季度末为" in body
    assert "年度目标" in body and "序时进度" in body


def test_the_bulletin_has_its_sections_and_names_the_units(report_scenario, tmp_path):
    _settings(report_scenario.plan, "bulletin", number=NUMBER, copy_to="市政府办公室")
    doc = _docx(report_scenario, "bulletin", tmp_path)
    texts = _texts(doc)
    assert NUMBER in texts
    assert "各责任单位：" in texts
    for heading in ("一、总体情况", "二、表扬", "三、通报", "四、工作要求"):
        assert heading in texts
    assert "（征求意见稿）" in texts  # items await review
    assert any(t.startswith("数据截至") for t in texts)
    assert "抄送：市政府办公室。" in texts


def test_an_edit_is_kept_across_exports_while_the_figures_stay_generated(report_scenario, tmp_path):
    plan = report_scenario.plan
    _settings(plan, "report", problems="一是人手不足；二是数据口径仍待统一。", next_steps="加快进度。")
    for _ in range(2):
        texts = _texts(_docx(report_scenario, "report", tmp_path))
        assert "一是人手不足；二是数据口径仍待统一。" in texts
        assert "加快进度。" in texts
        assert any("截至第三季度末为" in text for text in texts)  # the figures' sentences, generated


def test_a_draft_reads_its_wording_from_the_data(report_scenario):
    draft = DRAFTS["report"](report_scenario.plan, 2025, 3, charts=False)
    assert set(draft.drafts) == {"opening", "overall", "problems", "next_steps"}
    assert draft.drafts["opening"].startswith("根据《")
    bulletin = DRAFTS["bulletin"](report_scenario.plan, 2025, 3)
    assert set(bulletin.drafts) == {"opening", "requirements"}
    assert bulletin.gongwen.title.endswith("工作推进情况的通报")


def test_it_writes_chinese_ordinals():
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 25, 99, 100)] == [
        "一", "九", "十", "十一", "二十", "二十五", "九十九", "100",
    ]  # fmt: skip
    assert enumerated(["加强宣传。", "", "强化保护；"]) == "一是加强宣传；二是强化保护。"


def test_without_a_chinese_font_the_charts_are_refused_in_chinese(monkeypatch, report_scenario, tmp_path):
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("没有这种字体",))
    with pytest.raises(charts.NoChineseFont, match="fonts-noto-cjk"):
        _docx(report_scenario, "report", tmp_path)
    assert not (tmp_path / "report.docx").exists()  # all or nothing


def test_without_libreoffice_a_pdf_is_refused_in_chinese(monkeypatch, report_scenario, tmp_path):
    monkeypatch.setattr("exports.pdf.shutil.which", lambda name: None)
    with pytest.raises(PdfUnavailable, match="未安装 LibreOffice"):
        path = tmp_path / "b.pdf"
        plan = report_scenario.plan
        export_to_path(kind="bulletin", format="pdf", plan=plan, year=2025, quarter=3, path=path)
    assert not (tmp_path / "b.pdf").exists()


@pytest.mark.skipif(soffice_missing(), reason="LibreOffice (soffice) 未安装")
@pytest.mark.parametrize("kind", ["report", "bulletin"])
def test_libreoffice_converts_each_to_pdf(report_scenario, tmp_path, kind):
    path = tmp_path / f"{kind}.pdf"
    export_to_path(kind=kind, format="pdf", plan=report_scenario.plan, year=2025, quarter=3, path=path)
    assert path.read_bytes().startswith(b"%PDF")
    assert pdf_pages(path) >= 1
