"""Reading what people type into a figure (page form, Excel import and API alike): the one strict number
reading (`ipcity.figures.number_parse`), and the parts a measure uses, in Chinese."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators.measures import Figure, figure_parse, parse_done, parse_number
from indicators.models import Indicator
from ipcity.figures import NotANumber, number_parse

D = Decimal


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("3500", D(3500)),
        ("3,500", D(3500)),
        ("1,234,567.5", D("1234567.5")),
        ("0.25", D("0.25")),
        ("88.10", D("88.10")),
        ("-2", D(-2)),  # read; the figure's rules then refuse a negative (no measure allows one)
        ("-0", D(0)),
        ("007", D(7)),
        ("１２３", D(123)),  # full-width digits
        ("１２．５", D("12.5")),  # and point
        ("３，５００", D(3500)),  # and comma, in groups of three
        ("  42 ", D(42)),
        ("\u300042\u3000", D(42)),  # full-width spaces around
        ("", None),
        ("   ", None),
    ],
)
def test_it_reads_a_number_as_people_write_it(typed, number):
    assert number_parse(typed) == number


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("3,5", "“3,5”不是有效的数字：千位分隔符只能每三位一组（如 3,500）。"),
        ("35,00", "“35,00”不是有效的数字：千位分隔符只能每三位一组（如 3,500）。"),
        (",350", "“,350”不是有效的数字：千位分隔符只能每三位一组（如 3,500）。"),
        ("350,", "“350,”不是有效的数字：千位分隔符只能每三位一组（如 3,500）。"),
        ("1,000,00", "“1,000,00”不是有效的数字：千位分隔符只能每三位一组（如 3,500）。"),
        ("1.234,5", "“1.234,5”不是有效的数字：千位分隔符只能每三位一组（如 3,500）。"),
        ("8e1", "“8e1”不是有效的数字：不能使用科学计数法（e），请写出完整的数字。"),
        ("1.5E-3", "“1.5E-3”不是有效的数字：不能使用科学计数法（e），请写出完整的数字。"),
        ("1_0", "“1_0”不是有效的数字：数字中不能有下划线。"),
        ("NaN", "“NaN”不是有效的数字，请填写具体数值。"),
        ("Infinity", "“Infinity”不是有效的数字，请填写具体数值。"),
        ("-inf", "“-inf”不是有效的数字，请填写具体数值。"),
        ("1.2.3", "“1.2.3”不是有效的数字：只能有一个小数点。"),
        (".5", "“.5”不是有效的数字：小数点前后都要有数字（如 0.5）。"),
        ("5.", "“5.”不是有效的数字：小数点前后都要有数字（如 0.5）。"),
        ("+5", "“+5”不是有效的数字：请去掉正号“+”。"),
        ("1 000", "“1 000”不是有效的数字：数字中间不能有空格。"),
        ("12件", "“12件”不是数字，请只填写数字（不带单位）。"),
        ("--5", "“--5”不是数字，请只填写数字（不带单位）。"),
        ("0x10", "“0x10”不是数字，请只填写数字（不带单位）。"),
        ("\u0663", "“\u0663”不是数字，请只填写数字（不带单位）。"),  # a digit of another script
        ("123456789012345678件件件", "“123456789012345678件件…”不是数字，请只填写数字（不带单位）。"),
    ],
)
def test_it_refuses_anything_else_quoting_what_was_typed(typed, message):
    with pytest.raises(NotANumber) as refused:
        number_parse(typed)
    assert str(refused.value) == message


def test_the_figure_reading_names_the_part_and_takes_numbers_a_spreadsheet_holds():
    grouped = "数值：“3,5”不是有效的数字：千位分隔符只能每三位一组（如 3,500）。"
    assert parse_number("3,5", "数值") == (None, grouped)
    assert parse_number(80, "数值") == (D(80), None)  # a number cell, or a JSON integer
    assert parse_number(0.1, "数值") == (D("0.1"), None)  # a float cell, by its shortest repr
    assert parse_number(D("12.50"), "数值") == (D("12.50"), None)
    assert parse_number(True, "数值") == (None, "数值：请填写数字。")
    assert parse_number(float("nan"), "数值") == (None, "数值：请填写有效的数字。")


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
