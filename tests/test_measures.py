"""The measure registry (`indicators.measures`): each kind's rules, and that code asks it instead of branching
on a kind's key."""

from __future__ import annotations

import re
from decimal import Decimal as D
from pathlib import Path
from types import SimpleNamespace

import pytest

from indicators.measures import (
    MEASURES,
    Figure,
    Reading,
    api_help,
    compared_value,
    figure_errors,
    figure_missing,
    figure_needs_note,
    figure_parse,
    keys_where,
    measure_of,
    parts_text,
    reported_text,
)
from indicators.models import Indicator
from progress import judged_sql, pace, rollup_sql

ROOT = Path(__file__).resolve().parent.parent


def indicator(measure: str, *, unit: str = "件", decimals: int = 0) -> Indicator:
    """An unsaved indicator: the registry's rules read only its own fields."""
    parts = {"numerator_label": "按期结案数", "denominator_label": "应结案数"} if measure == "ratio" else {}
    return Indicator(name="指标", measure=measure, unit=unit, decimals=decimals, **parts)


def test_an_indicator_stores_exactly_the_registrys_kinds_and_shows_their_labels():
    field = Indicator._meta.get_field("measure")
    assert field.choices == [(key, kind.label) for key, kind in MEASURES.items()]
    assert all(kind.key == key for key, kind in MEASURES.items())
    assert Indicator.Measure.PER_CAPITA == "per_capita"
    assert indicator("per_capita").get_measure_display() == "每万人口"


def test_it_finds_an_indicators_kind():
    ratio = indicator("ratio")
    assert measure_of(ratio) is MEASURES["ratio"] is ratio.kind


@pytest.mark.parametrize(
    ("key", "inputs", "qualitative", "parts"),
    [
        ("stock", ("value",), False, False),
        ("flow", ("value",), False, False),
        ("cumulative", ("value",), False, False),
        ("ratio", ("numerator", "denominator"), False, True),
        ("per_capita", ("value",), False, False),
        ("milestone", ("done",), True, False),
    ],
)
def test_it_says_what_a_unit_enters_for_each_kind(key, inputs, qualitative, parts):
    kind = MEASURES[key]
    assert kind.inputs == inputs
    assert kind.is_qualitative is qualitative
    assert kind.has_parts is parts


@pytest.mark.parametrize(
    ("key", "reading"),
    [
        ("stock", Reading.LATEST),  # the last reported quarter
        ("flow", Reading.YEAR_SUM),  # the sum of the year's quarters
        ("cumulative", Reading.RUNNING_SUM),  # the running sum since the plan's start
        ("ratio", Reading.RATE),  # Σnumerator/Σdenominator, never an average of rates
        ("per_capita", Reading.PER_POPULATION),  # a stock per 万人
        ("milestone", Reading.STATUS),  # done or not, no number
    ],
)
def test_it_says_how_each_kind_reads_a_year(key, reading):
    assert MEASURES[key].reads_year_as is reading


def test_it_names_the_kinds_each_judgement_applies_to():
    assert keys_where(lambda kind: kind.is_level) == ["stock", "cumulative", "per_capita"]
    assert keys_where(lambda kind: kind.restarts_each_year) == ["flow"]
    assert keys_where(lambda kind: kind.counts_from_plan_start) == ["cumulative"]
    assert keys_where(lambda kind: kind.is_rate) == ["ratio"]
    assert keys_where(lambda kind: kind.divides_by_population) == ["per_capita"]
    # A rate is a rate anywhere; a county's share of a city-wide count is not held to the city's target.
    assert keys_where(lambda kind: kind.judged_in_every_region) == ["ratio", "per_capita"]
    assert keys_where(lambda kind: kind.reported_as_level) == ["stock", "per_capita"]


def test_it_says_what_each_kind_counts_when_plans_are_compared():
    assert {key: kind.compares_as for key, kind in MEASURES.items()} == {
        "stock": "level",
        "flow": "flow",
        "cumulative": "cumulative",
        "ratio": None,
        "per_capita": "level",
        "milestone": None,
    }


def test_pace_and_the_sql_roll_up_take_their_decisions_from_the_registry():
    series = pace.Series(measure="cumulative", start_year=2024, end_year=2026)
    assert series.kind is MEASURES["cumulative"]
    assert rollup_sql.LEVELS == "('stock', 'cumulative', 'per_capita')"
    assert rollup_sql.RESTARTING == "('flow')" and rollup_sql.RATES == "('ratio')"
    actual, divisor = judged_sql._actual(1), judged_sql._denominator(1)
    assert all(f"WHEN '{key}' THEN" in actual for key in MEASURES)
    assert "WHEN 'ratio' THEN denominator_1 WHEN 'per_capita' THEN population ELSE 1" in divisor


