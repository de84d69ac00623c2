"""The quarterly progress report as a 公文: prose from the report's data (`exports.selectors.report`), in the
register of an office reporting measures and results with figures. 总体情况 with the as-of and coverage line;
each category's indicators, actual against target and pace, 暂定 where the quarter is partial; the tasks by
status in their units' own words; 存在问题 and 下步计划 collated from the units' task reports; the indicator
table and the charts as attachments."""

from __future__ import annotations

import datetime
from collections import defaultdict

from dashboards.selectors.common import year_target_text
from dashboards.templatetags.dashboards import rounded
from exports import charts
from exports.documents.common import chinese_number, enumerated, frame, paragraphs, wording
from exports.gongwen import Attachment, Gongwen, Heading, Image, Paragraph, Table
from exports.models import OfficialDocument
from exports.selectors.report import INDICATOR_STATUSES, IndicatorEntry, ReportData, TaskEntry, report_title
from indicators.models import Indicator, Target
from ipcity.quarters import Quarter
from progress import coverage
from progress.selectors import TASK_STATUS_CHOICES

INDICATOR_TABLE = ["序号", "指标", "计量单位", "年度目标", "实际值", "完成率", "序时进度", "状态"]
INDICATOR_WIDTHS = [9, 35, 14, 22, 22, 16, 20, 18]
INDICATOR_ALIGNS = ["center", "left", "center", "center", "right", "right", "right", "center"]


def _collated(data: ReportData, attribute: str) -> list[str]:
    """The units' approved texts of the quarter for one field, each once, in task order."""
    seen: dict[str, None] = {}
    for line in data.tasks:
        for report in line.reports:
            text = getattr(report, attribute).strip()
            if text:
                seen.setdefault(text, None)
    return list(seen)


def report_drafts(data: ReportData) -> dict[str, str]:
    """The wording the office may change, as drafted from the data."""
    problems, steps = _collated(data, "problems"), _collated(data, "next_steps")
    return {
        "opening": f"根据《{data.plan.title}》有关要求，现将{data.period_text}工作进展情况报告如下：",
        "overall": (
            f"{data.period_text}，各责任单位对照方案确定的目标任务和职责分工，扎实推进各项重点任务，"
            "主要指标总体按序时进度推进。"
        ),
        "problems": enumerated(problems) if problems else "本季度各责任单位报送的进展中未反映突出问题。",
        "next_steps": enumerated(steps) if steps else "各责任单位将对照年度目标，继续推进各项重点任务。",
    }


# 指标 -----------------------------------------------------------------------------------------------------


def _figure(value, indicator: Indicator, unit: str = "") -> str:
    """A figure at the indicator's precision, as the dashboards write it."""
    return f"{rounded(value, indicator.decimals)}{unit}"


def _status(line: IndicatorEntry) -> str:
    """落后; when the quarter is partial, what it stands on too:
    落后（暂定，第三季度：0/1单位已审核，1单位待审核；数据截至第二季度）."""
    label = INDICATOR_STATUSES(line.status).label
    if not coverage.is_provisional(line.progress):
        return label
    return f"{label}（{coverage.PROVISIONAL}，{coverage.coverage_note(line.progress)}）"


def indicator_sentence(line: IndicatorEntry, at: Quarter, target_of_year: Target | None) -> str:
    """专利授权量截至第三季度末为9.68万件，年度目标≥12万件，完成率80.7%，序时进度9万件，按序时推进
    (with 暂定 and what the figure stands on when the quarter is partial)."""
    indicator, progress = line.indicator, line.progress
    kind = indicator.kind
    unit = kind.display_unit(indicator)
    target = year_target_text(indicator, target_of_year, progress)
    if progress is None or progress.actual is None:
        return f"{indicator.name}本季度暂无数据，年度目标{target}"
    if kind.is_qualitative:
        actual = "已完成" if progress.actual else "尚未完成"
        parts = [f"{indicator.name}{actual}，年度目标{target}"]
    else:
        actual = _figure(progress.actual, indicator, unit)
        parts = [f"{indicator.name}截至{at.name}末为{actual}，年度目标{target}"]
        if progress.completion is not None:
            parts.append(f"完成率{rounded(progress.completion, 1)}%")
        if progress.expected is not None:
            parts.append(f"序时进度{_figure(progress.expected, indicator, unit)}")
    parts.append(_status(line))
    return "，".join(parts)


def year_target(data: ReportData, line: IndicatorEntry) -> Target | None:
    """The line's target of the report's year (`targets` holds one per plan year)."""
    years = list(data.plan.years)
    return line.targets[years.index(data.year)] if data.year in years else None


