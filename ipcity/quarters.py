"""A quarter: the value object every page, query, URL and document uses, with its one Chinese name.

`Quarter(2026, 3)` reads 2026年第三季度 everywhere, as the plan documents write it; in a URL it is `2026-3`
(the `quarter` path converter and `?period=` parameters), and `Quarter.parse` is the one place that text is
read back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q

NUMERALS = {1: "一", 2: "二", 3: "三", 4: "四"}


def quarter_name(quarter: int) -> str:
    """第三季度: a quarter within its year."""
    return f"第{NUMERALS[quarter]}季度"


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    def __post_init__(self) -> None:
        if self.quarter not in NUMERALS:
            raise ValueError(f"季度应为1至4，而不是{self.quarter}")

    @classmethod
    def of(cls, row: Any) -> Quarter:
        """The quarter of anything with `year` and `quarter` (a Period, a Progress row, an export job)."""
        return cls(row.year, row.quarter)

    @classmethod
    def parse(cls, text: str | None) -> Quarter:
        """`2026-3` back into a quarter; ValueError for anything else."""
        year, _, quarter = (text or "").partition("-")
        if not (len(year) == 4 and year.isdigit() and quarter in ("1", "2", "3", "4")):
            raise ValueError(f"不是有效的季度：{text}")
        return cls(int(year), int(quarter))

    def __str__(self) -> str:
        return f"{self.year}年{self.name}"

    @property
    def name(self) -> str:
        """第三季度, without the year (a chart's tick, a choice within a year)."""
        return quarter_name(self.quarter)

    @property
    def param(self) -> str:
        """2026-3: the quarter in a URL path or a `?period=` parameter."""
        return f"{self.year}-{self.quarter}"

    @property
    def short(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def query(self) -> str:
        return urlencode({"year": self.year, "quarter": self.quarter})

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year, self.quarter - 1) if self.quarter > 1 else Quarter(self.year - 1, 4)

    @property
    def next(self) -> Quarter:
        return Quarter(self.year, self.quarter + 1) if self.quarter < 4 else Quarter(self.year + 1, 1)


def period_text(year: int, quarter: int) -> str:
    """2025年第三季度 — how the documents write a quarter."""
    return str(Quarter(year, quarter))


def up_to(at: Quarter, prefix: str = "") -> Q:
    """Rows of `at` and before, for a model with year/quarter fields (under `prefix`, e.g. `period__`)."""
    earlier_year = Q(**{f"{prefix}year__lt": at.year})
    return earlier_year | Q(**{f"{prefix}year": at.year, f"{prefix}quarter__lte": at.quarter})


class QuarterConverter:
    """`<quarter:period>` in a URL: 2026-3 ⇄ Quarter(2026, 3); anything else does not match (404)."""

    regex = r"[0-9]{4}-[1-4]"

    def to_python(self, value: str) -> Quarter:
        return Quarter.parse(value)

    def to_url(self, value: Quarter | str) -> str:
        return value.param if isinstance(value, Quarter) else str(Quarter.parse(str(value)).param)
