"""What the bulletin (通报) says: which units are praised, which are named for lateness or lagging."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Concat

from exports.models import BulletinRelease
from exports.selectors.report import (
    ROW_CHUNK,
    Joined,
    ReportData,
    _count,
    awaiting_lines,
    count_phrases,
    plan_subject,
    report_data,
)
from indicators.models import Assignment, Indicator
from ipcity.quarters import period_text
from ipcity.typography import chinese_text
from plans.models import Plan, Unit
from progress import coverage
from progress.models import Progress, Timeliness
from reporting.models import Period, ReviewState, Submission
from reporting.selectors import owed_figures
from reporting.states import Awaiting

# The bulletin (通报) -------------------------------------------------------------------------------------


@dataclass(slots=True)
class UnitFacts:
    name: str
    facts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return chinese_text("；".join(self.facts))


class UnitList:
    """The bulletin's units, counted when the bulletin is made and read from the database each time they are
    iterated: the page and the sheet list thousands of units without holding them. Compares equal to the
    list of the same UnitFacts."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, count: int, rows: Callable[[], Iterable[UnitFacts]]) -> None:
        self._count = count
        self._rows = rows

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[UnitFacts]:
        return iter(self._rows())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UnitList | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"<UnitList: {self._count}家单位>"


@dataclass(slots=True)
class Bulletin:
    plan: Plan
    year: int
    quarter: int
    title: str
    office: str
    date: datetime.date
    opening: str
    overview: list[str]
    praised: UnitList
    named: UnitList
    requirements: list[str]
    # Units whose indicator is behind while their own figure of the quarter is not approved: not named,
    # listed as 待审核 or 未报送 (PRODUCT.md: no one is named on unreviewed data).
    unjudged: UnitList = field(default_factory=lambda: UnitList(0, list))
    awaiting: Awaiting = field(default_factory=lambda: Awaiting(0, []))
    release: BulletinRelease | None = None
    # 文号 (泉知领办〔2026〕3号) when the office has given the bulletin one; printed above its title.
    number: str = ""

    @property
    def period_text(self) -> str:
        return period_text(self.year, self.quarter)

    @property
    def is_final(self) -> bool:
        return self.release is not None

    @property
    def state_label(self) -> str:
        """正式 once the office released it; before that 征求意见稿 while items await review, else 草稿."""
        if self.release is not None:
            return "正式"
        return "征求意见稿" if self.awaiting.count else "草稿"

    @property
    def pending_line(self) -> str:
        """数据截至2026年10月20日，尚有3项待审核: on the first page of every copy."""
        return coverage.pending_text(self.date, self.awaiting.count)

    @property
    def awaiting_lines(self) -> list[str]:
        return awaiting_lines(self.awaiting)

    @property
    def status_lines(self) -> list[str]:
        """What the first page says of the bulletin itself: its state, what its data stands on, and the
        reason the office gave for releasing it before every item was reviewed. (Which items await review:
        `awaiting_lines`, listed beside the page and in the sheet.)"""
        lines = [f"（{self.state_label}）", self.pending_line]
        if self.release is not None and self.release.reason:
            lines.append(chinese_text(f"发布说明：{self.release.reason}"))
        return lines

    @property
    def unjudged_lead(self) -> str:
        return (
            f"以下{len(self.unjudged)}家单位负责的指标低于序时进度，但本单位本季度数据尚未审核通过，"
            "暂不作落后通报，待审核后再作评价："
        )

    @property
    def date_text(self) -> str:
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"

    @property
    def praised_lead(self) -> str:
        if not self.praised:
            return "本季度无符合表扬条件的单位。"
        return f"以下{len(self.praised)}家单位按时报送，所负责指标达到序时进度要求，予以通报表扬："

    @property
    def named_lead(self) -> str:
        if not self.named:
            return "本季度无需通报的单位。"
        return f"以下{len(self.named)}家单位存在逾期报送、未报送或指标落后于序时进度等情况，予以通报："


_GOVERNMENT_SUFFIXES = ("人民政府办公室", "人民政府办公厅", "人民政府", "管委会", "管理委员会")
GOOD = (Progress.Status.ACHIEVED, Progress.Status.ON_TRACK)


