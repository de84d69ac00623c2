"""A quarter: the value object every page, query and document uses, with its one Chinese name."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    def __str__(self) -> str:
        return f"{self.year}年第{self.quarter}季度"

    @property
    def short(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def query(self) -> str:
        return urlencode({"year": self.year, "quarter": self.quarter})


def up_to(at: Quarter, prefix: str = "") -> Q:
    """Rows of `at` and before, for a model with year/quarter fields (under `prefix`, e.g. `period__`)."""
    earlier_year = Q(**{f"{prefix}year__lt": at.year})
    return earlier_year | Q(**{f"{prefix}year": at.year, f"{prefix}quarter__lte": at.quarter})


QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}


def period_text(year: int, quarter: int) -> str:
    """2025年第三季度 — how the documents write a quarter."""
    return f"{year}年第{QUARTER_NAMES[quarter]}季度"
