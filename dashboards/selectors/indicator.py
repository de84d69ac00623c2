"""The indicator page: one indicator's series, targets, pace and each unit's contribution."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.http import Http404
from django.utils import timezone

from accounts.permissions import is_reporter, scope_to_unit
from dashboards.selectors.common import (
    PeriodChoice,
    _blank_progress,
    indicators_openable,
    row_at,
    year_target_text,
)
from indicators.measures import DONE_TEXT
from indicators.models import Assignment, Indicator, Target
from indicators.selectors import indicators_with_targets
from ipcity.figures import plain
from ipcity.quarters import Quarter, up_to
from plans.models import Plan, Unit
from progress import coverage
from progress.models import Progress
from reporting.models import WITH_OFFICE, Period, ReviewState, Submission
from reporting.states import UnitFigure, unit_figure_states

# A unit's figure is shown beside its state once handed to the office (a draft is the unit's own business).
SHOWN_STATES = (*WITH_OFFICE, ReviewState.RETURNED)


def _at(period: PeriodChoice) -> tuple[int, int]:
    if period.at is None:
        raise ValueError("no quarter chosen")  # callers check `period.at` first; a bug otherwise
    return period.at.year, period.at.quarter


# ----------------------------------------------------------------------------------------- indicator page


@dataclass
class Contribution:
    """One unit's figure for one quarter, as submitted (raw, not rolled up)."""

    submission: Submission

    @property
    def text(self) -> str:
        row, kind = self.submission, self.submission.indicator.kind
        if kind.is_qualitative:
            return DONE_TEXT.get(row.done, "—")
        if kind.has_parts:
            return f"{plain(row.numerator)} / {plain(row.denominator)}"
        return plain(row.value)


@dataclass
class IndicatorPage:
    plan: Plan
    indicator: Indicator
    period: PeriodChoice
    series: list[Progress]  # the plan region's roll-up rows up to the chosen quarter, oldest first
    contribution_units: list[Unit]
    contribution_rows: list[tuple[Quarter, list[Contribution | None]]]  # newest first, one cell per unit
    units: list[Unit]  # who reports it
    unit_states: list[UnitFigure]  # every unit owing the chosen quarter's figure, with its state

    @cached_property
    def current(self) -> Progress | None:
        return row_at(self.series, self.period.at)

    @property
    def figures(self) -> Progress:
        return self.current or _blank_progress()

    @property
    def unit_rows(self) -> list[tuple[UnitFigure, Contribution | None]]:
        """Each owing unit's state at the quarter, with its figure when it handed one to the office."""
        return [
            (row, Contribution(row.submission) if row.submission and row.state in SHOWN_STATES else None)
            for row in self.unit_states
        ]

    @property
    def actual_label(self) -> str:
        return coverage.actual_label(self.current, self.period.at)

    @cached_property
    def targets(self) -> list[Target]:
        return list(self.indicator.targets.all())

    @property
    def final_target(self) -> Target | None:
        return next((target for target in self.targets if target.year == self.plan.end_year), None)

    @property
    def year_target(self) -> Target | None:
        year = self.period.at.year if self.period.at else None
        return next((target for target in self.targets if target.year == year), None)

    @property
    def year_target_text(self) -> str:
        return year_target_text(self.indicator, self.year_target, self.current)

    @property
    def baseline(self):
        return self.indicator.latest_baseline

    @property
    def remaining_quarters(self) -> int:
        """Quarters left after the one the pace still needed stands on: the last complete quarter of the
        year (`forecast_basis`), so a partial quarter counts as still to do, as the roll-up counts it."""
        at = self.period.at
        if at is None:
            return 0
        stands_on = self.current.forecast_basis if self.current is not None else None
        return (self.plan.end_year - at.year) * 4 + (4 - (at.quarter if stands_on is None else stands_on))


def indicator_page(plan: Plan, code: str, period: PeriodChoice, user) -> IndicatorPage:
    """An indicator's roll-up over time and its raw contributions by unit and quarter. A reporter gets only
    indicators its unit reports and only its own unit's contributions; anything else is a 404."""
    indicator = (
        indicators_with_targets(plan)
        .filter(pk__in=indicators_openable(plan, user).values("pk"))
        .filter(code=code)
        .first()
    )
    if indicator is None:
        raise Http404("没有找到该指标，或您无权查看。")
    series = []
    unit_states: list[UnitFigure] = []
    rows: list[tuple[Quarter, list[Contribution | None]]] = []
    contribution_units: list[Unit] = []
    if period.at is not None:
        series = list(
            Progress.objects.filter(indicator=indicator, region_id=plan.region_id)
            .filter(up_to(period.at))
            .order_by("year", "quarter")
        )
        submissions = scope_to_unit(
            Submission.objects.filter(indicator_id=indicator.computed_from_id or indicator.pk)
            .filter(up_to(period.at, "period__"), period__year__gte=plan.start_year)
            .select_related("unit", "period", "indicator"),
            user,
        ).order_by("-period__year", "-period__quarter", "unit__name")
        by_quarter: dict[Quarter, dict[int, Contribution]] = defaultdict(dict)
        seen_units: dict[int, Unit] = {}
        for submission in submissions:
            quarter = Quarter(submission.period.year, submission.period.quarter)
            by_quarter[quarter][submission.unit_id] = Contribution(submission)
            seen_units.setdefault(submission.unit_id, submission.unit)
        unit_states = _unit_states(indicator, period.at, user)
        for state in unit_states:
            seen_units.setdefault(state.unit.pk, state.unit)
        contribution_units = sorted(seen_units.values(), key=lambda unit: unit.name)
        rows = [
            (quarter, [cells.get(unit.pk) for unit in contribution_units])
            for quarter, cells in by_quarter.items()
        ]
    return IndicatorPage(
        plan=plan,
        indicator=indicator,
        period=period,
        series=series,
        contribution_units=contribution_units,
        contribution_rows=rows,
        units=_reporting_units(indicator),
        unit_states=unit_states,
    )


def _unit_states(indicator: Indicator, at: Quarter, user) -> list[UnitFigure]:
    """Every unit owing the indicator's figure at the quarter with its state (a reporter: its own only)."""
    period = Period.objects.filter(year=at.year, quarter=at.quarter).first()
    if period is None:
        return []
    units = [user.unit_id] if is_reporter(user) else None
    source = indicator.computed_from_id or indicator.pk
    return unit_figure_states(source, period, timezone.localdate(), units=units)


def _reporting_units(indicator: Indicator) -> list[Unit]:
    """Every unit that reports the indicator (via its source when it reads another's figures), lead first."""
    return [
        assignment.unit
        for assignment in Assignment.objects.filter(indicator_id=indicator.computed_from_id or indicator.pk)
        .select_related("unit")
        .order_by("-is_lead", "unit__name")
    ]
