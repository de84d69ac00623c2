"""Reads behind the progress report and the bulletin: one plan and quarter, a fixed number of queries.

Figures come from the roll-up (`progress_for`, `Timeliness`), never from raw submissions, so the report, the
progress API and the dashboards agree. Texts (notes, task progress) come from approved rows only: the report
goes upward and carries what the office has reviewed."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from celery import current_app
from celery.result import AsyncResult
from django.db.models import QuerySet

from accounts.permissions import is_reviewer
from indicators.models import (
    Assignment,
    Baseline,
    Indicator,
    Period,
    Progress,
    ReviewState,
    Submission,
    Target,
    TaskReport,
    Timeliness,
)
from indicators.selectors import indicators_with_targets, progress_for
from plans.models import Plan, Section, Task, Unit
from reports.models import ExportJob, period_text
from reports.selectors import TASK_STATUS_CHOICES, Quarter, TaskLine, task_lines

INDICATOR_STATUSES = Progress.Status
TIMELINESS_STATUSES = Timeliness.Status


@dataclass(slots=True)
class IndicatorEntry:
    indicator: Indicator
    progress: Progress | None
    baseline: Baseline | None
    targets: list[Target | None]  # one per plan year
    units: list[Unit]  # assigned reporting units, the lead first
    notes: list[tuple[str, str]]  # (unit name, note) from approved submissions of the quarter

    @property
    def status(self) -> str:
        return self.progress.status if self.progress else Progress.Status.NO_DATA


@dataclass(slots=True)
class TaskEntry:
    line: TaskLine  # the task's status by the one rule of `task_lines`
    reports: list[TaskReport]  # approved reports of the quarter, lead first, then document order

    @property
    def task(self) -> Task:
        return self.line.task

    @property
    def section(self) -> Section:
        return self.line.section

    @property
    def lead(self) -> Unit | None:
        return self.line.lead

    @property
    def co(self) -> list[Unit]:
        return self.line.co

    @property
    def status(self) -> str:
        return self.line.status

    @property
    def awaiting(self) -> bool:
        return self.line.awaiting


@dataclass(slots=True)
class ReportData:
    plan: Plan
    year: int
    quarter: int
    period: Period | None
    indicators: list[IndicatorEntry]
    tasks: list[TaskEntry]
    units: list[Timeliness]
    next_period: Period | None = None

    @property
    def period_text(self) -> str:
        return period_text(self.year, self.quarter)

    def indicator_counts(self) -> list[tuple[str, str, int]]:
        """(status, label, count) for every indicator status, in the order of Progress.Status."""
        return _counted(Counter(line.status for line in self.indicators), INDICATOR_STATUSES.choices)

    def task_counts(self) -> list[tuple[str, str, int]]:
        return _counted(Counter(line.status for line in self.tasks), TASK_STATUS_CHOICES)

    @property
    def tasks_awaiting(self) -> int:
        """Tasks whose report of the quarter is still with the office (counted beside the statuses)."""
        return sum(line.awaiting for line in self.tasks)

    def unit_counts(self) -> list[tuple[str, str, int]]:
        return _counted(Counter(row.status for row in self.units), TIMELINESS_STATUSES.choices)

    def category_counts(self) -> list[tuple[str, dict[str, int]]]:
        """(category label, {status: count}) for the categories the plan's indicators use, in choice order."""
        by_category: dict[str, Counter] = defaultdict(Counter)
        for line in self.indicators:
            by_category[line.indicator.category][line.status] += 1
        return [
            (label, {status: by_category[value][status] for status in INDICATOR_STATUSES.values})
            for value, label in Indicator.Category.choices
            if value in by_category
        ]


