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


def reported_text(submission) -> str:
    """A unit's reported figure as people read it: 1234件, 9/10（90%）, 已完成; — when nothing is reported."""
    if submission is None:
        return "—"
    measure = submission.indicator.measure
    if measure == "milestone":
        return {True: "已完成", False: "未完成"}.get(submission.done, "—")
    if measure == "ratio":
        numerator, denominator = submission.numerator, submission.denominator
        if numerator is None or denominator is None:
            return "—"
        if not denominator:
            return f"{plain(numerator)}/{plain(denominator)}"
        rate = round(Decimal(numerator) / Decimal(denominator) * 100, 1)
        return f"{plain(numerator)}/{plain(denominator)}（{plain(rate)}%）"
    return "—" if submission.value is None else f"{plain(submission.value)}{submission.indicator.unit}"
