"""How a figure is written for people and read from what they type: the one place pages, Excel and bulletins
format numbers, and the one strict reading of a typed number that the reporting form, the Excel import and
the API share."""

from __future__ import annotations

import re
from decimal import Decimal

COMPARATOR_SYMBOLS = {"gte": "≥", "gt": ">", "lte": "≤"}


def plain(value: Decimal | int | None) -> str:
    """A decimal without trailing zeros or exponent: 88.0000 → 88, 78.5100 → 78.51. None → —."""
    if value is None:
        return "—"
    text = format(Decimal(value).normalize(), "f")
    return text


def target_text(comparator: str, low: Decimal | None, high: Decimal | None, unit: str = "") -> str:
    """A target as the plans write it: ≥88万件, >6件, 1—2场, ≤5, 保持增长, 完成."""
    if comparator == "between":
        return f"{plain(low)}—{plain(high)}{unit}"
    if comparator == "growth":
        return "保持增长"
    if comparator == "done":
        return "完成"
    bound = high if comparator == "lte" else low
    return f"{COMPARATOR_SYMBOLS[comparator]}{plain(bound)}{unit}"


# ------------------------------------------------------------------------------------------------------------
# Reading a typed number
# ------------------------------------------------------------------------------------------------------------

# Digits with an optional leading minus, thousands separators only in whole groups of three, one decimal
# point with digits on both sides. Python's Decimal() and float() also take "1_0", "8e1", "NaN" and "+5": a
# person who typed those meant something else, so they are refused here, never read as 10 or 80.
NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
# Full-width digits, point, comma and minus (a Chinese input method's) read as their ASCII twins.
FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－−", "0123456789.,--")
NOT_FINITE = {"nan", "snan", "inf", "infinity"}
# The rule in words, for help texts (the API docs).
NUMBER_RULES = (
    "只接受数字、一个小数点、前置负号和每三位一组的千位分隔符（如 1,234.5），可用全角数字；"
    "不接受科学计数法（8e1）、下划线（1_0）、不成组的逗号（3,5）、NaN 或单位"
)
QUOTED_LIMIT = 20


class NotANumber(ValueError):
    """What a person typed is not a number as the product reads one; the message quotes it, in Chinese."""


def number_parse(text: str) -> Decimal | None:
    """Read a number a person typed: `3,500`, `1,234,567.5`, `-2`, `０．５` and surrounding spaces are fine;
    None when nothing was typed. Raises NotANumber, whose message quotes the text and says what is wrong,
    for anything else: exponents, underscores, separators out of their groups of three, NaN/Infinity, units.
    Signs, decimals and bounds are the figure's rules (`indicators.measures`), not this reading's."""
    stripped = text.strip()
    if not stripped:
        return None
    normal = stripped.translate(FULL_WIDTH)
    if NUMBER.fullmatch(normal):
        number = Decimal(normal.replace(",", ""))
        return number if number else abs(number)  # "-0" is 0
    raise NotANumber(f"“{_quoted(stripped)}”{_why_not(normal)}")


def _why_not(text: str) -> str:
    bare = text.lstrip("+-").lower()
    if bare in NOT_FINITE:
        return "不是有效的数字，请填写具体数值。"
    if re.fullmatch(r"[0-9.,]+e[+-]?[0-9]+", bare):
        return "不是有效的数字：不能使用科学计数法（e），请写出完整的数字。"
    if "_" in text and re.fullmatch(r"[0-9.,_]+", bare):
        return "不是有效的数字：数字中不能有下划线。"
    if text.count(".") > 1 and re.fullmatch(r"[0-9.,]+", bare):
        return "不是有效的数字：只能有一个小数点。"
    if re.fullmatch(r"[0-9.,]+", bare) and "," in text:
        return "不是有效的数字：千位分隔符只能每三位一组（如 3,500）。"
    if re.fullmatch(r"[0-9]*\.[0-9]*", bare):
        return "不是有效的数字：小数点前后都要有数字（如 0.5）。"
    if text.startswith("+") and NUMBER.fullmatch(text[1:]):
        return "不是有效的数字：请去掉正号“+”。"
    if re.search(r"\s", text) and re.fullmatch(r"[0-9.,\s]+", bare):
        return "不是有效的数字：数字中间不能有空格。"
    return "不是数字，请只填写数字（不带单位）。"


def _quoted(text: str) -> str:
    return text if len(text) <= QUOTED_LIMIT else text[:QUOTED_LIMIT] + "…"
