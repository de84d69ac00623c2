"""The office's Excel files: the quarterly progress report (汇总, 指标进度, 任务进展, 报送情况) and
the bulletin (通报). Each sheet is a generator of rows over `exports.selectors`, written by the one writer in
`ipcity.workbook` (XlsxWriter); the summary chart is a native Excel chart described as a `ChartSpec`."""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from exports.ranking_sheet import ranking_sheet
from exports.selectors.bulletin import Bulletin, UnitList, bulletin_for, office_name
from exports.selectors.official import official_document
from exports.selectors.report import (
    TIMELINESS_COUNTS,
    UNITS_WIDTH_SHOWN,
    IndicatorEntry,
    ReportData,
    TaskEntry,
    report_data,
    report_title,
)
from indicators.models import Target
from ipcity.figures import target_text
from ipcity.statuses import INDICATOR_TONES, STATUS_COLOURS, TASK_TONES, TIMELINESS_TONES
from ipcity.typography import chinese_text, kept_together
from ipcity.workbook import (
    Cell,
    ChartSpec,
    Column,
    Row,
    SheetSpec,
    Style,
    WorkbookSpec,
    fit_width,
    font,
    solid,
    width_for,
    wrapped_height,
    wrapped_lines,
    write_workbook,
)
from ipcity.workbook.text import TEXT_FONT, TEXT_SIZE
from plans.models import Plan
from progress.models import Progress, Timeliness
from progress.selectors import TASK_STATUS_CHOICES

Progressed = Callable[[int, int], None]
COVER_SIZE = 16  # 三号, the size of a document's body text
TITLE_SIZE = 22  # 二号, a document's title
PRINTED_TEXT_MAX = 1000  # characters: more than the tallest row (409 points) shows in any of our columns
COVER_LINE = 36.0  # points: a cover line and the space above it

# Status tones: the red/yellow/green an office reader expects, Excel's own "good/neutral/bad" palette.
TONES = {
    "good": Style(fill=solid("C6EFCE"), font=font(color="006100")),
    "warn": Style(fill=solid("FFEB9C"), font=font(color="9C5700")),
    "bad": Style(fill=solid("FFC7CE"), font=font(color="9C0006")),
    "none": Style(fill=solid("EDEDED"), font=font(color="595959")),
}
STYLES = {
    **{f"tone-{tone}": style for tone, style in TONES.items()},
    "right": Style(font=font(size=TEXT_SIZE, name=TEXT_FONT), alignment={"align": "right"}),
    "total": Style(font=font(bold=True)),
    # The cover and the bulletin's head: a document's title (宋体 二号 bold), its number, the sender's lines.
    "doc-title": Style(
        font=font(bold=True, size=TITLE_SIZE),
        alignment={"align": "center", "valign": "vcenter", "text_wrap": True},
    ),
    "doc-number": Style(font=font(size=TEXT_SIZE + 2, name=TEXT_FONT), alignment={"align": "center"}),
    "cover-label": Style(
        font=font(size=COVER_SIZE, name=TEXT_FONT), alignment={"align": "right", "valign": "bottom"}
    ),
    "cover-value": Style(
        font=font(size=COVER_SIZE, name=TEXT_FONT),
        alignment={"align": "left", "valign": "bottom", "text_wrap": True},
        border={"bottom": 1, "border_color": "#808080"},
    ),
}
TASK_LABELS = dict(TASK_STATUS_CHOICES)
# The summary chart's size: 18 × 8 cm at 96 pixels an inch.
CHART_PIXELS = {"width": round(18 / 2.54 * 96), "height": round(8 / 2.54 * 96)}


def _status(label: str, tone: str) -> Cell:
    return Cell(label, f"tone-{tone}")


