"""The plan parser on patterns the two seed documents do not show: documents of our own in other styles
(tests/plan_documents/, invented places and figures), and the reading rules one by one."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from planimport.draft import draft_from_text
from planimport.figures import Span, clauses, cn_number, readings_in
from plans.unit_lists import responsible_from_note, split_unit_list

DOCUMENTS = Path(__file__).resolve().parent / "plan_documents"


def _draft(name: str) -> dict:
    return draft_from_text((DOCUMENTS / name).read_text(encoding="utf-8"))


def _targets(draft: dict) -> dict[str, list[tuple]]:
    return {
        ind["name"]: [(t["year"], t["comparator"], t["min"], t["max"]) for t in ind["targets"]]
        for ind in draft["indicators"]
    }


def _read(text: str):
    (reading,) = readings_in(text, Span(0, len(text), text))
    return reading


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("市知识产权局、科技局、工信局", ["市知识产权局", "市科技局", "市工信局"]),
        (
            "市知识产权局，市知识产权工作领导小组各成员单位",
            ["市知识产权局", "市知识产权工作领导小组各成员单位"],
        ),
        (
            "县科技局、财政局、各乡镇(街道、园区)人民政府",
            ["县科技局", "县财政局", "各乡镇(街道、园区)人民政府"],
        ),
        (
            "市中级人民法院,市人民检察院,市公安局、司法局",
            ["市中级人民法院", "市人民检察院", "市公安局", "市司法局"],
        ),
    ],
)
def test_it_splits_unit_lists_by_the_rules(line, names):
    assert split_unit_list(line) == names


@pytest.mark.parametrize(
    ("note", "line"),
    [
        ("市市场监管局负责", "市市场监管局"),
        ("市市场监管局牵头，市科技局、工信局配合", "市市场监管局,市科技局、工信局"),
        ("市市场监管局牵头", "市市场监管局"),
        ("详见附件", None),
    ],
)
def test_it_reads_a_closing_note_as_a_unit_list(note, line):
    assert responsible_from_note(note) == line


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三", 3),
        ("十", 10),
        ("十二", 12),
        ("二十五", 25),
        ("一百五十", 150),
        ("一〇五", 105),
        ("1.5", Decimal("1.5")),
    ],
)
def test_it_reads_chinese_and_arabic_numerals(text, value):
    assert cn_number(text) == Decimal(value)


@pytest.mark.parametrize(
    ("text", "comparator", "low", "high", "unit"),
    [
        ("每万人口高价值发明专利拥有量突破6件", "gt", "6", None, "件"),
        ("商标有效注册量达到88万件", "gte", "88", None, "万件"),
        ("新增专利5家以上", "gte", "5", None, "家"),
        ("开展执法行动不少于三次", "gte", "3", None, "次"),
        ("办案周期控制在60天以内", "lte", "60", None, "天"),
        ("新增优势企业1—2家", "between", "1", "2", "家"),
        ("举办培训4-5场", "between", "4", "5", "场"),
        ("服务覆盖率达到百分之九十以上", "gte", "90", None, "%"),
        ("案件按期结案率达90%以上", "gte", "90", None, "%"),
        ("质押融资金额超过2.5亿元", "gt", "2.5", None, "亿元"),
    ],
)
def test_it_reads_a_figure_its_comparator_and_unit(text, comparator, low, high, unit):
    reading = _read(text)
    assert (reading.comparator, reading.unit) == (comparator, unit)
    assert reading.low == Decimal(low)
    assert reading.high == (Decimal(high) if high else None)
    assert text[reading.figure_span.start : reading.figure_span.end] == reading.figure_span.text


def test_a_bare_figure_is_an_open_reading_with_its_question():
    reading = _read("新增注册商标150件")
    assert reading.comparator == "gte"
    assert reading.confidence < 0.9
    assert "150件" in reading.questions[0]


def test_it_marks_a_figure_stated_cumulatively():
    assert _read("实施期内累计新增注册商标350件").cumulative
    assert not _read("年度高价值发明专利拥有量达750件").cumulative


def test_it_distributes_names_over_figures_after_fenbie():
    text = "优势示范企业、公共服务网点总数分别突破360家、18个"
    first, second = readings_in(text, Span(0, len(text), text))
    assert (first.name, first.comparator, first.low) == ("优势示范企业总数", "gt", Decimal(360))
    assert (second.name, second.low, second.unit) == ("公共服务网点总数", Decimal(18), "个")


def test_clauses_do_not_cut_inside_brackets_or_quotes():
    text = "全面建成“对标国际、引领全国,带动全省”的示范城市,到2026年"
    assert [c.text for c in clauses(text)] == ["全面建成“对标国际、引领全国,带动全省”的示范城市", "到2026年"]


def test_a_city_document_with_bracketed_items_notes_and_year_steps():
    draft = _draft("shili-city.txt")
    plan = draft["plan"]
    assert (plan["start_year"], plan["end_year"], plan["region"]) == (2025, 2027, "示例市")
    assert (plan["issuer"], plan["issued_on"]) == ("示例市人民政府办公室", "2025-03-10")
    assert [(s["number"], s["title"]) for s in draft["sections"]] == [
        (1, "提升创造质量"),
        (2, "加强保护运用"),
    ]
    first, second = draft["sections"][0]["tasks"]
    # (1) has no lead phrase: its title is its first words, asked about; its text is whole.
    assert first["title"].endswith("…") and first["questions"]
    assert first["text"].startswith("围绕新材料") and first["text"].endswith("配合）。")
    assert split_unit_list(first["responsible"]) == ["市市场监管局", "市科技局", "市工信局"]
    assert (second["title"], second["responsible"]) == ("优化商标品牌培育", "市市场监管局")
    targets = _targets(draft)
    assert targets["每万人口高价值发明专利拥有量"] == [(2027, "gte", "12", None)]
    assert targets["有效注册商标总量"] == [(2027, "gt", "1.5", None)]
    assert targets["知识产权质押融资金额"] == [(2027, "growth", None, None)]
    assert targets["专利侵权纠纷行政裁决平均办案周期"] == [(2027, "lte", None, "60")]
    assert targets["新建商标品牌指导站"] == [
        (2025, "between", "3", "5"),
        (2026, "gte", "10", None),
        (2027, "gte", "15", None),
    ]
    assert targets["建成市级知识产权公共服务平台"] == [(2027, "done", None, None)]
    measures = {ind["name"]: ind["measure"] for ind in draft["indicators"]}
    assert measures["每万人口高价值发明专利拥有量"] == "per_capita"
    assert measures["新建商标品牌指导站"] == "cumulative"
    assert measures["建成市级知识产权公共服务平台"] == "milestone"
    assert [u["figure"] for u in draft["unused_figures"]] == ["28家"]


def test_a_county_document_with_parts_lead_and_co_units_and_groups():
    draft = _draft("yangben-county.txt")
    assert (draft["plan"]["issuer"], draft["plan"]["issued_on"]) == ("样本县人民政府", "2024-05-06")
    (section,) = draft["sections"]
    assert [t["title"] for t in section["tasks"]] == ["强化主体培育", "推进运营服务"]
    assert split_unit_list(section["tasks"][0]["responsible"]) == [
        "县市场监管局", "县科技局", "县财政局", "各乡镇(街道、园区)人民政府",
    ]  # fmt: skip
    assert draft["units"]["县知识产权工作领导小组各成员单位"] == "group"
    measures = {ind["name"]: (ind["measure"], ind["targets"][0]["comparator"]) for ind in draft["indicators"]}
    assert measures["专利转化实施率"] == ("ratio", "gt")
    assert measures["全县有效发明专利拥有量"] == ("stock", "gte")


def test_a_park_document_with_year_lines():
    draft = _draft("yangli-park.txt")
    assert draft["plan"]["issued_on"] is None
    assert any("成文日期" in question for question in draft["questions"])
    targets = _targets(draft)
    assert targets["新增专利授权量"] == [
        (2024, "gte", "300", None),
        (2025, "gte", "350", None),
        (2026, "gte", "400", None),
    ]
    assert targets["知识产权沙龙"] == [(2024, "between", "2", "3"), (2025, "between", "2", "3")]
    assert targets["知识产权服务覆盖率"] == [(2026, "gte", "90", None)]


@pytest.mark.parametrize("name", ["shili-city.txt", "yangben-county.txt", "yangli-park.txt"])
def test_every_span_is_the_text_it_claims(name):
    draft = _draft(name)
    text = draft["text"]
    for ind in draft["indicators"]:
        for target in ind["targets"]:
            for span in target["spans"]:
                assert text[span["start"] : span["end"]] == span["text"]
    for section in draft["sections"]:
        for task in section["tasks"]:
            for span in task.get("responsible_spans", []):
                assert text[span["start"] : span["end"]] == span["text"]


def test_it_reads_a_target_table_year_by_year():
    text = (
        "样表市知识产权工作方案（2025—2027年）\n附件\n指标\t单位\t2025年\t2026年\t2027年\n"
        "有效发明专利拥有量\t件\t1200\t1300\t≥1500\n"
        "专利行政裁决办案周期\t天\t≤90\t≤80\t≤60\n"
        "举办知识产权培训\t场\t3-5\t3-5\t\n"
    )
    draft = draft_from_text(text)
    assert _targets(draft) == {
        "有效发明专利拥有量": [
            (2025, "gte", "1200", None),
            (2026, "gte", "1300", None),
            (2027, "gte", "1500", None),
        ],
        "专利行政裁决办案周期": [
            (2025, "lte", None, "90"),
            (2026, "lte", None, "80"),
            (2027, "lte", None, "60"),
        ],
        "知识产权培训": [(2025, "between", "3", "5"), (2026, "between", "3", "5")],
    }
    bare = draft["indicators"][0]["targets"][0]
    assert bare["questions"] and bare["spans"][0]["text"].startswith("有效发明专利拥有量\t件")
    assert draft["text"][bare["figure_span"]["start"] : bare["figure_span"]["end"]] == "1200"