def _indicator_sections(data: ReportData, at: Quarter) -> list:
    by_category: dict[str, list[IndicatorEntry]] = defaultdict(list)
    for line in data.indicators:
        by_category[line.indicator.category].append(line)
    blocks: list = [Heading("二、主要指标完成情况")]
    number = 0
    for value, label in Indicator.Category.choices:
        lines = by_category.get(value)
        if not lines:
            continue
        number += 1
        text = enumerated([indicator_sentence(line, at, year_target(data, line)) for line in lines])
        blocks.append(Paragraph(text, lead=f"（{chinese_number(number)}）{label}类指标{len(lines)}项。"))
    if not number:
        blocks.append(Paragraph("本方案尚未设定量化指标。"))
    return blocks


def indicator_rows(data: ReportData, at: Quarter) -> list[list[str]]:
    """附件: one row per indicator, figures as the product writes them."""
    rows = []
    for n, line in enumerate(data.indicators, start=1):
        indicator, progress = line.indicator, line.progress
        unit = indicator.kind.display_unit(indicator)
        measured = progress is not None and progress.actual is not None
        completion = progress.completion if measured else None
        expected = progress.expected if measured else None
        rows.append(
            [
                str(n),
                indicator.name,
                unit or "—",
                year_target_text(indicator, year_target(data, line), progress),
                _figure(progress.actual, indicator) if measured else "—",
                "—" if completion is None else f"{rounded(completion, 1)}%",
                "—" if expected is None else _figure(expected, indicator),
                line.status_label,
            ]
        )
    return rows


# 任务 -----------------------------------------------------------------------------------------------------


def _task_words(line: TaskEntry) -> str:
    """The task in its units' words: “title”（lead牵头）, then the lead's (or first) approved 进展 of the
    quarter; said so when the quarter's report waits for review or none came."""
    lead = f"（{line.lead.name}牵头）" if line.lead else ""
    said = next((report.progress.strip() for report in line.reports if report.progress.strip()), "")
    if not said:
        said = "本季度进展待审核" if line.awaiting else "本季度未报送进展"
    return f"“{line.task.title}”{lead}，{said.rstrip('。；;')}"


def _task_sections(data: ReportData) -> list:
    blocks: list = [Heading("三、重点任务推进情况")]
    by_status: dict[str, list[TaskEntry]] = defaultdict(list)
    for line in data.tasks:
        by_status[line.status].append(line)
    counts = "，".join(f"{label}{len(by_status[s])}项" for s, label in TASK_STATUS_CHOICES if by_status[s])
    if not data.tasks:
        return [*blocks, Paragraph("本方案尚未设定重点任务。")]
    blocks.append(Paragraph(f"方案确定的{len(data.tasks)}项重点任务中，{counts}。"))
    number = 0
    for status, label in TASK_STATUS_CHOICES:
        lines = by_status[status]
        if not lines:
            continue
        number += 1
        text = enumerated([_task_words(line) for line in lines])
        blocks.append(Paragraph(text, lead=f"（{chinese_number(number)}）{label}的任务。"))
    return blocks


# The document ---------------------------------------------------------------------------------------------


def _attachments(data: ReportData, at: Quarter, *, charts_too: bool) -> list[Attachment]:
    table = Table(INDICATOR_TABLE, INDICATOR_WIDTHS, indicator_rows(data, at), INDICATOR_ALIGNS)
    found = [Attachment(f"{data.period_text}主要指标进展情况表", [table])]
    if not charts_too:
        return found
    images = [Image(charts.status_by_category(data), caption="图1　各类指标进展状态（项）")]
    completion = charts.completion_by_indicator(data)
    if completion is not None:
        images.append(Image(completion, caption="图2　各指标年度目标完成率"))
    found.append(Attachment(f"{data.period_text}主要指标进展情况图", images))
    return found


def as_of_line(data: ReportData) -> str:
    """数据截至2026年12月07日，尚有3项待审核。 (Which indicators are 暂定: the overview counts them, each
    indicator's sentence says its own.)"""
    return f"{data.pending_line}。"


def report_document(
    data: ReportData,
    overview: list[str],
    document: OfficialDocument,
    *,
    today: datetime.date,
    charts: bool = True,
) -> Gongwen:
    """The quarter's progress report with the office's settings and wording; `overview` is the figures'
    overall picture (the bulletin's, `Bulletin.overview`)."""
    at = Quarter(data.year, data.quarter)
    words = wording(document, report_drafts(data))
    body = [
        *paragraphs(words["opening"]),
        Heading("一、总体情况"),
        *paragraphs(words["overall"]),
        *(Paragraph(text) for text in overview),
        Paragraph(as_of_line(data)),
        *_indicator_sections(data, at),
        *_task_sections(data),
        Heading("四、存在问题"),
        *paragraphs(words["problems"]),
        Heading("五、下步计划"),
        *paragraphs(words["next_steps"]),
    ]
    return frame(document, today=today).gongwen(
        title=report_title(data.plan, data.year, data.quarter),
        body=body,
        status=[],
        attachments=_attachments(data, at, charts_too=charts),
    )