def _prose(text: str | None) -> str | None:
    """The units' words in a wrapped cell of the task sheet: held so that no printed line starts with
    punctuation. Names and figures are left as they are, for filtering and searching; so is a text longer
    than the tallest row prints (thousands of units' words), which could only grow past a cell's limit.
    (The indicator sheet's notes and coverage are left too: at national scale the marks made XlsxWriter's
    read-back of that sheet, the export's peak, 0.12 MiB larger; see BENCHMARKS.md.)"""
    return kept_together(text) if text and len(text) <= PRINTED_TEXT_MAX else text


def _percent(numerator: Decimal | int | None, denominator: Decimal | int | None) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def _title_rows(data: ReportData, sheet: str, generated_at: datetime.datetime) -> list[str]:
    stamp = timezone.localtime(generated_at)
    return [
        report_title(data.plan, data.year, data.quarter),
        chinese_text(f"{data.plan.title} · {sheet}"),
        f"报告期：{data.period_text}　　生成时间：{stamp:%Y-%m-%d %H:%M}",
    ]


# 封面 -----------------------------------------------------------------------------------------------------

COVER_COLUMNS = [Column(width=22), Column(width=62), Column(width=14)]


def _cover_line(label: str, value: str) -> Row:
    lines = wrapped_lines(value, COVER_COLUMNS[1].width or 0, size=COVER_SIZE)
    return Row([Cell(label, "cover-label"), Cell(value, "cover-value"), None], height=COVER_LINE * lines)


def _cover_rows(data: ReportData, generated_at: datetime.datetime, contact: str, phone: str) -> list[Any]:
    date = timezone.localtime(generated_at).date()
    title = report_title(data.plan, data.year, data.quarter)
    width = sum(column.width or 0 for column in COVER_COLUMNS)
    if wrapped_lines(title, width, size=TITLE_SIZE) > 1:  # broken where the words allow, not mid-word
        title = title.replace(data.period_text, f"\n{data.period_text}", 1)
    title_height = wrapped_height(wrapped_lines(title, width, size=TITLE_SIZE), size=TITLE_SIZE)
    provisional = data.provisional_count
    standing = [
        data.pending_line + "。",
        data.units_line,
        *([f"{provisional}项指标本季度数据尚未全部审核，状态为暂定。"] if provisional else []),
    ]
    return [
        Row([None], height=90),
        Row([title], merge=True, style="doc-title", height=title_height),
        Row([None], height=120),
        _cover_line("报送单位：", office_name(data.plan)),
        _cover_line("联系人：", contact),
        _cover_line("联系电话：", phone),
        _cover_line("日期：", f"{date.year}年{date.month}月{date.day}日"),
        Row([None], height=60),
        _paragraph(f"报告期：{data.period_text}"),
        *(_paragraph(text) for text in standing),
        _paragraph("附表：汇总、指标进度、任务进展、报送情况"),
    ]


def cover_sheet(
    data: ReportData, generated_at: datetime.datetime, *, contact: str = "", phone: str = ""
) -> SheetSpec:
    """The report's cover: its title, who sends it and when, and what its figures stand on (the as-of line,
    the units' reporting, the provisional indicators). An empty contact or phone is a line to fill in."""
    rows = _cover_rows(data, generated_at, contact, phone)
    return SheetSpec(
        title="封面",
        columns=COVER_COLUMNS,
        header=False,
        landscape=False,
        rows=rows,
        size=len(rows),
        footer="",
    )


# 汇总 -----------------------------------------------------------------------------------------------------

SUMMARY_WIDTH = 8


def _heading(text: str) -> Row:
    return Row([text], merge=True, style="section", height=22)


def _count_table(header: str, counts: list[tuple[str, str, int]], tones: dict[str, str]) -> list[Any]:
    total = sum(n for _value, _label, n in counts)
    rows: list[Any] = [[Cell(header, "header"), Cell("数量", "header"), Cell("占比", "header")]]
    for value, label, n in counts:
        share = _percent(n, total)
        rows.append([Cell(label, f"cell tone-{tones[value]}"), Cell(n, "cell"), Cell(share, "cell percent")])
    rows.append(
        [Cell("合计", "cell total"), Cell(total, "cell total"), Cell(_percent(total, total), "cell percent")]
    )
    return rows