@pytest.mark.parametrize(
    ("key", "unit", "decimals", "text"),
    [
        ("stock", "件", 0, "填写季度末存量，单位：件，整数"),
        ("stock", "%", 1, "填写季度末存量，单位：%，最多1位小数，0—100之间"),
        ("flow", "亿元", 2, "填写本季度新增数，单位：亿元，最多2位小数"),
        ("cumulative", "件", 0, "填写本季度新增数（系统自动累计），单位：件，整数"),
        (
            "per_capita",
            "件",
            2,
            "填写季度末总数（不是每万人口数），单位：件，整数；"  # a count: 2 decimals are the rate's
            "系统按当年常住人口（万人）折算为每万人口数（件/万人）",
        ),
        # a percentage's parts: counts
        ("ratio", "%", 1, "填写分子（按期结案数）和分母（应结案数），整数；系统按Σ分子/Σ分母计算比率"),
        ("ratio", "", 1, "填写分子（按期结案数）和分母（应结案数），最多1位小数；系统按Σ分子/Σ分母计算比率"),
        ("milestone", "", 0, "填写是否已完成（是/否），并上传佐证材料"),
    ],
)
def test_it_explains_to_a_reporter_what_to_enter(key, unit, decimals, text):
    subject = indicator(key, unit=unit, decimals=decimals)
    assert subject.kind.instruction(subject) == text


@pytest.mark.parametrize(
    ("key", "unit", "shown", "entered", "units_text"),
    [
        ("stock", "万件", "万件", "万件", "万件"),
        ("flow", "亿元", "亿元", "亿元", "亿元"),
        ("cumulative", "件", "件", "件", "件"),
        ("per_capita", "件", "件/万人", "件", "件/万人（填报单位：件）"),  # the unit reports the count
        ("ratio", "", "%", "", "%"),  # a rate without a unit of its own is in %
        ("ratio", "%", "%", "", "%"),  # its parts are counts
        ("milestone", "", "", "", "—"),
    ],
)
def test_it_says_in_which_unit_a_figure_is_shown_and_entered(key, unit, shown, entered, units_text):
    subject = indicator(key, unit=unit)
    assert subject.kind.display_unit(subject) == shown
    assert subject.kind.entry_unit(subject) == entered
    assert subject.kind.units_text(subject) == units_text


def test_it_writes_the_api_docs_of_each_part_from_the_same_words():
    value = api_help("value")
    for key in ("stock", "flow", "cumulative", "per_capita"):
        assert f"{key} {MEASURES[key].label}：{MEASURES[key].asks_for}" in value
    assert "本季度新增数（系统自动累计）" in value and "折算为每万人口数" in value
    assert "ratio" not in value and "milestone" not in value
    assert api_help("numerator") == api_help("denominator")
    assert "分子和分母，系统按Σ分子/Σ分母计算比率" in api_help("numerator")
    assert "是否已完成（是/否），并上传佐证材料" in api_help("done")


def test_it_says_how_the_dashboard_words_what_is_still_needed():
    raising = [key for key, kind in MEASURES.items() if kind.needed_verb == "提高"]
    assert raising == ["stock", "per_capita"]
    assert {kind.needed_verb for kind in MEASURES.values()} == {"提高", "完成"}


def test_it_reads_only_the_parts_a_kind_uses_and_lets_the_caller_read_a_done_choice():
    raw = {"value": "12", "numerator": "9", "denominator": "10", "done": "是", "note": "说明"}
    assert figure_parse(indicator("flow"), raw) == (Figure(value=D(12), note="说明"), [])
    assert figure_parse(indicator("ratio"), raw)[0] == Figure(numerator=D(9), denominator=D(10), note="说明")
    excel = figure_parse(indicator("milestone"), {"done": "否"}, read_done=lambda raw: (raw == "是", None))
    assert excel == (Figure(done=False), [])


def test_it_validates_each_kind_by_its_own_rules():
    assert figure_errors(indicator("milestone"), Figure()) == []
    assert figure_errors(indicator("ratio", unit="%"), Figure(numerator=D(11), denominator=D(10))) == [
        "按期结案数不能大于应结案数。"
    ]
    assert figure_errors(indicator("ratio", unit="%"), Figure(numerator=D("9.5"), denominator=D(10))) == [
        "按期结案数应为整数。"
    ]
    assert figure_errors(indicator("stock", unit="%", decimals=1), Figure(value=D("100.5"))) == [
        "比率应在0到100之间。"
    ]
    # a per-capita indicator's unit reports the count the system divides: whole, whatever the rate's decimals
    assert figure_errors(indicator("per_capita", decimals=2), Figure(value=D("5413.5"))) == ["数值应为整数。"]
    assert figure_errors(indicator("per_capita", decimals=2), Figure(value=D(5413))) == []
    assert figure_missing(indicator("milestone"), Figure()) == "请选择是否已完成。"
    assert figure_missing(indicator("ratio"), Figure(numerator=D(1))) == "请填写按期结案数和应结案数。"
    assert figure_missing(indicator("flow"), Figure()) == "请填写数值。"


