"""The plan overview: one card per indicator, status counts, and the plans at a glance."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q

from accounts.permissions import READERS, has_role, is_reporter
from dashboards.selectors.common import (
    PeriodChoice,
    _blank_progress,
    default_quarter,
    indicators_openable,
    own_unit,
    pace_percent,
    reported_through,
    year_target_text,
)
from dashboards.selectors.indicator import _at
from indicators.models import Assignment, Indicator, Target
from indicators.selectors import indicators_with_targets
from ipcity.quarters import Quarter
from plans.models import Plan, Unit
from progress.models import Progress
from progress.selectors import PROGRESS_STATUSES, StatusCount, progress_for, task_lines, task_status_counts


@dataclass
class IndicatorCard:
    indicator: Indicator
    progress: Progress | None
    year_target: Target | None
    final_target: Target | None
    units: list[Unit]  # the reporting units, lead first; only the lead when more than CARD_UNITS report it
    openable: bool
    crowded: bool = False  # more than CARD_UNITS units report it

    @property
    def figures(self) -> Progress:
        return self.progress or _blank_progress()

    @property
    def status(self) -> str:
        return self.figures.status

    @property
    def status_label(self) -> str:
        return PROGRESS_STATUSES(self.status).label

    @property
    def year_target_text(self) -> str:
        return year_target_text(self.indicator, self.year_target, self.progress)

    @property
    def bar_percent(self) -> Decimal:
        completion = self.progress.completion if self.progress else None
        return max(Decimal(0), min(Decimal(100), completion)) if completion is not None else Decimal(0)

    @property
    def pace_percent(self) -> Decimal | None:
        pace = pace_percent(self.progress)
        return max(Decimal(0), min(Decimal(100), pace)) if pace is not None else None


@dataclass
class Overview:
    plan: Plan
    period: PeriodChoice
    cards: list[IndicatorCard]
    groups: list[tuple[str, str, list[IndicatorCard]]]  # (category, label, cards shown)
    status_counts: list[StatusCount]
    task_counts: list[StatusCount]
    tasks_awaiting: int  # tasks with a report of the quarter still with the office
    units: list[Unit]  # every reporting unit, for the filter; empty when there are too many to list
    status: str
    unit_id: int | None
    scoped: bool  # a reporter: task counts are of its own unit's tasks
    unit_search: bool = False  # too many units for a list: the filter asks for a unit's name
    unit_name: str = ""

    @property
    def task_total(self) -> int:
        return sum(count.count for count in self.task_counts)

    @property
    def shown(self) -> int:
        return sum(len(cards) for _, _, cards in self.groups)


# A card names every unit that reports its indicator when there are at most this many (a city plan); beyond
# that (a national plan's 2,800 county governments) only the lead unit, so that neither the page nor its
# queries grow with the number of units: not even a count, which would read every assignment.
CARD_UNITS = 12


def _source_ids(indicators: list[Indicator]) -> set[int]:
    return {indicator.computed_from_id or indicator.pk for indicator in indicators}


def indicator_units(indicators: list[Indicator]) -> dict[int, tuple[list[Unit], bool]]:
    """For each indicator (via its source when it reads another's figures) the units a card names and whether
    more report it: every unit, lead first, then by name, when at most CARD_UNITS do; else only the lead.
    Two queries, each reading at most CARD_UNITS + 1 assignments per indicator."""
    sources = _source_ids(indicators)
    beyond = Assignment.objects.filter(indicator_id=OuterRef("pk")).order_by()[CARD_UNITS : CARD_UNITS + 1]
    crowded = set(
        Indicator.objects.alias(crowded=Exists(beyond))
        .filter(pk__in=sources, crowded=True)
        .values_list("pk", flat=True)
    )
    shown: dict[int, list[Unit]] = defaultdict(list)
    for assignment in (
        Assignment.objects.filter(
            Q(indicator_id__in=sources - crowded) | Q(indicator_id__in=crowded, is_lead=True)
        )
        .select_related("unit")
        .order_by("indicator_id", "-is_lead", "unit__name")
    ):
        shown[assignment.indicator_id].append(assignment.unit)
    return {
        indicator.pk: (shown[source], source in crowded)
        for indicator in indicators
        for source in [indicator.computed_from_id or indicator.pk]
    }


def _openable(plan: Plan, user, indicators: list[Indicator]) -> set[int]:
    """Ids of the indicators the user may drill into (see `indicators_openable`); a reader's need no query."""
    if has_role(user, READERS) and not is_reporter(user):
        return {indicator.pk for indicator in indicators}
    return set(indicators_openable(plan, user).values_list("pk", flat=True))


def _reported_by(indicators: list[Indicator], unit_id: int) -> set[int]:
    """The indicators a unit reports (directly or through the indicator they read)."""
    sources = set(
        Assignment.objects.filter(indicator_id__in=_source_ids(indicators), unit_id=unit_id).values_list(
            "indicator_id", flat=True
        )
    )
    return {
        indicator.pk for indicator in indicators if (indicator.computed_from_id or indicator.pk) in sources
    }


def _unit_named(indicators: list[Indicator], name: str) -> int | None:
    return (
        Assignment.objects.filter(indicator_id__in=_source_ids(indicators), unit__name=name.strip())
        .order_by("unit_id")
        .values_list("unit_id", flat=True)
        .first()
    )


def plan_overview(
    plan: Plan,
    period: PeriodChoice,
    user,
    *,
    status: str = "",
    unit_id: int | None = None,
    unit_name: str = "",
) -> Overview:
    """A card per indicator at the chosen quarter, grouped by category, with headline counts of indicators and
    tasks per status. `status` and the unit (`unit_id`, or `unit_name` where the plan has too many units to
    list) narrow the cards shown, never the headline counts. A fixed number of queries, none reading more
    than CARD_UNITS + 1 assignments per indicator, whatever the number of units."""
    indicators = list(indicators_with_targets(plan))
    progress = {row.indicator_id: row for row in progress_for(plan, *_at(period))} if period.at else {}
    units = indicator_units(indicators)
    listed = not any(crowded for _, crowded in units.values())
    if unit_name.strip() and unit_id is None:
        unit_id = _unit_named(indicators, unit_name)
    if unit_id is None:
        reported = set() if unit_name.strip() else None  # a name no reporting unit has: no card
    elif listed:
        reported = {pk for pk, (shown, _) in units.items() if any(unit.pk == unit_id for unit in shown)}
    else:
        reported = _reported_by(indicators, unit_id)
    openable = _openable(plan, user, indicators)
    cards = []
    for indicator in indicators:
        targets = {target.year: target for target in indicator.targets.all()}
        year = period.at.year if period.at else plan.start_year
        cards.append(
            IndicatorCard(
                indicator=indicator,
                progress=progress.get(indicator.pk),
                year_target=targets.get(year),
                final_target=targets.get(plan.end_year),
                units=units[indicator.pk][0],
                crowded=units[indicator.pk][1],
                openable=indicator.pk in openable,
            )
        )
    counted = Counter(card.status for card in cards)
    status_counts = [StatusCount(value, label, counted[value]) for value, label in PROGRESS_STATUSES.choices]
    chosen = [
        card
        for card in cards
        if (not status or card.status == status) and (reported is None or card.indicator.pk in reported)
    ]
    groups = []
    for category, label in Indicator.Category.choices:
        in_group = [card for card in chosen if card.indicator.category == category]
        if in_group:
            groups.append((category, label, in_group))
    all_units = {unit.pk: unit for shown, _ in units.values() for unit in shown} if listed else {}
    tasks = task_lines(plan, period.at, unit_id=own_unit(user)) if period.at else []
    return Overview(
        plan=plan,
        period=period,
        cards=cards,
        groups=groups,
        status_counts=status_counts,
        task_counts=task_status_counts(tasks),
        tasks_awaiting=sum(line.awaiting for line in tasks),
        units=sorted(all_units.values(), key=lambda unit: unit.name),
        status=status,
        unit_id=unit_id,
        scoped=is_reporter(user),
        unit_search=not listed,
        unit_name=unit_name.strip(),
    )


# ---------------------------------------------------------------------------------------------------- index


@dataclass
class PlanGlance:
    plan: Plan
    at: Quarter | None
    counts: list[StatusCount]


def plans_at_a_glance(plans: list[Plan]) -> list[PlanGlance]:
    """Each plan's latest due quarter with roll-up rows and its indicators per status then (two queries)."""
    rows = (
        Progress.objects.filter(plan__in=plans, region_id=F("plan__region_id"))
        .values("plan_id", "year", "quarter", "status")
        .annotate(n=Count("id"))
    )
    by_quarter: dict[int, dict[Quarter, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for row in rows:
        by_quarter[row["plan_id"]][Quarter(row["year"], row["quarter"])][row["status"]] += row["n"]
    glances = []
    through = reported_through()
    for plan in plans:
        quarters = by_quarter.get(plan.pk, {})
        at = default_quarter(set(quarters), through)
        counted = quarters[at] if at else Counter()
        counts = [StatusCount(value, label, counted[value]) for value, label in PROGRESS_STATUSES.choices]
        glances.append(PlanGlance(plan, at, counts))
    return glances