def _summary_rows(data: ReportData) -> tuple[list[Any], int, int]:
    """The summary's rows, and the first and last rows (sheet-relative) of the category table the chart
    plots, counted from the first data row."""
    rows: list[Any] = [_paragraph(text) for text in data.awaiting_lines]
    rows.append(_heading(f"一、指标完成情况（共{len(data.indicators)}项）"))
    rows += _count_table("状态", data.indicator_counts(), INDICATOR_TONES)
    rows += [[], _heading(f"二、重点任务推进情况（共{len(data.tasks)}项）")]
    rows += _count_table("推进状态", data.task_counts(), TASK_TONES)
    if data.tasks_awaiting:
        rows.append(
            _paragraph(f"注：按已审核的进展统计；另有{data.tasks_awaiting}项任务的本季度进展待审核。")
        )
    rows += [[], _heading(f"三、责任单位报送情况（共{data.units.total}家）")]
    rows += _count_table("报送情况", data.unit_counts(), TIMELINESS_TONES)
    rows += [[], _heading("四、各类别指标完成情况")]
    statuses = list(Progress.Status)
    rows.append(
        [Cell("类别", "header")]
        + [Cell(status.label, f"header tone-{INDICATOR_TONES[status]}") for status in statuses]
        + [Cell("合计", "header")]
    )
    header_index = len(rows) - 1
    for label, counts in data.category_counts():
        rows.append(
            [Cell(label, "cell")]
            + [Cell(counts[status], "cell") for status in statuses]
            + [Cell(sum(counts.values()), "cell total")]
        )
    return rows, header_index, len(rows) - 1


def _category_chart(anchor: str, sheet: str, header_row: int, last_row: int) -> ChartSpec:
    """A stacked column per category, one series per indicator status in the status's colour, over the
    category table whose header is at 0-based row `header_row` and last line at `last_row`."""
    series = [
        {
            "name": [sheet, header_row, column],
            "categories": [sheet, header_row + 1, 0, last_row, 0],
            "values": [sheet, header_row + 1, column, last_row, column],
            "fill": {"color": STATUS_COLOURS[status]},
            "border": {"color": STATUS_COLOURS[status]},
            "overlap": 100,
        }
        for column, status in enumerate(Progress.Status, start=1)
    ]
    return ChartSpec(
        anchor,
        chart={"type": "column", "subtype": "stacked"},
        series=series,
        settings={
            "set_title": {"name": "各类别指标完成情况"},
            "set_y_axis": {"name": "指标数（项）", "major_unit": 1},
            "set_size": CHART_PIXELS,
        },
    )


def summary_sheet(data: ReportData, generated_at: datetime.datetime) -> SheetSpec:
    rows, header_index, last_index = _summary_rows(data)
    spec = SheetSpec(
        title="汇总",
        title_rows=[*_title_rows(data, "汇总", generated_at), data.pending_line],
        columns=[Column(width=22)] + [Column(width=12) for _ in range(SUMMARY_WIDTH - 1)],
        header=False,
        landscape=False,
        rows=rows,
        size=len(rows),
    )
    first = spec.first_data_row - 1  # 0-based
    if last_index > header_index:
        anchor = f"A{first + len(rows) + 2}"
        spec.charts = [_category_chart(anchor, spec.title, first + header_index, first + last_index)]
        # The category table and its chart start a page of their own, never split across two.
        spec.page_breaks = [first + header_index - 1]
    return spec


# 指标进度 -------------------------------------------------------------------------------------------------


def _target_cell(target: Target | None, unit: str) -> str | None:
    if target is None:
        return None
    text = target_text(target.comparator, target.min, target.max, unit)
    return text if target.origin == Target.Origin.DOCUMENT else f"{text}（{target.get_origin_display()}）"


