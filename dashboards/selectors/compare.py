"""The cross-plan comparison page: plans side by side by theme at one quarter."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F

from dashboards.selectors.common import PeriodChoice, _blank_progress, row_at
from indicators.models import Indicator, Population, Target
from indicators.selectors import indicators_with_targets
from ipcity.quarters import Quarter, up_to
from plans.models import Plan
from progress.models import Progress

# ---------------------------------------------------------------------------------------------- comparison

# How people name a comparison theme; the indicator's own name is used for a theme not listed here.
THEME_LABELS = {
    "hv-invention-patents": "高价值发明专利",
    "trademarks": "商标",
    "pledge-financing": "知识产权质押融资",
    "advantage-enterprises": "知识产权优势示范企业",
    "ip-service-providers": "知识产权服务机构（网点）",
    "copyright": "版权登记",
    "geographical-indications": "地理标志",
}
# Units written with a magnitude prefix are compared in their base unit: 88万件 → 880000件.
UNIT_SCALES = {
    "万件": ("件", Decimal(10000)),
    "亿元": ("万元", Decimal(10000)),
    "万人": ("人", Decimal(10000)),
}
# What each measure's values count (`Measure.compares_as`), in the page's words.
MEASURE_KIND_LABELS = {"level": "存量", "flow": "当年新增", "cumulative": "实施期累计"}


@dataclass
class ThemeEntry:
    """One plan's indicator on a theme, at the chosen quarter, with its value per 10,000 residents."""

    indicator: Indicator
    progress: Progress | None
    series: list[Progress]
    population: Population | None
    final_target: Target | None

    @property
    def figures(self) -> Progress:
        return self.progress or _blank_progress()

    @property
    def base_unit(self) -> str:
        return UNIT_SCALES.get(self.indicator.unit, (self.indicator.unit, Decimal(1)))[0]

    @property
    def kind(self) -> str | None:
        """Values of entries of one kind mean the same thing: a level at a date, or an amount over a span."""
        return self.indicator.kind.compares_as

    @property
    def normalisable(self) -> bool:
        return self.kind is not None

    def per_10k(self, progress: Progress | None) -> Decimal | None:
        """The value per 10,000 residents of the plan's region (per_capita indicators already are)."""
        if progress is None or progress.actual is None or not self.normalisable:
            return None
        if self.indicator.kind.divides_by_population:
            return progress.actual
        if self.population is None:
            return None
        scale = UNIT_SCALES.get(self.indicator.unit, (self.indicator.unit, Decimal(1)))[1]
        return progress.actual * scale / self.population.value

    @property
    def value_per_10k(self) -> Decimal | None:
        return self.per_10k(self.progress)

    @property
    def needs_population(self) -> bool:
        return self.normalisable and not self.indicator.kind.divides_by_population


@dataclass
class Theme:
    theme: str
    label: str
    entries: list[ThemeEntry]

    @property
    def same_definition(self) -> bool:
        """Every plan's indicator carries one comparable key: the office says they count the same thing."""
        keys = {entry.indicator.comparable_key for entry in self.entries}
        return len(keys) == 1 and "" not in keys

    @property
    def same_kind(self) -> bool:
        kinds = {entry.kind for entry in self.entries}
        return len(kinds) == 1 and None not in kinds

    @property
    def comparable(self) -> bool:
        """Values per 10k are divided into each other only when every plan counts the same thing (one
        comparable definition) the same way (one kind); other themes stand side by side without a ratio."""
        return self.same_definition and self.same_kind

    @property
    def kinds_text(self) -> str:
        return "、".join(
            f"{entry.indicator.plan.short_title}为{MEASURE_KIND_LABELS.get(entry.kind or '', '定性')}"
            for entry in self.entries
        )

    @property
    def per_10k_unit(self) -> str:
        """件/万人; empty when the plans count in different units (个 and 家)."""
        units = {entry.base_unit for entry in self.entries}
        return f"{units.pop()}/万人" if len(units) == 1 else ""

    @property
    def missing_population(self) -> list[ThemeEntry]:
        return [entry for entry in self.entries if entry.needs_population and entry.population is None]


@dataclass
class Comparison:
    plans: list[Plan]
    period: PeriodChoice
    themes: list[Theme]


def comparison_quarters(plans: list[Plan]) -> list[Quarter]:
    """Quarters with roll-up rows for every compared plan's own region."""
    rows = (
        Progress.objects.filter(
            plan__in=plans,
            indicator__plan__in=plans,
            indicator__plan=F("plan"),
            region_id=F("plan__region_id"),
        )
        .values_list("plan_id", "year", "quarter")
        .distinct()
    )
    by_quarter: dict[Quarter, set[int]] = defaultdict(set)
    for plan_id, year, quarter in rows:
        by_quarter[Quarter(year, quarter)].add(plan_id)
    return sorted(quarter for quarter, plan_ids in by_quarter.items() if len(plan_ids) == len(plans))


def comparison(plans: list[Plan], period: PeriodChoice) -> Comparison:
    """The indicators plans share by theme, with each plan's actual, completion and value per 10,000
    residents (population of the quarter's year, else the latest year before it)."""
    indicators = list(
        indicators_with_targets().filter(plan__in=plans).exclude(theme="").select_related("plan__region")
    )
    plans_by_theme: dict[str, set[int]] = defaultdict(set)
    for indicator in indicators:
        plans_by_theme[indicator.theme].add(indicator.plan_id)
    shared = [indicator for indicator in indicators if len(plans_by_theme[indicator.theme]) > 1]
    series: dict[int, list[Progress]] = defaultdict(list)
    populations: dict[int, list[Population]] = defaultdict(list)
    if period.at is not None:
        rows = (
            Progress.objects.filter(indicator__in=shared, region_id=F("plan__region_id"))
            .filter(up_to(period.at))
            .order_by("year", "quarter")
        )
        for row in rows:
            series[row.indicator_id].append(row)
        population_rows = Population.objects.filter(
            region_id__in={plan.region_id for plan in plans}, year__lte=period.at.year
        ).order_by("year")
        for population in population_rows:
            populations[population.region_id].append(population)
    themes: dict[str, Theme] = {}
    for indicator in shared:
        entry = ThemeEntry(
            indicator=indicator,
            progress=row_at(series[indicator.pk], period.at),
            series=series[indicator.pk],
            population=(populations[indicator.plan.region_id] or [None])[-1],
            final_target=next(
                (target for target in indicator.targets.all() if target.year == indicator.plan.end_year), None
            ),
        )
        label = THEME_LABELS.get(indicator.theme, indicator.name)
        themes.setdefault(indicator.theme, Theme(indicator.theme, label, [])).entries.append(entry)
    ordered = sorted(themes.values(), key=lambda theme: min(e.indicator.position for e in theme.entries))
    return Comparison(plans=plans, period=period, themes=ordered)