def _counted(counter: Counter, choices: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    return [(value, label, counter[value]) for value, label in choices]


def report_data(plan: Plan, year: int, quarter: int) -> ReportData:
    """Everything the progress report shows for a plan and quarter, in document order, in 11 queries whatever
    the number of indicators, tasks, units or submissions.

    Every indicator of the plan has a line; one the roll-up has not reached shows as 无数据. A task's status
    is the dashboards' (`task_lines`: the most worrying of its units' latest approved reports); its texts are
    the quarter's approved reports."""
    progress = {row.indicator_id: row for row in progress_for(plan, year, quarter)}
    indicators = list(indicators_with_targets(plan))
    units_of: dict[int, list[Unit]] = defaultdict(list)
    for assignment in (
        Assignment.objects.filter(indicator__plan=plan)
        .select_related("unit")
        .order_by("indicator_id", "-is_lead", "unit__name")
    ):
        units_of[assignment.indicator_id].append(assignment.unit)
    period, next_period = _period_and_next(year, quarter)
    notes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    units: list[Timeliness] = []
    if period is not None:
        for indicator_id, unit_name, note in (
            Submission.objects.filter(indicator__plan=plan, period=period, state=ReviewState.APPROVED)
            .exclude(note="")
            .order_by("indicator_id", "unit__name")
            .values_list("indicator_id", "unit__name", "note")
        ):
            notes[indicator_id].append((unit_name, note))
        units = list(
            Timeliness.objects.filter(plan=plan, period=period).select_related("unit").order_by("unit__name")
        )
    return ReportData(
        plan=plan,
        year=year,
        quarter=quarter,
        period=period,
        indicators=[
            IndicatorEntry(
                indicator=indicator,
                progress=progress.get(indicator.pk),
                baseline=indicator.latest_baseline,
                targets=_targets_by_year(indicator, plan),
                units=units_of[indicator.pk],
                notes=notes[indicator.pk],
            )
            for indicator in indicators
        ],
        tasks=[_task_entry(line, year, quarter) for line in task_lines(plan, Quarter(year, quarter))],
        units=units,
        next_period=next_period,
    )


def _targets_by_year(indicator: Indicator, plan: Plan) -> list[Target | None]:
    by_year = {target.year: target for target in indicator.targets.all()}
    return [by_year.get(year) for year in plan.years]


def _period_and_next(year: int, quarter: int) -> tuple[Period | None, Period | None]:
    following = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    found = {
        (p.year, p.quarter): p
        for p in Period.objects.filter(year__in={year, following[0]}, quarter__in={quarter, following[1]})
    }
    return found.get((year, quarter)), found.get(following)


def _task_entry(line: TaskLine, year: int, quarter: int) -> TaskEntry:
    """The task with the texts of its units' approved reports of this quarter, in the line's unit order."""
    reports = [
        unit.report
        for unit in line.units
        if unit.report and (unit.report.period.year, unit.report.period.quarter) == (year, quarter)
    ]
    return TaskEntry(line=line, reports=reports)


# The bulletin (通报) -------------------------------------------------------------------------------------


@dataclass(slots=True)
class UnitFacts:
    name: str
    facts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "；".join(self.facts)


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
    praised: list[UnitFacts]
    named: list[UnitFacts]
    requirements: list[str]

    @property
    def period_text(self) -> str:
        return period_text(self.year, self.quarter)

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
    name = plan.short_title
    subject = f"{name[: -len('工作方案')]}建设" if name.endswith("工作方案") else f"《{name}》"
    return f"关于{period_text(year, quarter)}{subject}工作推进情况的通报"


def _joined(parts: list[str]) -> str:
    return "，".join(parts)


def _count_phrases(counts: list[tuple[str, str, int]], phrases: dict[str, str]) -> list[str]:
    return [phrases[value].format(n=n) for value, _label, n in counts if n and value in phrases]


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
_UNIT_PHRASES = {
    "on_time": "按时报送{n}家",
    "late": "逾期报送{n}家",
    "missing": "未报送或未报齐{n}家",
    "returned": "退回待修改{n}家",
    "not_due": "未到截止日{n}家",
}


def _behind(lines: list[IndicatorEntry]) -> list[str]:
    names = [f"“{line.indicator.name}”" for line in lines if line.status == Progress.Status.BEHIND]
    return ["负责的" + "、".join(names) + "落后于序时进度"] if names else []


def bulletin_for(plan: Plan, year: int, quarter: int, *, today: datetime.date) -> Bulletin:
    """The quarter's bulletin, every statement taken from the roll-up's figures (report_data's queries).

    Praised: units that reported on time and none of whose assigned indicators is at risk or behind.
    Named: units that reported late or not at all, and units with an assigned indicator behind its pace."""
    data = report_data(plan, year, quarter)
    indicators_of: dict[int, list[IndicatorEntry]] = defaultdict(list)
    for line in data.indicators:
        for unit in line.units:
            indicators_of[unit.pk].append(line)
    praised, named = [], []
    for row in data.units:
        lines = indicators_of.pop(row.unit_id, [])
        if row.status == Timeliness.Status.ON_TIME and all(line.status in GOOD for line in lines):
            facts = [f"按时报送本季度应报的{row.expected}项数据和进展"]
            if lines:
                facts.append(f"负责的{len(lines)}项指标均已完成年度目标或达到序时进度")
            praised.append(UnitFacts(row.unit.name, facts))
            continue
        facts = []
        if row.status in (Timeliness.Status.LATE, Timeliness.Status.MISSING):
            if row.late:
                facts.append(f"逾期报送{row.late}项")
            unsent = row.expected - row.submitted
            if unsent > 0:
                facts.append(f"应报{row.expected}项，未报送{unsent}项")
        facts += _behind(lines)
        if facts:
            named.append(UnitFacts(row.unit.name, facts))
    # Units with an indicator behind but no reporting duty this quarter are named for the indicator alone.
    for unit_id, lines in indicators_of.items():
        facts = _behind(lines)
        if facts:
            unit = next(unit for unit in lines[0].units if unit.pk == unit_id)
            named.append(UnitFacts(unit.name, facts))

    overview = []
    if data.indicators:
        phrases = _count_phrases(data.indicator_counts(), _INDICATOR_PHRASES)
        overview.append(
            f"截至{data.period_text}末，《{plan.title}》确定的{len(data.indicators)}项指标中，{_joined(phrases)}。"
        )
    if data.tasks:
        phrases = _count_phrases(data.task_counts(), _TASK_PHRASES)
        awaiting = f"；另有{data.tasks_awaiting}项任务的本季度进展待审核" if data.tasks_awaiting else ""
        overview.append(f"{len(data.tasks)}项重点任务中，{_joined(phrases)}{awaiting}。")
    if data.units:
        phrases = _count_phrases(data.unit_counts(), _UNIT_PHRASES)
        overview.append(f"本季度应报送数据和进展的{len(data.units)}家责任单位中，{_joined(phrases)}。")
    else:
        overview.append("本季度尚无责任单位报送情况统计。")

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
        title=bulletin_title(plan, year, quarter),
        office=office_name(plan),
        date=today,
        opening=f"根据《{plan.title}》有关要求，现将{data.period_text}工作推进情况通报如下：",
        overview=overview,
        praised=praised,
        named=named,
        requirements=requirements,
    )