def _indicator_rows(data: ReportData) -> Iterator[list[Any]]:
    for number, (line, texts) in enumerate(
        zip(data.indicators, data.indicator_texts(), strict=True), start=1
    ):
        indicator, progress = line.indicator, line.progress
        figure = f"cell d{indicator.decimals}"
        kind = indicator.kind
        actual = kind.shown_actual(progress.actual) if progress else None
        completion = _percent(progress.completion, 100) if progress and not kind.is_qualitative else None
        yield [
            number,
            indicator.get_category_display(),
            indicator.name,
            indicator.kind.display_unit(indicator) or None,
            Cell(line.baseline, figure),
            *(_target_cell(target, indicator.kind.display_unit(indicator)) for target in line.targets),
            Cell(actual, "cell center") if type(actual) is str else Cell(actual, figure),
            completion,
            Cell(progress.expected if progress else None, figure),
            _status(line.status_label, INDICATOR_TONES[line.status]),
            line.coverage_text,
            Cell(progress.forecast if progress else None, figure),
            texts.units,
            texts.notes,
        ]


def indicator_sheet(data: ReportData, generated_at: datetime.datetime) -> SheetSpec:
    lines = data.indicators
    years = data.plan.years
    columns = [
        Column("序号", 5, "center"),
        Column("类别", 6, "center"),
        Column("指标", fit_width((line.indicator.name for line in lines), minimum=14, maximum=24), "wrap"),
        Column("计量单位", 7, "center"),
        Column("基期值", 10),
        *(
            Column(f"{year}年目标", fit_width(_target_texts(lines, i), minimum=10, maximum=22), "wrap")
            for i, year in enumerate(years)
        ),
        Column("截至本季度实际值", 11),
        Column("完成率", 8, "percent"),
        Column("序时进度", 10),
        Column("状态", fit_width(_status_labels(lines), minimum=10, maximum=20), "center"),
        Column("数据覆盖", 20, "wrap"),
        Column("预计期末值", 11),
        Column("责任单位", width_for(data.units_width, minimum=12, maximum=UNITS_WIDTH_SHOWN), "wrap"),
        Column("备注", 32, "wrap"),
    ]
    return SheetSpec(
        title="指标进度",
        title_rows=_title_rows(data, "指标进度", generated_at),
        columns=columns,
        rows=_indicator_rows(data),
        size=len(lines),
        body_style="cell",
        freeze_cols=3,
    )


def _status_labels(lines: list[IndicatorEntry]) -> Iterator[str]:
    for line in lines:
        yield line.status_label


def _target_texts(lines: list[IndicatorEntry], index: int) -> Iterator[str]:
    for line in lines:
        text = _target_cell(line.targets[index], line.indicator.kind.display_unit(line.indicator))
        if text:
            yield text


# 任务进展 -------------------------------------------------------------------------------------------------


def _texts(line: TaskEntry, attribute: str) -> str | None:
    texts = [(report.unit.name, getattr(report, attribute).strip()) for report in line.reports]
    texts = [(unit, text) for unit, text in texts if text]
    if not texts:
        return None
    if len(line.reports) == 1 and line.lead is not None and line.reports[0].unit_id == line.lead.pk:
        return texts[0][1]  # the lead alone speaks for the task; anyone else is named
    return "\n".join(f"【{unit}】{text}" for unit, text in texts)


def _task_rows(lines: list[TaskEntry]) -> Iterator[Any]:
    statuses = {status: _status(label, TASK_TONES[status]) for status, label in TASK_LABELS.items()}
    section = None
    for line in lines:
        if line.section != section:
            section = line.section
            yield Row([str(section)], merge=True, style="section", height=20)
        yield [
            line.task.number,
            line.task.title,
            line.lead.name if line.lead else None,
            "、".join(unit.name for unit in line.co) or None,
            statuses[line.status],
            _prose(_texts(line, "progress") or ("（本季度进展待审核）" if line.awaiting else None)),
            _prose(_texts(line, "problems")),
            _prose(_texts(line, "next_steps")),
        ]