def test_it_holds_a_rate_against_earlier_rates_and_a_value_against_earlier_values():
    assert compared_value(indicator("ratio"), None, D(9), D(10)) == D(90)
    assert compared_value(indicator("ratio"), None, D(9), D(0)) is None
    assert compared_value(indicator("stock"), D(7), None, None) == D(7)
    assert compared_value(indicator("milestone"), None, None, None) is None
    assert compared_value(indicator("milestone"), None, None, None, True) == D(1)
    assert compared_value(indicator("milestone"), None, None, None, False) == D(0)


def test_a_milestone_that_goes_back_from_done_needs_a_note_as_a_falling_stock_does():
    milestone = indicator("milestone")
    undone = Figure(done=False)
    assert figure_needs_note(milestone, undone, [D(0), D(1)]) == (
        "该事项上期填报为“已完成”，本期为“未完成”，请在说明中解释原因。"
    )
    assert figure_needs_note(milestone, Figure(done=False, note="验收被撤回，需重新整改"), [D(1)]) is None
    assert figure_needs_note(milestone, Figure(done=True), [D(0), D(0)]) is None  # done now: no outlier
    assert figure_needs_note(milestone, undone, [D(1), D(0)]) is None  # the previous one was not done
    assert figure_needs_note(milestone, Figure(), [D(1)]) is None  # nothing chosen yet: figure_missing says
    # The one rule, asked of every kind: only levels and milestones must explain going backwards.
    for key in ("stock", "per_capita", "milestone"):
        assert MEASURES[key].backwards_note(indicator(key), D(1), D(0)) is not None
    for key in ("flow", "cumulative", "ratio"):
        assert MEASURES[key].backwards_note(indicator(key), D(1), D(0)) is None


def test_it_asks_for_a_note_when_a_level_falls_but_not_when_a_flow_does():
    fallen = Figure(value=D(90))
    assert figure_needs_note(indicator("stock"), fallen, [D(100)]) == (
        "存量指标较上期（100件）下降，请在说明中解释原因。"
    )
    assert figure_needs_note(indicator("per_capita"), fallen, [D(100)]) is not None
    assert figure_needs_note(indicator("flow"), fallen, [D(100)]) is None
    assert figure_needs_note(indicator("cumulative"), fallen, [D(100)]) is None
    rate = Figure(numerator=D(1), denominator=D(10))
    assert figure_needs_note(indicator("ratio", unit=""), rate, [D(90), D(95)]) == (
        "该数值与本单位以往填报（90—95%）差异较大，请在说明中解释原因。"
    )


@pytest.mark.parametrize(
    ("key", "figure", "text"),
    [
        ("stock", {"value": D("1234.0000")}, "1234件"),
        ("flow", {"value": None}, "—"),
        ("ratio", {"numerator": D(9), "denominator": D(10)}, "9/10（90%）"),
        ("ratio", {"numerator": D(2), "denominator": D(3)}, "2/3（66.7%）"),
        ("ratio", {"numerator": D(0), "denominator": D(0)}, "0/0"),
        ("ratio", {"numerator": D(9), "denominator": None}, "—"),
        ("milestone", {"done": True}, "已完成"),
        ("milestone", {"done": False}, "未完成"),
        ("milestone", {"done": None}, "—"),
    ],
)
def test_it_writes_a_reported_figure_as_people_read_it(key, figure, text):
    parts = {"value": None, "numerator": None, "denominator": None, "done": None, **figure}
    assert reported_text(SimpleNamespace(indicator=indicator(key), **parts)) == text


def test_it_writes_nothing_reported_as_a_dash_and_missing_parts_as_none():
    assert reported_text(None) == "—"
    assert parts_text(None, D(1)) is None


# A kind's key compared outside the registry: what rule 11 forbids.
BRANCHING = re.compile(
    r"\.measure\s*(==|!=|\bin\b|\bnot in\b)|Measure\.(STOCK|FLOW|CUMULATIVE|RATIO|PER_CAPITA|MILESTONE)\b"
)
PRODUCT = ("accounts", "audit", "plans", "indicators", "reporting", "progress", "dashboards", "exports")


def test_it_is_the_only_place_that_branches_on_a_kinds_key():
    files = [
        path
        for app in (*PRODUCT, "ipcity")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path != ROOT / "indicators" / "measures.py"
    ]
    files += list((ROOT / "templates").rglob("*.html"))
    offending = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if BRANCHING.search(line)
    ]
    assert offending == []
