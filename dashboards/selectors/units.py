"""The units page: each unit's reporting timeliness by quarter, ranked."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from accounts.permissions import is_reporter, scope_to_unit
from dashboards.selectors.common import PeriodChoice, plan_quarters
from ipcity.quarters import Quarter, up_to
from plans.models import Plan
from progress import coverage
from progress.models import Timeliness
from reporting.models import Period
from reporting.states import awaiting_review

# --------------------------------------------------------------------------------------------- timeliness


@dataclass
class UnitRanking:
    unit_id: int
    name: str
    expected: int
    on_time: int
    quarters: Counter[str]
    rank: int | None = None

    @property
    def rate(self) -> Decimal | None:
        """On-time rate: items sent on time ÷ items owed, over the quarters already due."""
        return Decimal(self.on_time) / Decimal(self.expected) * 100 if self.expected else None

    def sort_key(self) -> tuple:
        missing = self.quarters[Timeliness.Status.MISSING]
        late = self.quarters[Timeliness.Status.LATE]
        return (-(self.rate if self.rate is not None else Decimal(-1)), missing, late, self.name)


@dataclass
class UnitsPage:
    plan: Plan
    period: PeriodChoice
    quarters: list[Quarter]
    ranking: list[UnitRanking]  # best first
    cells: dict[tuple[int, Quarter], Timeliness]
    ranked: bool  # False for a reporter, who sees only its own row
    awaiting: int = 0  # the chosen quarter's figures and task reports still with the office

    @property
    def awaiting_text(self) -> str:
        return coverage.awaiting_text(self.period.at, self.awaiting) if self.period.at else ""

    @property
    def status_labels(self) -> list[tuple[str, str]]:
        return Timeliness.Status.choices


def units_page(plan: Plan, period: PeriodChoice, user) -> UnitsPage:
    """Each unit's reporting per quarter from the plan's start to the chosen quarter, its on-time rate and
    its rank. A reporter sees only its own unit's row and no ranking."""
    if period.at is None:
        return UnitsPage(plan, period, [], [], {}, ranked=not is_reporter(user))
    periods = Period.objects.filter(up_to(period.at), year__gte=plan.start_year)
    rows = scope_to_unit(
        Timeliness.objects.filter(plan=plan, period__in=periods).select_related("unit", "period"), user
    )
    cells = {(row.unit_id, Quarter(row.period.year, row.period.quarter)): row for row in rows}
    due = ~Q(status=Timeliness.Status.NOT_DUE)
    totals = (
        scope_to_unit(Timeliness.objects.filter(plan=plan, period__in=periods), user)
        .values("unit_id", "unit__name")
        .annotate(
            owed=Sum("expected", filter=due, default=0),
            sent_on_time=Sum("on_time", filter=due, default=0),
            **{f"n_{status}": Count("id", filter=Q(status=status)) for status in Timeliness.Status.values},
        )
    )
    ranking = [
        UnitRanking(
            unit_id=row["unit_id"],
            name=row["unit__name"],
            expected=row["owed"],
            on_time=row["sent_on_time"],
            quarters=Counter({status: row[f"n_{status}"] for status in Timeliness.Status.values}),
        )
        for row in totals
    ]
    ranking.sort(key=UnitRanking.sort_key)
    _competition_rank(ranking)
    quarters = [quarter for quarter in plan_quarters(plan) if quarter <= period.at]
    page = UnitsPage(plan, period, quarters, ranking, cells, ranked=not is_reporter(user))
    # A reporter's own items are on its reporting page; other units' are not its business.
    if not is_reporter(user):
        page.awaiting = awaiting_review(plan, period.at, shown=0).count
    return page


def _competition_rank(ranking: list[UnitRanking]) -> None:
    """1, 2, 2, 4: units with the same rate share a rank."""
    previous_rate, previous_rank = object(), 0
    for position, row in enumerate(ranking, start=1):
        if row.rate != previous_rate:
            previous_rate, previous_rank = row.rate, position
        row.rank = previous_rank