def task_sheet(data: ReportData, generated_at: datetime.datetime) -> SheetSpec:
    lines = data.tasks
    return SheetSpec(
        title="任务进展",
        title_rows=_title_rows(data, "任务进展", generated_at),
        columns=[
            Column("序号", 5, "center"),
            Column("任务", fit_width((line.task.title for line in lines), minimum=14, maximum=20), "wrap"),
            Column(
                "牵头单位", fit_width((t.lead.name for t in lines if t.lead), minimum=12, maximum=16), "wrap"
            ),
            Column("配合单位", 20, "wrap"),
            Column("状态", 10, "center"),
            Column("本季度进展", 36, "wrap"),
            Column("存在问题", 24, "wrap"),
            Column("下步计划", 24, "wrap"),
        ],
        rows=_task_rows(lines),
        size=len(lines) + len({line.section.pk for line in lines}),
        body_style="cell",
        freeze_cols=2,
    )


# 报送情况 -------------------------------------------------------------------------------------------------


def _timeliness_rows(data: ReportData) -> Iterator[Any]:
    labels = dict(Timeliness.Status.choices)
    statuses = {status: _status(labels[status], tone) for status, tone in TIMELINESS_TONES.items()}
    number = 0
    for number, (name, *counts, status) in enumerate(data.timeliness_rows(), start=1):
        yield [number, name, *counts, statuses[status], _percent(counts[2], counts[0])]
    if number:
        totals = [data.units.totals[name] for name in TIMELINESS_COUNTS]
        yield Row(["合计", f"{number}家单位", *totals, None, _percent(totals[2], totals[0])], style="total")


def timeliness_sheet(data: ReportData, generated_at: datetime.datetime) -> SheetSpec:
    return SheetSpec(
        title="报送情况",
        title_rows=_title_rows(data, "报送情况", generated_at),
        columns=[
            Column("序号", 6, "center"),
            Column("单位", width_for(data.units.widest_name, minimum=16, maximum=36), "wrap"),
            *(Column(Timeliness._meta.get_field(name).verbose_name, 10) for name in TIMELINESS_COUNTS),
            Column("报送情况", 12, "center"),
            Column("按时率", 10, "percent"),
        ],
        rows=_timeliness_rows(data),
        size=data.units.total + 1,
        body_style="cell",
        freeze_cols=2,
    )


def progress_report_book(
    data: ReportData, *, generated_at: datetime.datetime, contact: str = "", phone: str = ""
) -> WorkbookSpec:
    return WorkbookSpec(
        title=report_title(data.plan, data.year, data.quarter),
        styles=STYLES,
        sheets=[
            cover_sheet(data, generated_at, contact=contact, phone=phone),
            summary_sheet(data, generated_at),
            indicator_sheet(data, generated_at),
            task_sheet(data, generated_at),
            timeliness_sheet(data, generated_at),
            ranking_sheet(data, _title_rows(data, "目标考核", generated_at)),
        ],
    )


# 通报 -----------------------------------------------------------------------------------------------------

BULLETIN_COLUMNS = [Column("序号", 6, "center"), Column("单位", 26, "wrap"), Column("情况", 66, "wrap")]
_INDENT = "\u3000\u3000"


def _paragraph(text: str) -> Row:
    """A paragraph of document text (the summary's, the bulletin's): no line printed starts with a mark."""
    return Row([kept_together(text)], merge=True, style="paragraph")


def _unit_table(lead: str, units: UnitList) -> Iterator[Any]:
    yield _paragraph(_INDENT + lead)
    if units:
        yield [Cell(column.header, "header") for column in BULLETIN_COLUMNS]
    for number, unit in enumerate(units, start=1):
        yield [
            Cell(number, "cell center"),
            Cell(kept_together(unit.name), "cell wrap"),
            Cell(kept_together(unit.text), "cell wrap"),
        ]