# Export jobs ---------------------------------------------------------------------------------------------


def export_jobs_visible(user) -> QuerySet[ExportJob]:
    """Jobs a user may see: its own; the office (reviewers, admins) sees everyone's."""
    jobs = ExportJob.objects.select_related("plan", "requested_by")
    return jobs if is_reviewer(user) else jobs.filter(requested_by=user)


def export_job_progress(job: ExportJob) -> dict:
    """The job's state for the polling page. A finished job answers from its row; a running one from the
    PROGRESS meta its Celery task reports (`update_state`), read from the result backend."""
    done = total = job.rows if job.state == ExportJob.State.DONE else 0
    state = job.state
    if state in (ExportJob.State.PENDING, ExportJob.State.RUNNING) and not current_app.conf.task_always_eager:
        # Without a broker the task ran inside the request that started it: there is nothing to ask.
        result = AsyncResult(str(job.pk), app=current_app)
        if result.state == "PROGRESS" and isinstance(result.info, dict):
            state = ExportJob.State.RUNNING
            done, total = int(result.info.get("done", 0)), int(result.info.get("total", 0))
        elif result.state == "FAILURE":
            state = ExportJob.State.FAILED
    percent = 100 if state == ExportJob.State.DONE else (min(99, done * 100 // total) if total else 0)
    return {
        "state": state,
        "label": ExportJob.State(state).label,
        "done": done,
        "total": total,
        "percent": percent,
        "rows": job.rows,
        "error": job.error,
    }
