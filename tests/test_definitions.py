"""Definitions (口径): what each indicator counts, from when, level or flow, the sentences it rests on; 待确认
where the documents leave the reading open, until the office confirms or changes it on /office/definitions/.

Each reading the documents support is tested against the sentence it rests on, read from the seed document
itself (fixtures/sources/ holds the seeds)."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from exports.selectors.report import report_data
from indicators.models import Baseline, Indicator, RollupPending, Target
from indicators.services import DefinitionInput, definition_change, plans_load_all
from tests.page import seen

SOURCES = Path(settings.BASE_DIR) / "fixtures" / "sources"
FIXTURES = Path(settings.BASE_DIR) / "fixtures"
QZ, ZJ = "quanzhou-2024-2026", "zhenjiang-edz-2024-2026"
PLAN_DOCUMENT, WHITE_PAPER, ZJ_DOCUMENT = (
    "001_d7ff711454ad8966.txt",
    "003_fef7b7a737b07aaf.txt",
    "004_41b59300563f89c1.txt",
)
LIST = "/office/definitions/"


def _seed(name: str) -> str:
    return re.sub(r"\s+", "", (SOURCES / name).read_text(encoding="utf-8"))


def _quoted(sentence: str, name: str) -> None:
    assert re.sub(r"\s+", "", sentence) in _seed(name), sentence


def _indicator(slug: str, code: str) -> Indicator:
    return Indicator.objects.select_related("plan").get(plan__slug=slug, code=code)


def _targets(indicator: Indicator) -> dict[int, tuple]:
    return {t.year: (t.comparator, t.min, t.origin) for t in indicator.targets.all()}


# The readings ----------------------------------------------------------------------------------------------


def test_copyright_is_the_end_of_2026_level_its_sentence_states_with_the_start_of_the_count_open(plans):
    # Every item of this sentence is a level at the end of 2026: 拥有量, 有效注册量, 总量, 总数, 数量.
    _quoted("至2026年末,力争每万人口高价值发明专利拥有量突破6件,商标有效注册量达到88万件", PLAN_DOCUMENT)
    _quoted("地理标志商标和地理标志保护产品总量达到68件,版权登记量达到70万件;", PLAN_DOCUMENT)
    # The white paper's figure is one year's registrations, not a running count: no baseline of a level.
    _quoted("2021年全市版权作品登记量65182件，继续位居全省首位", WHITE_PAPER)
    copyright_ = _indicator(QZ, "copyright-registrations")
    assert copyright_.measure == "stock" and copyright_.kind.reported_as_level
    assert _targets(copyright_) == {2026: ("gte", Decimal(70), "document")}  # no derived milestones
    assert not copyright_.baselines.exists()
    assert copyright_.definition_pending
    assert "从哪一年开始累计" in copyright_.counts_from
    assert "自哪一年起累计" in copyright_.definition_question
    assert "65182件" in copyright_.definition and "不作基期值" in copyright_.definition
    assert "同一口径" not in copyright_.description + copyright_.definition


def test_no_fixture_claims_a_same_definition_no_document_states():
    for name in ("quanzhou-2024-2026.yaml", "zhenjiang-edz-2024-2026.yaml"):
        assert "同一口径" not in (FIXTURES / name).read_text(encoding="utf-8"), name


def test_52_counts_only_gi_trademarks_so_it_is_no_baseline_and_its_milestones_go(plans):
    _quoted("地理标志商标和地理标志保护产品总量达到68件", PLAN_DOCUMENT)
    _quoted("全市地理标志商标总量达到52件", WHITE_PAPER)  # 地理标志商标 only
    gi = _indicator(QZ, "geographical-indications")
    assert gi.measure == "stock"
    assert not gi.baselines.exists()
    # The 2024/2025 bars (62, 65) were derived from 52: they go, and nothing remains to derive them from.
    assert _targets(gi) == {2026: ("gte", Decimal(68), "document")}
    assert "52件" in gi.definition and "不作本指标基期值" in gi.definition  # kept as a reference figure
    assert gi.definition_pending and "计1件还是2件" in gi.definition_question


def test_the_trademark_baseline_counts_what_its_target_counts(plans):
    _quoted("商标有效注册量达到88万件", PLAN_DOCUMENT)
    _quoted("有效注册商标量64.28万件", WHITE_PAPER)
    trademarks = _indicator(QZ, "trademarks")
    assert trademarks.measure == "stock" and not trademarks.definition_pending
    assert [(b.year, b.value) for b in trademarks.baselines.all()] == [(2021, Decimal("64.28"))]
    assert _targets(trademarks)[2024] == ("gte", Decimal("78.51"), "derived")


def test_zhenjiang_counts_trademarks_from_the_plans_first_month(plans):
    _quoted("实施期内累计新增注册商标350件", ZJ_DOCUMENT)
    _quoted("(一)第一年(2024年1月—12月)", ZJ_DOCUMENT)
    trademarks = _indicator(ZJ, "new-trademarks")
    assert trademarks.measure == "cumulative" and not trademarks.definition_pending
    assert "2024年1月" in trademarks.counts_from


def test_the_talent_target_and_the_training_step_are_not_claimed_to_be_one_count(plans):
    _quoted("新增企业知识产权专业人才200人以上", ZJ_DOCUMENT)
    _quoted("企业参加内审员、知识产权师等专题培训结业人员200人以上", ZJ_DOCUMENT)
    talent = _indicator(ZJ, "new-ip-talent")
    assert talent.definition_pending and "是否同一统计对象" in talent.definition_question
    assert "口径按" not in talent.description


@pytest.mark.parametrize(
    ("code", "scope"),
    [("advantage-enterprises", "国家级和省级"), ("service-outlets", "知识产权信息公共服务网点")],
)
def test_quanzhou_scopes_are_those_of_its_sentence(plans, code, scope):
    sentence = "国家级和省级知识产权优势示范企业、知识产权信息公共服务网点总数分别突破360家、18个"
    _quoted(sentence, PLAN_DOCUMENT)
    indicator = _indicator(QZ, code)
    assert scope in indicator.definition and sentence in indicator.definition_source
    assert indicator.definition_pending and not indicator.comparable_key


def test_zhenjiang_advantage_enterprises_are_national_only(plans):
    _quoted("累计国家知识产权优势/示范企业13家", ZJ_DOCUMENT)
    indicator = _indicator(ZJ, "advantage-enterprises")
    assert "只计国家级，不含省级" in indicator.definition
    assert not indicator.comparable_key  # not Quanzhou's 国家级和省级


def test_only_high_value_patents_owned_share_a_comparable_key_by_default(plans):
    _quoted("每万人口高价值发明专利拥有量突破6件", PLAN_DOCUMENT)
    _quoted("全区高价值发明专利拥有量达到850件", ZJ_DOCUMENT)
    keyed = Indicator.objects.exclude(comparable_key="").values_list("plan__slug", "code", "comparable_key")
    assert sorted(keyed) == [
        (QZ, "hv-invention-patents-per-10k", "hv-invention-patents-owned"),
        (ZJ, "hv-invention-patents", "hv-invention-patents-owned"),
    ]


@pytest.mark.parametrize(("slug", "documents"), [(QZ, (PLAN_DOCUMENT, WHITE_PAPER)), (ZJ, (ZJ_DOCUMENT,))])
def test_every_indicator_has_a_definition_quoting_its_documents(plans, slug, documents):
    text = "".join(_seed(name) for name in documents)
    indicators = list(Indicator.objects.filter(plan__slug=slug))
    assert len(indicators) == {QZ: 10, ZJ: 23}[slug]
    for indicator in indicators:
        assert indicator.definition and indicator.counts_from and indicator.definition_source, indicator.code
        for line in indicator.definition_source.splitlines():
            assert re.sub(r"\s+", "", line) in text, (indicator.code, line)
        if indicator.definition_pending:
            assert len(indicator.definition_question) > 10, indicator.code
        assert not indicator.definition_by_office


def test_reloading_drops_the_baselines_and_milestones_that_stood_on_another_count(plans):
    gi = _indicator(QZ, "geographical-indications")
    Baseline.objects.create(indicator=gi, year=2021, value=52, source="全市地理标志商标总量达到52件")
    for year, value in ((2024, 62), (2025, 65)):
        Target.objects.create(
            indicator=gi, year=year, comparator="gte", min=value, origin="derived", source="推算"
        )
    Indicator.objects.filter(pk=gi.pk).update(measure="flow")
    plans_load_all()
    gi.refresh_from_db()
    assert gi.measure == "stock" and not gi.baselines.exists()
    assert _targets(gi) == {2026: ("gte", Decimal(68), "document")}
    assert Baseline.history.filter(indicator_id=gi.pk, history_type="-").exists()  # the deletion is audited


# The office's page -----------------------------------------------------------------------------------------


def _post(client, indicator, **changes):
    form = {
        "confirmed": "confirmed",
        "question": indicator.definition_question,
        "definition": indicator.definition,
        "counts_from": indicator.counts_from,
        "measure": indicator.measure,
        "comparable_key": indicator.comparable_key,
        "baseline_year": "",
        "baseline_value": "",
        "baseline_source": "",
        "reason": "经与市版权局核实",
    }
    baseline = indicator.latest_baseline
    if baseline:
        form.update(
            baseline_year=baseline.year, baseline_value=str(baseline.value), baseline_source=baseline.source
        )
    form.update(changes)
    return client.post(f"{LIST}{indicator.pk}/", form)


def test_the_office_lists_every_indicator_pending_first(
    reviewer_client, plans, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = reviewer_client.get(LIST)
    page = seen(response)
    states = [row.attrs["data-state"] for row in page.find_all("tr") if "data-state" in row.attrs]
    assert len(states) == 33 and states == sorted(states, key=lambda state: state != "pending")
    assert f"{states.count('pending')}项指标的口径待确认" in page.text
    copyright_ = page.find("tr", data_indicator=f"{QZ}/copyright-registrations").text
    assert "待确认" in copyright_ and "自哪一年起累计" in copyright_ and "存量（期末值）" in copyright_
    zhenjiang = seen(reviewer_client.get(LIST, {"plan": ZJ}))
    assert "商标有效注册量" not in zhenjiang.text and "新增注册商标" in zhenjiang.text


def test_the_office_confirms_a_reading_with_a_reason_audited(reviewer_client, reviewer, plans):
    gi = _indicator(QZ, "geographical-indications")
    response = _post(reviewer_client, gi, definition=gi.definition + "同一产品两类均有时计2件。")
    assert response.status_code == 302
    gi.refresh_from_db()
    assert not gi.definition_pending and gi.definition_by_office and gi.definition.endswith("计2件。")
    record = gi.history.first()
    assert (record.history_user, record.history_change_reason) == (
        reviewer,
        "确认或修改口径：经与市版权局核实",
    )
    # The definition changed: the plan's years are queued for the roll-up.
    assert sorted(RollupPending.objects.filter(indicator=gi).values_list("year", flat=True)) == [
        2024,
        2025,
        2026,
    ]
    # load_plans leaves the office's reading alone.
    plans_load_all()
    gi.refresh_from_db()
    assert not gi.definition_pending and gi.definition.endswith("计2件。")
    html = seen(reviewer_client.get(LIST)).find("tr", data_indicator=f"{QZ}/geographical-indications").text
    assert "已确认" in html and "办公室已核定" in html


def test_confirming_alone_recomputes_nothing(reviewer_client, plans):
    trademarks = _indicator(QZ, "trademarks")
    assert _post(reviewer_client, trademarks, comparable_key="trademarks-valid").status_code == 302
    assert not RollupPending.objects.exists()
    assert Indicator.objects.get(pk=trademarks.pk).comparable_key == "trademarks-valid"


def test_a_baseline_the_office_sets_derives_the_milestones_again(reviewer_client, plans):
    gi = _indicator(QZ, "geographical-indications")
    source = "办公室核定：2023年末地理标志商标和地理标志保护产品合计62件"
    response = _post(reviewer_client, gi, baseline_year="2023", baseline_value="62", baseline_source=source)
    assert response.status_code == 302
    assert _targets(gi) == {
        2024: ("gte", Decimal(64), "derived"),
        2025: ("gte", Decimal(66), "derived"),
        2026: ("gte", Decimal(68), "document"),
    }
    assert gi.targets.get(year=2024).history.first().history_change_reason.startswith("确认或修改口径")
    plans_load_all()  # the office's baseline and what stands on it stay
    assert set(_targets(gi)) == {2024, 2025, 2026} and gi.baselines.get().year == 2023
    # Taking the baseline away takes the milestones derived from it.
    assert (
        _post(reviewer_client, gi, baseline_year="", baseline_value="", baseline_source="").status_code == 302
    )
    assert _targets(gi) == {2026: ("gte", Decimal(68), "document")} and not gi.baselines.exists()


def test_a_change_of_measure_kind_drops_the_milestones_of_a_level(reviewer_client, plans):
    trademarks = _indicator(QZ, "trademarks")
    assert _post(reviewer_client, trademarks, measure="flow", baseline_year="", baseline_value="",
                 baseline_source="").status_code == 302  # fmt: skip
    trademarks.refresh_from_db()
    assert trademarks.measure == "flow" and set(_targets(trademarks)) == {2026}
    assert RollupPending.objects.filter(indicator=trademarks).count() == 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": ""}, "请填写确认或修改理由"),
        ({"measure": "ratio"}, "选择一个有效的选项"),  # not filled in the same way: not offered
        ({"confirmed": "pending", "question": ""}, "请写明待确认的问题"),
        (
            {"baseline_year": "2021", "baseline_value": "3,5", "baseline_source": "x"},
            "基期值“3,5”不是有效的数字",
        ),
        (
            {"baseline_year": "2021", "baseline_value": "8e1", "baseline_source": "x"},
            "基期值“8e1”不是有效的数字",
        ),
        (
            {"baseline_year": "2024", "baseline_value": "60", "baseline_source": "x"},
            "基期年份应早于方案实施期",
        ),
        (
            {"baseline_year": "2021", "baseline_value": "60", "baseline_source": ""},
            "须同时填写年份、数值和来源",
        ),
    ],
)
def test_bad_input_is_refused_in_chinese_and_changes_nothing(reviewer_client, plans, changes, message):
    gi = _indicator(QZ, "geographical-indications")
    response = _post(reviewer_client, gi, **changes)
    assert response.status_code == 200 and message in seen(response).text
    assert _indicator(QZ, "geographical-indications").definition_pending
    assert not gi.baselines.exists() and not RollupPending.objects.exists()


def test_a_count_from_the_plans_start_takes_no_baseline(reviewer_client, plans):
    trainees = _indicator(ZJ, "trainees")
    response = _post(
        reviewer_client, trainees, baseline_year="2023", baseline_value="100", baseline_source="x"
    )
    assert "不设基期值" in seen(response).text and not trainees.baselines.exists()


def test_a_change_saved_meanwhile_wins_and_the_stale_form_is_told(reviewer_client, plans):
    gi = _indicator(QZ, "geographical-indications")
    page = seen(reviewer_client.get(f"{LIST}{gi.pk}/"))
    stale = page.fields()["seen"]
    assert _post(reviewer_client, gi, seen=stale, definition="甲的口径").status_code == 302
    response = _post(reviewer_client, gi, seen=stale, definition="乙的口径")
    assert response.status_code == 200 and "已被他人修改" in seen(response).text
    assert _indicator(QZ, "geographical-indications").definition == "甲的口径"


def test_the_service_refuses_a_kind_filled_in_another_way_and_anyone_but_the_office(
    reviewer, reporter_a, plans
):
    gi = _indicator(QZ, "geographical-indications")
    data = DefinitionInput(
        definition="x", counts_from="y", measure="ratio", comparable_key="", baseline=None, confirmed=True
    )
    with pytest.raises(ValidationError, match="填报内容不同"):
        definition_change(indicator=gi, data=data, by=reviewer, reason="改为比率")
    with pytest.raises(PermissionDenied):
        definition_change(indicator=gi, data=replace(data, measure="stock"), by=reporter_a, reason="x")
    assert _indicator(QZ, "geographical-indications").definition_pending


def test_reporters_and_leaders_may_not_open_the_office_page(client, reporter_a, leader, plans):
    gi = _indicator(QZ, "geographical-indications")
    for user in (reporter_a, leader):
        client.force_login(user)
        assert client.get(LIST).status_code == 403
        assert _post(client, gi).status_code == 403
    assert _indicator(QZ, "geographical-indications").definition_pending


# The marks -------------------------------------------------------------------------------------------------


def test_leaders_see_the_pending_mark_on_cards_and_the_indicator_page(leader_client, plans):
    overview = seen(leader_client.get(f"/plans/{QZ}/"))
    card = overview.find(data_indicator="copyright-registrations")
    mark = card.find("sup", cls="definition-mark")
    assert mark.text == "待确认" and "自哪一年起累计" in mark.attrs["title"]
    assert not overview.find(data_indicator="trademarks").find_all("sup", cls="definition-mark")
    page = seen(leader_client.get(f"/plans/{QZ}/indicators/copyright-registrations/"))
    assert page.find("h2").find("sup", cls="definition-mark").text == "待确认"
    assert "起算 待确认：文件未说明70万件从哪一年开始累计。" in page.text
    assert "版权登记量达到70万件" in page.text  # the sentence it rests on


def test_reporters_see_the_definition_but_not_the_mark(reporter_a_client, plans):
    page = seen(reporter_a_client.get(f"/plans/{QZ}/"))
    assert not page.find_all("sup", cls="definition-mark")


def test_the_excel_report_opens_the_notes_of_a_pending_reading_with_its_question(quanzhou):
    data = report_data(quanzhou, 2026, 3)
    notes = {
        line.indicator.code: text.notes
        for line, text in zip(data.indicators, data.indicator_texts(), strict=True)
    }
    assert notes["copyright-registrations"].startswith("【口径待确认】70万件是自哪一年起累计")
    assert notes["trademarks"] is None
