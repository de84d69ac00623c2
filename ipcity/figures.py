"""How a figure is written for people: the one place pages, Excel and bulletins format numbers."""

from __future__ import annotations

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