def office_name(plan: Plan) -> str:
    """The leading-group office that issues bulletins, named after the plan's issuer as the plans name it:
    泉州市人民政府 → 泉州市知识产权工作领导小组办公室,
    镇江经开区管委会 → 镇江经开区知识产权工作领导小组办公室."""
    place = plan.issuer
    for suffix in _GOVERNMENT_SUFFIXES:
        if place.endswith(suffix):
            place = place[: -len(suffix)]
            break
    return f"{place}知识产权工作领导小组办公室"


def bulletin_title(plan: Plan, year: int, quarter: int) -> str:
    """关于2025年第三季度泉州市示范城市建设工作推进情况的通报 — from the plan's short title."""
    return f"关于{period_text(year, quarter)}{plan_subject(plan)}工作推进情况的通报"


def _joined(parts: list[str]) -> str:
    return "，".join(parts)


_INDICATOR_PHRASES = {
    "achieved": "已完成年度目标{n}项",
    "on_track": "按序时进度推进{n}项",
    "at_risk": "略低于序时进度（预警）{n}项",
    "behind": "落后于序时进度{n}项",
    "no_data": "暂无数据{n}项",
}
_TASK_PHRASES = {
    "lagging": "进展滞后{n}项",
    "not_started": "尚未启动{n}项",
    "in_progress": "正在推进{n}项",
    "done": "已完成{n}项",
    "no_report": "尚无已审核进展{n}项",
}


def _behind(names: str | None) -> list[str]:
    """The fact naming a unit for its indicators behind their pace (“A”、“B”), if any."""
    return [f"负责的{names}落后于序时进度"] if names else []


# A unit's own figure of a behind indicator, by state, as the unjudged list states it.
_UNJUDGED_FACTS = (
    ("submitted", "负责的{names}本季度数据待审核"),
    ("returned", "负责的{names}本季度数据已退回待修改"),
    ("unsent", "负责的{names}本季度数据未报送"),
)


@dataclass(frozen=True)
class _Judged:
    """Which indicators make a unit praised or named, and the SQL that asks it of each unit. A unit is named
    for an indicator behind its pace only when its own figure of the quarter is approved."""

    behind: list[Indicator]  # in document order
    not_good: list[int]
    period: Period | None

    def assigned(self, unit: str) -> QuerySet[Assignment]:
        """What the unit owes in figures (`owed_figures`, the one definition)."""
        return owed_figures().filter(unit=OuterRef(unit))

    def _own_figure(self, states: list[str]) -> Exists:
        """The assignment's unit has its figure of the quarter in one of `states`."""
        return Exists(
            Submission.objects.filter(
                indicator_id=OuterRef("indicator_id"),
                unit_id=OuterRef("unit_id"),
                period=self.period,
                state__in=states,
            )
        )

    def _behind_by(self, unit: str, figure: str) -> QuerySet[Assignment]:
        """The unit's behind indicators whose own figure is `approved`, `submitted`, `returned`, or
        `unsent` (none, or a draft)."""
        rows = self.assigned(unit).filter(indicator__in=self.behind)
        if figure == "unsent":
            with_office = [ReviewState.APPROVED, ReviewState.SUBMITTED, ReviewState.RETURNED]
            return rows.exclude(self._own_figure(with_office))
        return rows.filter(self._own_figure([figure]))

    def behind_names(self, unit: str, figure: str = "approved") -> Joined | Value:
        """The names of the unit's behind indicators with its own figure in that state, in document order:
        “A”、“B”."""
        if not self.behind or self.period is None:
            return Value(None, TextField())
        rows = self._behind_by(unit, figure).order_by("indicator__position", "indicator__code")
        return Joined(rows, Concat(Value("“"), "indicator__name", Value("”"), output_field=TextField()), "、")

    def has_behind(self, unit: str) -> Q:
        """Behind on an indicator on the strength of its own approved figure: what names a unit."""
        if not self.behind or self.period is None:
            return Q(pk__in=[])
        return Q(Exists(self._behind_by(unit, "approved")))

    def unjudged(self, unit: str) -> Q:
        """Reports an indicator behind its pace, its own figure of the quarter not approved."""
        if not self.behind or self.period is None:
            return Q(pk__in=[])
        rows = self.assigned(unit).filter(indicator__in=self.behind)
        return Q(Exists(rows.exclude(self._own_figure([ReviewState.APPROVED]))))

    def praised(self, unit: str) -> Q:
        on_time = Q(status=Timeliness.Status.ON_TIME)
        if not self.not_good:
            return on_time
        return on_time & ~Q(Exists(self.assigned(unit).filter(indicator_id__in=self.not_good)))

    def named(self, unit: str) -> Q:
        unsent = Q(late__gt=0) | Q(expected__gt=F("submitted"))
        late = Q(status__in=[Timeliness.Status.LATE, Timeliness.Status.MISSING]) & unsent
        return late | self.has_behind(unit)


