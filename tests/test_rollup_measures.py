"""The roll-up against figures computed by hand: every measure kind and comparator, on the real plans'
indicators where they have one (Zhenjiang's cumulative trademarks, its 1—2 range and 结案率; Quanzhou's
per-10k patents and its growth target), on small factory plans otherwise. Each expectation is worked out in
the comment above it."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from indicators.models import Indicator, Target
from plans.models import Region, Unit
from progress.rollup import rollup_full
from tests import factories


def report(indicator, unit, year, quarter, **figure):
    return factories.ApprovedSubmissionFactory(
        indicator=indicator, unit=unit, period__year=year, period__quarter=quarter, **figure
    )


def figures(row):
    return (row.actual, row.expected, row.completion, row.status)


@pytest.fixture
def zj_unit(zhenjiang):
    return factories.UnitFactory(region=zhenjiang.region, name="经开区市场局")


@pytest.fixture
def factory_plan(db):
    return factories.PlanFactory(region=factories.RegionFactory())


def test_it_runs_zhenjiang_trademarks_as_a_running_sum_against_150_350_500(zhenjiang, zj_unit, progress_rows):
    trademarks = zhenjiang.indicators.get(code="new-trademarks")
    for (year, quarter), value in {(2024, 1): 30, (2024, 2): 40, (2024, 3): 50, (2024, 4): 40}.items():
        report(trademarks, zj_unit, year, quarter, value=D(value))
    report(trademarks, zj_unit, 2025, 1, value=D(40))
    report(trademarks, zj_unit, 2025, 2, value=D(60))
    rollup_full(plan=zhenjiang)
    rows = progress_rows(trademarks)

    # 2024: running sums 30, 70, 120, 160. Pace from 0 to 150: 37.5, 75, 112.5, 150.
    # Q1 7.5 behind = 7.5/150 = 5 points → on track; Q2 5/150 = 3.3 → on track; Q3 ahead; Q4 160 ≥ 150.
    assert figures(rows[(2024, 1)]) == (D(30), D("37.5"), D(20), "on_track")
    assert figures(rows[(2024, 2)]) == (D(70), D(75), D("46.6667"), "on_track")
    assert figures(rows[(2024, 3)]) == (D(120), D("112.5"), D(80), "on_track")
    assert figures(rows[(2024, 4)]) == (D(160), D(150), D("106.6667"), "achieved")
    # 2025 starts from 2024's 160 towards 350 (increment 190): 207.5, 255, 302.5, 350.
    # Q1 200: 7.5/190 = 3.9 points → on track. Q3 carries 260: 42.5/190 = 22.4 → at risk. Q4: 90/190 = 47.4.
    assert figures(rows[(2025, 1)]) == (D(200), D("207.5"), D("57.1429"), "on_track")
    assert figures(rows[(2025, 2)]) == (D(260), D(255), D("74.2857"), "on_track")
    assert figures(rows[(2025, 3)]) == (D(260), D("302.5"), D("74.2857"), "at_risk")
    assert figures(rows[(2025, 4)]) == (D(260), D(350), D("74.2857"), "behind")
    # 2026 has no report yet: no actual, but the pace from 260 to 500 is known: 320 at Q1.
    assert figures(rows[(2026, 1)]) == (None, D(320), None, "no_data")
    assert [rows[(year, 1)].target_min for year in (2024, 2025, 2026)] == [D(150), D(350), D(500)]

    # Forecast, 2024 Q1: from 0 at the plan's start, 30 a quarter → 30 + 30×11 = 360.
    # 2024 Q4: from 0 four quarters back, 40 a quarter → 160 + 40×8 = 480. 2025 Q2: from 2024 Q2's 70,
    # (260−70)/4 = 47.5 a quarter → 260 + 47.5×6 = 545. 2025 Q3: from 2024 Q3's 120 → 260 + 35×5 = 435.
    assert [rows[key].forecast for key in [(2024, 1), (2024, 4), (2025, 2), (2025, 3)]] == [
        D(360), D(480), D(545), D(435),
    ]  # fmt: skip
    # Still needed per quarter to reach 500 by 2026 Q4: (500−30)/11, (500−160)/8, (500−260)/6.
    assert rows[(2024, 1)].needed_per_quarter == D("42.7273")
    assert rows[(2024, 4)].needed_per_quarter == D("42.5")
    assert rows[(2025, 2)].needed_per_quarter == D(40)


def test_it_treats_a_range_target_as_reached_at_its_lower_bound_and_not_capped_by_the_upper(
    zhenjiang, zj_unit, progress_rows
):
    events = zhenjiang.indicators.get(code="pledge-matchmaking-events")  # flow, 1—2场 every year
    report(events, zj_unit, 2024, 1, value=D(0))
    report(events, zj_unit, 2024, 2, value=D(0))
    report(events, zj_unit, 2024, 3, value=D(1))
    report(events, zj_unit, 2025, 1, value=D(3))
    rollup_full(plan=zhenjiang)
    rows = progress_rows(events)

    # Pace from 0 to the lower bound 1: 0.25, 0.5 … Q1 0.25 behind = 25 points → at risk; Q2 50 → behind.
    assert figures(rows[(2024, 1)]) == (D(0), D("0.25"), D(0), "at_risk")
    assert figures(rows[(2024, 2)]) == (D(0), D("0.5"), D(0), "behind")
    assert figures(rows[(2024, 3)]) == (D(1), D("0.75"), D(100), "achieved")
    assert rows[(2024, 4)].status == "achieved"
    # Three events in 2025 still meet 1—2: the upper bound is the plan's expectation, not a ceiling.
    assert figures(rows[(2025, 1)]) == (D(3), D("0.25"), D(300), "achieved")
    assert (rows[(2025, 1)].target_min, rows[(2025, 1)].target_max) == (D(1), D(2))
    # A flow's forecast is its year to date at the present rate: 1 by Q3 → 4/3 a year. Needed per remaining
    # quarter of the year: (1−0)/3 after Q1, (1−0)/2 after Q2, nothing once reached.
    assert rows[(2024, 3)].forecast == D("1.3333")
    assert [rows[(2024, q)].needed_per_quarter for q in (1, 2, 3, 4)] == [D("0.3333"), D("0.5"), D(0), None]


def test_it_computes_the_closure_rate_as_sum_over_sum_never_an_average_of_rates(zhenjiang, progress_rows):
    rate = zhenjiang.indicators.get(code="case-closure-rate")  # ≥90% every year
    court, bureau = (factories.UnitFactory(region=zhenjiang.region) for _ in range(2))
    ratio = {"value": None}
    report(rate, court, 2024, 1, numerator=D(9), denominator=D(10), **ratio)
    report(rate, bureau, 2024, 1, numerator=D(1), denominator=D(2), **ratio)
    report(rate, court, 2024, 2, numerator=D(18), denominator=D(20), **ratio)
    report(rate, bureau, 2024, 2, numerator=D(2), denominator=D(2), **ratio)
    report(rate, court, 2025, 1, numerator=D(8), denominator=D(10), **ratio)
    rollup_full(plan=zhenjiang)
    rows = progress_rows(rate)

    # Q1: (9+1)/(10+2) = 83.3333% (the average of 90% and 50% would be 70%); 83.3333/90 = 92.5926%.
    # Nothing before 2024 to start a pace from: no expected value, nothing flagged before Q4.
    assert figures(rows[(2024, 1)]) == (D("83.3333"), None, D("92.5926"), "on_track")
    # Year to date at Q2: (9+1+18+2)/(10+2+20+2) = 30/34 = 88.2353%; 88.2353/90 = 98.0392%.
    assert figures(rows[(2024, 2)]) == (D("88.2353"), None, D("98.0392"), "on_track")
    assert rows[(2024, 3)].actual == D("88.2353") and rows[(2024, 3)].status == "on_track"
    # The year ends below 90%: behind.
    assert rows[(2024, 4)].status == "behind"
    # 2025 starts from 2024's 88.2353% towards 90%: 88.2353 + 1.7647/4 = 88.6765 at Q1. 80% is 8.68 behind,
    # 492 points of the 1.7647 increment → behind. 80/90 = 88.8889%.
    assert figures(rows[(2025, 1)]) == (D(80), D("88.6765"), D("88.8889"), "behind")
    assert rows[(2025, 1)].forecast == D(80)  # a rate's forecast is the rate to date
    assert rows[(2025, 1)].needed_per_quarter is None


@pytest.fixture
def per_10k(quanzhou):
    for year in (2024, 2025, 2026):
        factories.PopulationFactory(region=quanzhou.region, year=year, value=D(880))
    return quanzhou.indicators.get(code="hv-invention-patents-per-10k")  # >6 by 2026, no baseline


def test_it_divides_quanzhou_patents_by_population_and_needs_more_than_6(
    quanzhou, per_10k, unit_a, progress_rows
):
    report(per_10k, unit_a, 2024, 4, value=D(4400))
    report(per_10k, unit_a, 2025, 4, value=D(4840))
    report(per_10k, unit_a, 2026, 2, value=D(5280))
    rollup_full(plan=quanzhou)
    rows = progress_rows(per_10k)

    # 4400 patents / 880 万人 = 5 per 10k. No 2024 target and nothing to start from: not judged.
    assert figures(rows[(2024, 4)]) == (D(5), None, None, "on_track")
    # 2025 has no target of its own: the pace runs from 2024's 5 to 2026's 6 over 8 quarters, 5.5 at 2025 Q4.
    assert figures(rows[(2025, 4)]) == (D("5.5"), D("5.5"), None, "on_track")
    assert figures(rows[(2025, 1)]) == (None, D("5.125"), None, "no_data")
    # 5280/880 = exactly 6: `gt` (突破) is not met by 6 itself; pace 5.5 → 6 gives 5.75 at Q2 → on track.
    assert figures(rows[(2026, 2)]) == (D(6), D("5.75"), D(100), "on_track")
    assert rows[(2026, 2)].target_min == D(6)
    # Trend at 2025 Q4: (5.5−5)/4 = 0.125 a quarter → 6 at the end; still needed (6−5.5)/4 = 0.125.
    assert (rows[(2025, 4)].forecast, rows[(2025, 4)].needed_per_quarter) == (D(6), D("0.125"))
    assert rows[(2024, 4)].needed_per_quarter == D("0.125")  # (6−5)/8


def test_it_achieves_more_than_6_per_10k_with_one_patent_more(quanzhou, per_10k, unit_a, progress_rows):
    report(per_10k, unit_a, 2026, 4, value=D(5281))
    rollup_full(plan=quanzhou)
    # 5281/880 = 6.001136 > 6; 6.001136/6 = 100.0189%.
    row = progress_rows(per_10k)[(2026, 4)]
    assert (row.actual, row.completion, row.status) == (D("6.0011"), D("100.0189"), "achieved")


def test_it_has_no_per_capita_actual_without_the_year_s_population(quanzhou, unit_a, progress_rows):
    per_10k = quanzhou.indicators.get(code="hv-invention-patents-per-10k")
    factories.PopulationFactory(region=quanzhou.region, year=2024, value=D(880))
    report(per_10k, unit_a, 2024, 4, value=D(4400))
    report(per_10k, unit_a, 2025, 4, value=D(4840))
    rollup_full(plan=quanzhou)
    rows = progress_rows(per_10k)
    assert rows[(2024, 4)].actual == D(5)
    assert (rows[(2025, 4)].actual, rows[(2025, 4)].status) == (None, "no_data")


def test_it_judges_quanzhou_pledge_financing_growth_against_last_year(quanzhou, progress_rows):
    financing = quanzhou.indicators.get(code="patent-pledge-financing")  # flow, 保持增长 every year
    bank = Unit.objects.get(name="中国人民银行泉州市分行")
    for quarter in (1, 2, 3, 4):
        report(financing, bank, 2024, quarter, value=D(2))
    for quarter, value in {1: "2.5", 2: "1.5", 3: "3", 4: "1.5"}.items():
        report(financing, bank, 2025, quarter, value=D(value))
    report(financing, bank, 2026, 4, value=D("8.5"))
    rollup_full(plan=quanzhou)
    rows = progress_rows(financing)

    # 2024: 8 in all, but no 2023 figure to grow from: nothing judged, not even at Q4.
    assert figures(rows[(2024, 4)]) == (D(8), None, None, "on_track")
    assert rows[(2024, 4)].needed_per_quarter is None
    # 2025 must exceed 8; pace 0 → 8: 2, 4, 6, 8. Year to date 2.5, 4, 7, 8.5.
    assert figures(rows[(2025, 1)]) == (D("2.5"), D(2), D("31.25"), "on_track")
    assert figures(rows[(2025, 2)]) == (D(4), D(4), D(50), "on_track")
    assert figures(rows[(2025, 3)]) == (D(7), D(6), D("87.5"), "on_track")
    assert figures(rows[(2025, 4)]) == (D("8.5"), D(8), D("106.25"), "achieved")
    # After Q2 still (8−4)/2 = 2 a quarter; at this rate 4×4/2 = 8 for the year.
    assert (rows[(2025, 2)].needed_per_quarter, rows[(2025, 2)].forecast) == (D(2), D(8))
    # 2026 ends level with 2025 (8.5): growth is strictly more, so not achieved; on the pace line → on track.
    assert figures(rows[(2026, 4)]) == (D("8.5"), D("8.5"), D(100), "on_track")
    assert rows[(2026, 1)].status == "no_data"


def test_it_adds_each_unit_s_latest_stock_of_the_year(factory_plan, progress_rows):
    stock = factories.IndicatorFactory(plan=factory_plan, measure="stock")
    factories.TargetFactory(indicator=stock, year=2024, comparator="gte", min=D(30))
    factories.BaselineFactory(indicator=stock, year=2023, value=D(10))
    first, second = (factories.UnitFactory(region=factory_plan.region) for _ in range(2))
    report(stock, first, 2024, 1, value=D(10))
    report(stock, first, 2024, 2, value=D(12))
    report(stock, second, 2024, 1, value=D(5))
    report(stock, second, 2024, 3, value=D(8))
    report(stock, first, 2025, 1, value=D(14))
    rollup_full(plan=factory_plan)
    rows = progress_rows(stock)

    # Each unit's latest report of the year, then added: Q1 10+5, Q2 12+5, Q3 12+8, Q4 12+8.
    # Pace from the 2023 baseline 10 to 30 (increment 20): 15, 20, 25, 30.
    # Q2 3 behind = 15 points → at risk; Q3 5 → 25 points → at risk; Q4 10 → 50 points → behind.
    assert figures(rows[(2024, 1)]) == (D(15), D(15), D(50), "on_track")
    assert figures(rows[(2024, 2)]) == (D(17), D(20), D("56.6667"), "at_risk")
    assert figures(rows[(2024, 3)]) == (D(20), D(25), D("66.6667"), "at_risk")
    assert figures(rows[(2024, 4)]) == (D(20), D(30), D("66.6667"), "behind")
    # A stock is the year's own: in 2025 Q1 only the first unit has reported.
    assert rows[(2025, 1)].actual == D(14)
    # Trend at 2024 Q2 from the baseline at the end of 2023: (17−10)/2 = 3.5 a quarter → 17 + 3.5×10 = 52.
    # Needed: (30−17)/2 = 6.5 a quarter for the rest of 2024; none once the plan's last target year is over.
    assert (rows[(2024, 2)].forecast, rows[(2024, 2)].needed_per_quarter) == (D(52), D("6.5"))
    assert rows[(2025, 1)].needed_per_quarter is None


def test_it_judges_a_ceiling_from_above(factory_plan, unit_a, progress_rows):
    days = factories.IndicatorFactory(plan=factory_plan, measure="stock", decimals=1)
    factories.TargetFactory(indicator=days, year=2024, comparator="lte", min=None, max=D(5))
    factories.BaselineFactory(indicator=days, year=2023, value=D(9))
    for quarter, value in {1: "8.5", 2: "6", 3: "5.5", 4: "5"}.items():
        report(days, unit_a, 2024, quarter, value=D(value))
    rollup_full(plan=factory_plan)
    rows = progress_rows(days)

    # Pace from 9 down to 5 (increment 4): 8, 7, 6, 5. Q1 8.5 is 0.5 above: 12.5 points → at risk.
    # Completion of a ceiling: 5/8.5 = 58.8235% above it, 100% within it.
    assert figures(rows[(2024, 1)]) == (D("8.5"), D(8), D("58.8235"), "at_risk")
    assert figures(rows[(2024, 2)]) == (D(6), D(7), D("83.3333"), "on_track")
    assert figures(rows[(2024, 4)]) == (D(5), D(5), D(100), "achieved")
    # Needed: reduce by (8.5−5)/3 a quarter. Trend from 9 at the end of 2023 to 6: −1.5 a quarter would
    # reach −9: a forecast never goes below 0.
    assert rows[(2024, 1)].needed_per_quarter == D("-1.1667")
    assert rows[(2024, 2)].forecast == D(0)


def test_it_marks_a_milestone_done_by_the_latest_report(zhenjiang, progress_rows):
    plan_made = zhenjiang.indicators.get(code="annual-training-plan")  # done every year
    unit = factories.UnitFactory(region=zhenjiang.region)
    report(plan_made, unit, 2024, 1, value=None, done=False)
    report(plan_made, unit, 2024, 2, value=None, done=True)
    report(plan_made, unit, 2025, 4, value=None, done=False)
    rollup_full(plan=zhenjiang)
    rows = progress_rows(plan_made)
    assert figures(rows[(2024, 1)]) == (D(0), None, D(0), "on_track")
    assert figures(rows[(2024, 2)]) == (D(1), None, D(100), "achieved")
    assert rows[(2024, 4)].status == "achieved"
    # Nothing reported in 2025 until Q4, and then not done: the year ended without it.
    assert [rows[(2025, q)].status for q in (1, 2, 3, 4)] == ["no_data", "no_data", "no_data", "behind"]
    assert rows[(2025, 4)].forecast is None and rows[(2025, 4)].needed_per_quarter is None


def test_it_takes_only_the_lead_unit_s_figure_where_the_indicator_says_so(factory_plan, progress_rows):
    lead, co = (factories.UnitFactory(region=factory_plan.region) for _ in range(2))
    only_lead = factories.IndicatorFactory(plan=factory_plan, measure="flow", combine="lead")
    summed = factories.IndicatorFactory(plan=factory_plan, measure="flow", combine="sum")
    for indicator in (only_lead, summed):
        factories.AssignmentFactory(indicator=indicator, unit=lead, is_lead=True)
        factories.AssignmentFactory(indicator=indicator, unit=co)
        report(indicator, lead, 2024, 1, value=D(10))
        report(indicator, co, 2024, 1, value=D(5))
    rollup_full(plan=factory_plan)
    assert progress_rows(only_lead)[(2024, 1)].actual == D(10)
    assert progress_rows(summed)[(2024, 1)].actual == D(15)


def test_it_rolls_county_figures_up_to_the_city_only_where_they_add_up(quanzhou, unit_a, progress_rows):
    outlets = quanzhou.indicators.get(code="service-outlets")  # stock, >18 by 2026, combine sum
    jinjiang, fengze = (
        Region.objects.get(code="quanzhou-jinjiang"),
        Region.objects.get(code="quanzhou-fengze"),
    )
    jinjiang_gov, fengze_gov = (
        Unit.objects.get(name="晋江市人民政府"),
        Unit.objects.get(name="丰泽区人民政府"),
    )
    report(outlets, unit_a, 2025, 1, value=D(10))
    report(outlets, jinjiang_gov, 2025, 1, value=D(3))
    report(outlets, fengze_gov, 2025, 1, value=D(2))
    led = factories.IndicatorFactory(plan=quanzhou, measure="flow", combine="lead")
    factories.AssignmentFactory(indicator=led, unit=jinjiang_gov, is_lead=True)
    factories.AssignmentFactory(indicator=led, unit=fengze_gov)
    report(led, jinjiang_gov, 2025, 1, value=D(7))
    report(led, fengze_gov, 2025, 1, value=D(4))
    rollup_full(plan=quanzhou)

    # The city counts its own unit and both counties: 10 + 3 + 2; each county only its own.
    city, county = progress_rows(outlets)[(2025, 1)], progress_rows(outlets, jinjiang)[(2025, 1)]
    assert (city.actual, progress_rows(outlets, fengze)[(2025, 1)].actual, county.actual) == (
        D(15),
        D(2),
        D(3),
    )
    # A county's share of a city-wide count is shown, not judged against the city's target.
    assert (city.expected, county.expected, county.completion, county.status) == (
        None,
        None,
        None,
        "on_track",
    )
    targets = (
        progress_rows(outlets)[(2026, 4)].target_min,
        progress_rows(outlets, jinjiang)[(2026, 4)].target_min,
    )
    assert targets == (D(18), None)
    # `lead`: the lead unit's figure is the indicator's figure, in its county and for the city; a co-unit's
    # figure does not add up into the city.
    assert progress_rows(led)[(2025, 1)].actual == D(7)
    assert progress_rows(led, jinjiang)[(2025, 1)].actual == D(7)
    assert progress_rows(led, fengze)[(2025, 1)].status == "no_data"


def test_it_judges_a_county_s_rate_per_head_against_the_plan_s_target(quanzhou, unit_a, progress_rows):
    per_10k = quanzhou.indicators.get(code="hv-invention-patents-per-10k")
    jinjiang = Region.objects.get(code="quanzhou-jinjiang")
    factories.PopulationFactory(region=quanzhou.region, year=2026, value=D(880))
    factories.PopulationFactory(region=jinjiang, year=2026, value=D(200))
    report(per_10k, unit_a, 2026, 1, value=D(3400))
    report(per_10k, Unit.objects.get(name="晋江市人民政府"), 2026, 1, value=D(1000))
    rollup_full(plan=quanzhou)
    # City: (3400 + 1000)/880 = 5; 晋江: 1000/200 = 5, held to the same >6: 5/6 = 83.3333%.
    city, county = progress_rows(per_10k)[(2026, 1)], progress_rows(per_10k, jinjiang)[(2026, 1)]
    assert (city.actual, county.actual) == (D(5), D(5))
    assert (county.target_min, county.completion) == (D(6), D("83.3333"))


def test_it_reads_a_computed_indicator_from_its_source_s_reports(zhenjiang, zj_unit, progress_rows):
    actions = zhenjiang.indicators.get(code="enforcement-actions")  # flow, 1—2 in 2024 and 2026
    total = zhenjiang.indicators.get(code="enforcement-actions-total")  # cumulative view, ≥3 by 2026
    assert total.computed_from == actions
    report(actions, zj_unit, 2024, 2, value=D(1))
    report(actions, zj_unit, 2025, 3, value=D(1))
    report(actions, zj_unit, 2026, 1, value=D(1))
    rollup_full(plan=zhenjiang)
    yearly, running = progress_rows(actions), progress_rows(total)
    assert [yearly[key].actual for key in [(2024, 2), (2025, 3), (2026, 1)]] == [D(1), D(1), D(1)]
    assert (yearly[(2024, 2)].status, yearly[(2026, 1)].status) == ("achieved", "achieved")
    # 2025 states no target for the yearly count: shown, not judged.
    assert (yearly[(2025, 3)].completion, yearly[(2025, 3)].status) == (None, "on_track")
    # Running since the plan's start: 1, 2, 3; ≥3 reached in 2026 Q1. Pace 0 → 3 over 12 quarters: 0.5 at Q2.
    assert [running[key].actual for key in [(2024, 2), (2025, 3), (2026, 1)]] == [D(1), D(2), D(3)]
    assert (running[(2024, 2)].expected, running[(2024, 2)].status) == (D("0.5"), "on_track")
    assert running[(2026, 1)].status == "achieved"


def test_it_counts_only_approved_figures(factory_plan, progress_rows):
    flow = factories.IndicatorFactory(plan=factory_plan, measure="flow")
    unit = factories.UnitFactory(region=factory_plan.region)
    report(flow, unit, 2024, 1, value=D(4))
    sent = {"unit": unit, "indicator": flow, "submitted_at": "2024-04-05T09:00:00+08:00"}
    factories.SubmissionFactory(period__year=2024, period__quarter=2, state="submitted", value=D(100), **sent)
    factories.SubmissionFactory(period__year=2024, period__quarter=3, state="returned", value=D(100), **sent)
    factories.SubmissionFactory(period__year=2024, period__quarter=4, unit=unit, indicator=flow, value=D(100))
    rollup_full(plan=factory_plan)
    assert [row.actual for _, row in sorted(progress_rows(flow).items())][:4] == [D(4)] * 4


def test_it_keeps_an_office_target_that_replaced_the_document_s(zhenjiang, zj_unit, progress_rows):
    trademarks = zhenjiang.indicators.get(code="new-trademarks")
    Target.objects.filter(indicator=trademarks, year=2024).update(min=D(100), origin="office")
    report(trademarks, zj_unit, 2024, 4, value=D(120))
    rollup_full(plan=zhenjiang)
    row = progress_rows(trademarks)[(2024, 4)]
    assert (row.target_min, row.completion, row.status) == (D(100), D(120), "achieved")
    assert Indicator.objects.get(pk=trademarks.pk).measure == "cumulative"