def _bulletin_rows(bulletin: Bulletin) -> Iterator[Any]:
    if bulletin.number:
        yield Row([bulletin.number], merge=True, style="doc-number")
    yield Row([kept_together(bulletin.title)], merge=True, style="title")
    for text in bulletin.status_lines:
        yield Row([kept_together(text)], merge=True, style="center")
    for text in bulletin.awaiting_lines:
        yield _paragraph(text)
    yield _paragraph("各责任单位：")
    yield _paragraph(_INDENT + bulletin.opening)
    yield _heading("一、总体情况")
    for text in bulletin.overview:
        yield _paragraph(_INDENT + text)
    yield _heading("二、表扬单位")
    yield from _unit_table(bulletin.praised_lead, bulletin.praised)
    yield _heading("三、通报单位")
    yield from _unit_table(bulletin.named_lead, bulletin.named)
    if bulletin.unjudged:
        yield from _unit_table(bulletin.unjudged_lead, bulletin.unjudged)
    yield _heading("四、下步要求")
    for number, text in enumerate(bulletin.requirements, start=1):
        yield _paragraph(f"{_INDENT}{number}．{text}")
    yield []
    yield Row([bulletin.office], merge=True, style="right")
    yield Row([bulletin.date_text], merge=True, style="right")


def bulletin_book(bulletin: Bulletin) -> WorkbookSpec:
    return WorkbookSpec(
        title=bulletin.title,
        styles=STYLES,
        sheets=[
            SheetSpec(
                title="通报",
                columns=BULLETIN_COLUMNS,
                header=False,
                landscape=False,
                rows=_bulletin_rows(bulletin),
                size=len(bulletin.praised) + len(bulletin.named) + len(bulletin.unjudged) + 26,
            )
        ],
    )


# Entry points -------------------------------------------------------------------------------------------


@contextmanager
def snapshot() -> Iterator[None]:
    """Every read of an export sees the database as of its first query: its queries stream while the
    workbook is written, and a roll-up committing meanwhile must not make a count disagree with the rows
    below it. On PostgreSQL a REPEATABLE READ, READ ONLY transaction; inside an outer transaction (tests,
    a caller's atomic block) that transaction already decides what is seen. SQLite, the embedded
    default for one office, reads without one."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def export_report(
    *, plan: Plan, year: int, quarter: int, out: Any, progress: Progressed | None = None
) -> int:
    """Write the progress report of a plan and quarter to `out` (a path or a binary file); returns the
    number of rows written."""
    with snapshot():
        data = report_data(plan, year, quarter)
        office = official_document(
            plan, year, quarter, "report"
        )  # the cover's 联系人 and 电话, as the docx's
        book = progress_report_book(
            data, generated_at=timezone.now(), contact=office.contact, phone=office.phone
        )
        return write_workbook(book, out, progress=progress)


def export_bulletin(
    *, plan: Plan, year: int, quarter: int, out: Any, progress: Progressed | None = None
) -> int:
    """Write the quarter's bulletin (通报) as a workbook to `out`; returns rows written."""
    with snapshot():
        bulletin = bulletin_for(plan, year, quarter, today=timezone.localdate())
        bulletin.number = official_document(plan, year, quarter, "bulletin").number  # 文号, as the docx's
        return write_workbook(bulletin_book(bulletin), out, progress=progress)


EXPORTS: dict[str, Callable[..., int]] = {"report": export_report, "bulletin": export_bulletin}


def write_atomically(path: Path, write: Callable[[str], int]) -> int:
    """Write a file all or nothing: `write` fills a temporary file beside `path`, renamed over it at the end,
    so a reader never sees half a file and a failure leaves none behind. Returns what `write` returns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        rows = write(str(partial))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def export_to_path(
    *, kind: str, plan: Plan, year: int, quarter: int, path: Path, progress: Progressed | None = None
) -> int:
    """Write a workbook export to `path` all or nothing (`write_atomically`)."""
    return write_atomically(
        path, lambda out: EXPORTS[kind](plan=plan, year=year, quarter=quarter, out=out, progress=progress)
    )
