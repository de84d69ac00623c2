"""Reading what people type into a figure (page form and API alike): the parts a measure uses, in Chinese."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators.measures import Figure, figure_parse, parse_done
from indicators.models import Indicator


@pytest.mark.parametrize(
    ("raw", "done"),
    [("1", True), ("0", False), ("是", True), ("未完成", False), (True, True), ("", None), (None, None)],
)
def test_it_reads_a_done_choice(raw, done):
    assert parse_done(raw) == (done, None)


def test_it_refuses_anything_else_as_a_done_choice():
    assert parse_done("也许") == (None, "请选择“已完成”或“未完成”。")


def test_it_reads_only_the_parts_of_the_measure(plans):
    stock = Indicator.objects.get(code="trademarks")
    ratio = Indicator.objects.get(code="case-closure-rate")
    milestone = Indicator.objects.get(code="demonstration-city")
    raw = {"value": "1,234.5", "numerator": "9", "denominator": "10", "done": "1", "note": "说明"}
    assert figure_parse(stock, raw) == (Figure(value=Decimal("1234.5"), note="说明"), [])
    assert figure_parse(ratio, raw) == (
        Figure(numerator=Decimal(9), denominator=Decimal(10), note="说明"),
        [],
    )
    assert figure_parse(milestone, raw) == (Figure(done=True, note="说明"), [])


def test_it_names_the_part_that_is_not_a_number(plans):
    ratio = Indicator.objects.get(code="case-closure-rate")
    _, errors = figure_parse(ratio, {"numerator": "九", "denominator": "10"})
    assert errors == ["按期结案的知识产权案件数：“九”不是数字，请只填写数字（不带单位）。"]