def _bulletin_units(
    plan: Plan, period: Period | None, data: ReportData
) -> tuple[UnitList, UnitList, UnitList]:
    """The praised and the named units, counted in one query and streamed when read (one query for the
    praised, one or two for the named; none for a list counted empty).

    Both read the quarter's Timeliness rows by unit name; units reporting an indicator behind its pace but
    owing nothing this quarter (no Timeliness row) are named after them, in the order the indicator lines
    first list them."""
    judged = _Judged(
        behind=[line.indicator for line in data.indicators if line.status == Progress.Status.BEHIND],
        not_good=[line.indicator.pk for line in data.indicators if line.status not in GOOD],
        period=period,
    )
    plans_assignments = Assignment.objects.filter(indicator__plan=plan)
    rows = (
        Timeliness.objects.none() if period is None else Timeliness.objects.filter(plan=plan, period=period)
    )
    rows = rows.order_by("unit__name", "unit_id")
    unrated = Unit.objects.filter(judged.has_behind("pk")).exclude(Exists(rows.filter(unit=OuterRef("pk"))))
    waiting = Unit.objects.filter(judged.unjudged("pk")).order_by("name", "pk")
    praised_count, named_count, unrated_count, waiting_count = (
        Plan.objects.filter(pk=plan.pk)
        .annotate(
            praised=_count(rows.filter(judged.praised("unit_id"))),
            named=_count(rows.filter(judged.named("unit_id"))),
            unrated=_count(unrated),
            waiting=_count(waiting),
        )
        .values_list("praised", "named", "unrated", "waiting")
        .get()
    )
    praised_count, named_count, unrated_count = praised_count or 0, named_count or 0, unrated_count or 0
    waiting_count = waiting_count or 0

    def praised() -> Iterator[UnitFacts]:
        if not praised_count:
            return
        count = plans_assignments.filter(unit=OuterRef("unit_id")).values("unit").annotate(n=Count("pk"))
        found = rows.filter(judged.praised("unit_id")).annotate(assigned=Subquery(count.values("n")))
        for name, expected, assigned in found.values_list("unit__name", "expected", "assigned").iterator(
            chunk_size=ROW_CHUNK
        ):
            facts = [f"按时报送本季度应报的{expected}项数据和进展"]
            if assigned:
                facts.append(f"负责的{assigned}项指标均已完成年度目标或达到序时进度")
            yield UnitFacts(name, facts)

    def named() -> Iterator[UnitFacts]:
        yield from rated() if named_count else ()
        yield from unreported() if unrated_count else ()

    def rated() -> Iterator[UnitFacts]:
        found = rows.filter(judged.named("unit_id")).annotate(behind=judged.behind_names("unit_id"))
        fields = ("unit__name", "status", "late", "expected", "submitted", "behind")
        for name, status, late, expected, submitted, behind in found.values_list(*fields).iterator(
            chunk_size=ROW_CHUNK
        ):
            facts = []
            if status in (Timeliness.Status.LATE, Timeliness.Status.MISSING):
                if late:
                    facts.append(f"逾期报送{late}项")
                if expected - submitted > 0:
                    facts.append(f"应报{expected}项，未报送{expected - submitted}项")
            yield UnitFacts(name, facts + _behind(behind))

    def unreported() -> Iterator[UnitFacts]:
        # Units with an indicator behind but no reporting duty this quarter are named for the indicator alone.
        first = plans_assignments.filter(unit=OuterRef("pk")).order_by(
            "indicator__position", "indicator__code"
        )
        found = unrated.annotate(
            first_position=Subquery(first.values("indicator__position")[:1]),
            first_code=Subquery(first.values("indicator__code")[:1]),
            first_lead=Subquery(first.values("is_lead")[:1]),
            behind=judged.behind_names("pk"),
        ).order_by("first_position", "first_code", "-first_lead", "name", "pk")
        for name, behind in found.values_list("name", "behind").iterator(chunk_size=ROW_CHUNK):
            yield UnitFacts(name, _behind(behind))

    def unjudged() -> Iterator[UnitFacts]:
        found = waiting.annotate(
            **{figure: judged.behind_names("pk", figure) for figure, _ in _UNJUDGED_FACTS}
        )
        fields = ("name", *(figure for figure, _ in _UNJUDGED_FACTS))
        for name, *names in found.values_list(*fields).iterator(chunk_size=ROW_CHUNK):
            pairs = zip(_UNJUDGED_FACTS, names, strict=True)
            facts = [text.format(names=which) for (_, text), which in pairs if which]
            yield UnitFacts(name, facts)

    return (
        UnitList(praised_count, praised),
        UnitList(named_count + unrated_count, named),
        UnitList(waiting_count, unjudged) if waiting_count else UnitList(0, list),
    )


