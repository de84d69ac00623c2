"""What every dashboard page shares: the quarter it shows and the ones it could, and blank rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.permissions import is_reporter, scope_to_unit
from indicators.models import Assignment, Indicator, Target
from ipcity.figures import plain, target_text
from ipcity.quarters import Quarter
from plans.models import Plan
from progress.models import Progress
from reporting.models import Period


def _blank_progress() -> Progress:
    """What a page shows for a quarter the roll-up has no row for: every figure empty, no data."""
    return Progress(status=Progress.Status.NO_DATA)


def plan_quarters(plan: Plan) -> list[Quarter]:
    """Every quarter of the plan's implementation period, in order."""
    return [Quarter(year, quarter) for year in plan.years for quarter in (1, 2, 3, 4)]


def row_at(rows: list[Progress], at: Quarter | None) -> Progress | None:
    """The row of quarter `at` among a series of roll-up rows."""
    return next((row for row in rows if at and (row.year, row.quarter) == (at.year, at.quarter)), None)


def progress_quarters(plan: Plan) -> list[Quarter]:
    """The quarters that have roll-up rows for the plan's own region, oldest first."""
    rows = (
        Progress.objects.filter(plan=plan, indicator__plan=plan, region_id=plan.region_id)
        .values_list("year", "quarter")
        .distinct()
        .order_by("year", "quarter")
    )
    return [Quarter(year, quarter) for year, quarter in rows]


@dataclass
class PeriodChoice:
    """The quarter a page shows and the ones it could show (for the switcher)."""

    at: Quarter | None
    available: list[Quarter]
    through: Quarter | None = None  # the latest quarter whose reporting is due

    @property
    def still_open(self) -> bool:
        """The shown quarter's reporting is not yet due: its figures are incomplete."""
        return self.at is not None and self.through is not None and self.at > self.through

    @property
    def has_data(self) -> bool:
        return self.at is not None and self.at in self.available

    @property
    def years(self) -> list[int]:
        return sorted({quarter.year for quarter in self.available})

    @property
    def previous(self) -> Quarter | None:
        earlier = [quarter for quarter in self.available if self.at and quarter < self.at]
        return earlier[-1] if earlier else None

    @property
    def next(self) -> Quarter | None:
        later = [quarter for quarter in self.available if self.at and quarter > self.at]
        return later[0] if later else None


def reported_through(today: datetime.date | None = None) -> Quarter | None:
    """The latest quarter whose reporting was due by today (one query). The roll-up writes rows for every
    quarter of a plan, including ones still open; those are not what a page should open on."""
    period = (
        Period.objects.filter(due_on__lte=today or timezone.localdate())
        .order_by("-year", "-quarter")
        .values_list("year", "quarter")
        .first()
    )
    return Quarter(*period) if period else None


def default_quarter(available: list[Quarter] | set[Quarter], through: Quarter | None) -> Quarter | None:
    """The latest available quarter already due, else the earliest one (a plan not yet reporting)."""
    due = [quarter for quarter in available if through is None or quarter <= through]
    if due:
        return max(due)
    return min(available, default=None)


def ranking_default(plan: Plan, year: int | None, quarter: int | None) -> tuple[int, int | None]:
    """The 目标考核 page's year and quarter: as asked, else the latest quarter already due within the plan's
    years (the plan's first quarter before any is due, its last after it ended)."""
    if year is not None:
        return year, quarter
    through = reported_through()
    if through is None or through.year < plan.start_year:
        return plan.start_year, 1
    if through.year > plan.end_year:
        return plan.end_year, 4
    return through.year, through.quarter


def period_choose(available: list[Quarter], requested: Quarter | None) -> PeriodChoice:
    """The requested quarter, else the latest one with roll-up rows whose reporting is already due."""
    through = reported_through()
    at = requested if requested is not None else default_quarter(available, through)
    return PeriodChoice(at, available, through)


# --------------------------------------------------------------------------------------------- indicators


def indicators_openable(plan: Plan, user) -> QuerySet[Indicator]:
    """The plan's indicators the user may drill into: all for readers; for a reporter those its unit reports
    (an indicator read from another's figures counts as reported by that one's units)."""
    rows = Indicator.objects.filter(plan=plan)
    if not is_reporter(user):
        return scope_to_unit(rows, user)  # readers: every row; anyone else: none
    assigned = Assignment.objects.filter(unit_id=user.unit_id).filter(
        Q(indicator_id=OuterRef("pk")) | Q(indicator_id=OuterRef("computed_from_id"))
    )
    return rows.filter(Exists(assigned))


def year_target_text(indicator: Indicator, target: Target | None, progress: Progress | None) -> str:
    """The year's target as the plan writes it, with the figure the roll-up compares against when the plan
    gives none of its own (保持增长: above last year's actual)."""
    if target is None:
        return "—"
    if target.comparator == Target.Comparator.GROWTH and progress and progress.target_min is not None:
        return f"保持增长（上年{plain(progress.target_min)}{indicator.kind.display_unit(indicator)}）"
    return target_text(target.comparator, target.min, target.max, indicator.kind.display_unit(indicator))


def target_value(progress: Progress | None) -> Decimal | None:
    """The figure the year's target names: its lower bound, or its upper bound for 控制在…以内."""
    if progress is None:
        return None
    return progress.target_min if progress.target_min is not None else progress.target_max


def pace_percent(progress: Progress | None) -> Decimal | None:
    """Where the expected pace (序时进度) stands on the completion bar: expected ÷ the year's target, the
    scale on which the roll-up states completion."""
    target = target_value(progress)
    if progress is None or progress.expected is None or not target:
        return None
    return progress.expected / target * 100


def own_unit(user) -> int | None:
    """The unit a reader's view of tasks is narrowed to: a reporter's own, nobody else's."""
    return user.unit_id if is_reporter(user) else None
