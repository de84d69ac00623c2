"""Units of measure asked of the measure registry: a per-capita figure reads 件/万人 wherever it is shown —
card, indicator page, chart, Excel report — while the reporting form asks for the count in 件 and says the
system divides; every kind's instruction on the form is the registry's, word for word."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from exports.books import export_report
from indicators.models import Assignment, Indicator
from tests.dashboard_world import chart_json, marked
from tests.page import seen

PER_CAPITA = "hv-invention-patents-per-10k"
OVERVIEW = "/plans/quanzhou-2024-2026/"
INDICATOR = f"/plans/quanzhou-2024-2026/indicators/{PER_CAPITA}/"


def test_the_overview_card_shows_a_per_capita_figure_per_10k_residents(leader_client, dashboard_world):
    response = leader_client.get(OVERVIEW, {"year": 2024, "quarter": 3})
    assert PER_CAPITA in marked(response.content.decode(), "data-indicator")
    card = seen(response).find(data_indicator=PER_CAPITA)
    assert card.find(cls="unit").text == "件/万人"
    assert "2026年目标 >6件/万人" in card.text
    assert "件/万人" in card.find(cls="expected").text
    trademarks = seen(response).find(data_indicator="trademarks")
    assert trademarks.find(cls="unit").text == "万件"  # other kinds keep their unit


def test_the_indicator_page_and_its_chart_show_a_per_capita_figure_per_10k_residents(
    leader_client, dashboard_world
):
    response = leader_client.get(INDICATOR, {"year": 2024, "quarter": 3})
    page = seen(response)
    head = page.find(data_indicator=PER_CAPITA)
    assert "计量单位：件/万人" in head.text
    assert head.find(cls="actual").text.endswith("件/万人")
    assert head.find(cls="expected").text.endswith("件/万人")
    assert head.find(cls="forecast").text.endswith("件/万人")
    assert "2026年：>6件/万人" in page.text  # the target as its source sentence states it
    figure = chart_json(response.content.decode(), "indicator-chart")
    assert figure["layout"]["yaxis"]["title"]["text"] == "件/万人"
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert "2026年目标 >6件/万人" in traces
    assert "2024年第三季度<br>实际值：73.1234件/万人" in traces["实际值"]["customdata"][2]
    assert traces["序时进度"]["customdata"][2] == "2024年第三季度<br>序时进度：75.5件/万人"


def test_the_excel_report_writes_a_per_capita_figure_per_10k_residents(report_scenario):
    out = io.BytesIO()
    scenario = report_scenario
    export_report(plan=scenario.plan, year=scenario.year, quarter=scenario.quarter, out=out)
    out.seek(0)
    sheet = load_workbook(out)["指标进度"]
    header = [cell.value for cell in sheet[4]]
    rows = {row[header.index("指标")]: row for row in sheet.iter_rows(min_row=5, values_only=True)}
    per_capita = rows["每万人口高价值发明专利拥有量"]
    assert per_capita[header.index("计量单位")] == "件/万人"
    assert per_capita[header.index("2026年目标")] == ">6件/万人"
    assert rows["商标有效注册量"][header.index("计量单位")] == "万件"


def test_the_form_asks_for_the_count_and_says_the_system_divides(reporter_a_client, desk):
    per_capita = Indicator.objects.get(code=PER_CAPITA)
    Assignment.objects.create(indicator=per_capita, unit=desk.unit_a)
    response = reporter_a_client.get("/report/?period=2026-4")
    card = seen(response).find(id=f"indicator-{per_capita.pk}")
    assert "计量单位：件/万人（填报单位：件）" in card.text
    assert "2026年目标" in card.text and ">6件/万人" in card.text  # the target in the rate's unit
    assert "本季度数值（件）" in card.text  # what is typed: the count
    assert (
        "填写要求：填写季度末总数（不是每万人口数），单位：件，整数；"
        "系统按当年常住人口（万人）折算为每万人口数（件/万人）"
    ) in card.text


def test_the_form_shows_each_kinds_instruction_from_the_registry(reporter_a_client, desk):
    cumulative = Indicator.objects.get(code="new-trademarks")
    flow = Indicator.objects.get(code="copyright-registrations")
    for indicator in (cumulative, flow):
        Assignment.objects.create(indicator=indicator, unit=desk.unit_a)
    page = seen(reporter_a_client.get("/report/?period=2026-4"))
    for indicator in (desk.stock, desk.count, desk.milestone, desk.ratio, cumulative, flow):
        card = page.find(id=f"indicator-{indicator.pk}")
        assert f"填写要求：{indicator.kind.instruction(indicator)}" in card.text
    assert "本季度新增数（系统自动累计）" in page.find(id=f"indicator-{cumulative.pk}").text
    assert "填写季度末存量，单位：万件" in page.find(id=f"indicator-{desk.stock.pk}").text
    assert "系统按Σ分子/Σ分母计算比率" in page.find(id=f"indicator-{desk.ratio.pk}").text
    assert "并上传佐证材料" in page.find(id=f"indicator-{desk.milestone.pk}").text