def bulletin_for(plan: Plan, year: int, quarter: int, *, today: datetime.date) -> Bulletin:
    """The quarter's bulletin, every statement taken from the roll-up's figures (report_data's queries),
    in a fixed number of queries; the praised and named units are read when iterated.

    Praised: units that reported on time and none of whose assigned indicators is at risk or behind.
    Named: units that reported late or not at all, and units with an assigned indicator behind its pace
    whose own figure of the quarter is approved. Unjudged: units with an indicator behind its pace whose own
    figure is awaiting review, returned or not sent, listed as such and not named as lagging. The quarter's
    items still with the office are counted and listed, and the bulletin is 正式 only once released."""
    data = report_data(plan, year, quarter, today=today)
    praised, named, unjudged = _bulletin_units(plan, data.period, data)

    overview = []
    if data.indicators:
        phrases = count_phrases(data.indicator_counts(), _INDICATOR_PHRASES)
        partial = data.provisional_count
        provisional = (
            f"；其中{partial}项指标本季度数据尚未全部审核，状态为{coverage.PROVISIONAL}" if partial else ""
        )
        overview.append(
            f"截至{data.period_text}末，《{plan.title}》确定的{len(data.indicators)}项指标中，"
            f"{_joined(phrases)}{provisional}。"
        )
    if data.tasks:
        phrases = count_phrases(data.task_counts(), _TASK_PHRASES)
        awaiting = f"；另有{data.tasks_awaiting}项任务的本季度进展待审核" if data.tasks_awaiting else ""
        overview.append(f"{len(data.tasks)}项重点任务中，{_joined(phrases)}{awaiting}。")
    overview.append(data.units_line)

    requirements = [
        f"各责任单位要对照《{plan.title}》确定的目标任务和职责分工，压实工作责任，确保各项指标按序时进度推进。"
    ]
    if named:
        requirements.append(
            "被通报单位要认真分析原因，逾期未报、退回待修改的数据要尽快补报、修改，"
            "落后于序时进度的指标要制定针对性措施，加快工作进度。"
        )
    if data.next_period is not None:
        due = data.next_period.due_on
        requirements.append(
            f"{period_text(data.next_period.year, data.next_period.quarter)}数据和进展请于"
            f"{due.year}年{due.month}月{due.day}日前报送。"
        )
    return Bulletin(
        plan=plan,
        year=year,
        quarter=quarter,
        title=chinese_text(bulletin_title(plan, year, quarter)),
        office=office_name(plan),
        date=today,
        opening=chinese_text(f"根据《{plan.title}》有关要求，现将{data.period_text}工作推进情况通报如下："),
        overview=[chinese_text(text) for text in overview],
        praised=praised,
        named=named,
        requirements=[chinese_text(text) for text in requirements],
        unjudged=unjudged,
        awaiting=data.awaiting,
        release=BulletinRelease.objects.filter(plan=plan, year=year, quarter=quarter).first(),
    )
