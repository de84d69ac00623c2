"""The Excel template a reporter downloads: one fill-in row per indicator its unit reports for a quarter, and
a sheet of its tasks' progress (`task_sheet`), signed so that only an unchanged template of this unit and
quarter is ever imported (see `upload`).

The layout constants are shared with the reader: the sheet names, the header row, the column of each input.
What each input means and how it is explained comes from the measure registry (`indicators.measures`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.crypto import salted_hmac
from xlsxwriter.utility import xl_col_to_name

from indicators import measures
from indicators.measures import NO, YES, parts_text
from indicators.models import Indicator
from ipcity.quarters import Quarter
from ipcity.workbook import (
    Cell,
    Column,
    SheetSpec,
    Style,
    Validation,
    WorkbookSpec,
    fit_width,
    solid,
    write_workbook,
)
from reporting.excel.task_sheet import TaskSheetData, task_sheet
from reporting.models import Period, ReviewState, Submission
from reporting.selectors import unit_indicators
from reporting.services.entry import EDITABLE

if TYPE_CHECKING:
    from plans.models import Unit

KIND = "ipcity-figures"
VERSION = "3"  # 2: each figure's stored version is signed too; 3: the task sheet's rows are signed too
# A version-2 template (no task sheet) is signed exactly as a version-3 one without tasks: still imported.
ACCEPTED_VERSIONS = ("2", VERSION)
SHEET = "填报"
META_SHEET = "_meta"
# Keeps hands off the layout; authenticity comes from the signature, not this.
PROTECT_PASSWORD = "ipcity"  # noqa: S105  # nosec B105
PREVIOUS_QUARTERS = 4
TITLE_ROWS = 2
HEADER_ROW = TITLE_ROWS + 1
META_LINES = 7  # the metadata sheet's lines before one line per indicator, then per task (see _meta_rows)

# Column positions of the fill-in sheet (0-based), shared by the writer and the reader.
KEY, NUMBER, NAME, UNIT, HOW = 0, 1, 2, 3, 4
FIRST_PREVIOUS = 5
STATE = FIRST_PREVIOUS + PREVIOUS_QUARTERS
VALUE, NUMERATOR, DENOMINATOR, NOTE = STATE + 1, STATE + 2, STATE + 3, STATE + 4
WIDTH = NOTE + 1
INPUTS = {VALUE: "本季度数值", NUMERATOR: "分子", DENOMINATOR: "分母", NOTE: "说明"}
# The cell each part of a figure is typed in: a milestone's done in the value column.
COLUMNS = {
    measures.VALUE: VALUE,
    measures.DONE: VALUE,
    measures.NUMERATOR: NUMERATOR,
    measures.DENOMINATOR: DENOMINATOR,
}


def indicator_key(indicator: Indicator) -> str:
    """How a template row names its indicator: codes are unique within a plan, so the plan comes first."""
    return f"{indicator.plan.slug}/{indicator.code}"


def previous_quarters(period: Period) -> list[tuple[int, int]]:
    """The PREVIOUS_QUARTERS quarters before `period`, oldest first."""
    index = period.year * 4 + period.quarter - 1
    return [divmod(i, 4) for i in range(index - PREVIOUS_QUARTERS, index)]


def template_headers(period: Period) -> list[str]:
    """The fill-in sheet's header row for a quarter (the reader checks it cell by cell)."""
    previous = [str(Quarter(year, quarter + 1)) for year, quarter in previous_quarters(period)]
    return ["代码", "序号", "指标", "计量单位", "填写要求", *previous, "本季度状态", *INPUTS.values()]


def template_signature(
    *,
    version: str,
    unit_id: str,
    year: str,
    quarter: str,
    plans: str,
    indicators: list[tuple[str, str]],
    tasks: list[tuple[str, str]] | tuple = (),
) -> str:
    """The HMAC of everything the template's metadata says, each indicator's and each task's stored version
    included (an edited version cell would otherwise import over a colleague's newer figure or report)."""
    keys = [f"{key}={seen}" for key, seen in indicators]
    keys += [f"任务:{key}={seen}" for key, seen in tasks]
    message = "\n".join([KIND, version, unit_id, year, quarter, plans, *keys])
    # The salt names the module this lived in first (indicators/imports.py): templates downloaded before the
    # apps were split still verify. Never change it: every template in circulation would be refused.
    return salted_hmac("indicators.imports.template", message, algorithm="sha256").hexdigest()


def shown_in_template(indicator: Indicator, value, numerator, denominator, done) -> Any:
    """A stored figure as the template shows it in a read-only column."""
    kind = indicator.kind
    if kind.is_qualitative:
        return None if done is None else (YES if done else NO)
    if kind.has_parts:
        return parts_text(numerator, denominator)
    return value


@dataclass(frozen=True)
class TemplateData:
    """What a template holds for a unit and quarter, read in a fixed number of queries."""

    unit: Unit
    period: Period
    indicators: list[Indicator]
    current: dict[int, Submission]  # indicator id → the quarter's stored figure
    previous: dict[tuple[int, int, int], Any]  # (indicator id, year, quarter) → the figure as shown
    tasks: TaskSheetData

    @classmethod
    def load(cls, unit: Unit, period: Period) -> TemplateData:
        indicators = unit_indicators(unit, period.year)
        current = {row.indicator_id: row for row in Submission.objects.filter(unit=unit, period=period)}
        by_id = {indicator.pk: indicator for indicator in indicators}
        quarters = Q()
        for year, quarter in previous_quarters(period):
            quarters |= Q(period__year=year, period__quarter=quarter + 1)
        rows = (
            Submission.objects.filter(quarters, unit=unit, indicator_id__in=by_id)
            .exclude(state=ReviewState.DRAFT)
            .values_list(
                "indicator_id", "period__year", "period__quarter", "value", "numerator", "denominator", "done"
            )
        )
        previous = {
            (indicator_id, year, quarter): shown_in_template(by_id[indicator_id], *figure)
            for indicator_id, year, quarter, *figure in rows
        }
        tasks = TaskSheetData.load(unit, period)
        return cls(
            unit=unit, period=period, indicators=indicators, current=current, previous=previous, tasks=tasks
        )


def template_rows(data: TemplateData) -> Iterator[list[Any]]:
    """The fill-in sheet's rows, one per indicator the unit reports: read-only columns, then input cells
    (styled `input`, unlocked) prefilled with the quarter's stored figure. Inputs that do not apply to the
    indicator, and every input of a figure already submitted or approved, stay locked (styled `na`)."""
    quarters = previous_quarters(data.period)
    for number, indicator in enumerate(data.indicators, start=1):
        row = data.current.get(indicator.pk)
        editable = row is None or row.state in EDITABLE
        applies = {COLUMNS[name] for name in indicator.kind.inputs} | {NOTE}
        stored = {
            VALUE: shown_in_template(indicator, row.value, None, None, row.done) if row else None,
            NUMERATOR: row.numerator if row else None,
            DENOMINATOR: row.denominator if row else None,
            NOTE: row.note if row else None,
        }
        inputs = [
            Cell(
                stored[column] if column in applies else None,
                "input" if editable and column in applies else "na",
            )
            for column in INPUTS
        ]
        yield [
            indicator_key(indicator),
            number,
            indicator.name,
            indicator.kind.entry_unit(indicator),
            indicator.kind.instruction(indicator),
            *(data.previous.get((indicator.pk, year, quarter + 1)) for year, quarter in quarters),
            row.get_state_display() if row else "未填写",
            *inputs,
        ]


def _meta_rows(data: TemplateData) -> list[list[str]]:
    unit_id, year, quarter = str(data.unit.pk), str(data.period.year), str(data.period.quarter)
    slugs = [indicator.plan.slug for indicator in data.indicators]
    plans = ",".join(dict.fromkeys(slugs + [task.section.plan.slug for task in data.tasks.tasks]))
    keys = [indicator_key(indicator) for indicator in data.indicators]
    versions = {indicator_id: row.version for indicator_id, row in data.current.items()}
    seen = [
        (key, str(versions.get(indicator.pk, 0)))
        for key, indicator in zip(keys, data.indicators, strict=True)
    ]
    tasks = data.tasks.seen()
    signature = template_signature(
        version=VERSION,
        unit_id=unit_id,
        year=year,
        quarter=quarter,
        plans=plans,
        indicators=seen,
        tasks=tasks,
    )
    return [
        ["模板", KIND],
        ["版本", VERSION],
        ["单位", unit_id, data.unit.name],
        ["年度", year],
        ["季度", quarter],
        ["方案", plans],
        ["签名", signature],
        # The version of each stored figure when the template was made (0: none yet), so an import cannot
        # overwrite a figure someone changed in the meantime.
        *(["指标", key, version] for key, version in seen),
        *(["任务", key, version] for key, version in tasks),
    ]


TEMPLATE_STYLES = {"na": Style(fill=solid("EDEDED"))}


def template_book(*, unit: Unit, period: Period) -> WorkbookSpec:
    """The unit's template for a quarter, as a spec for the shared Excel writer: the figures sheet when it
    reports indicators, the task sheet when it is named on tasks (callers offer no template to a unit owing
    neither, see `selectors.unit_owes`)."""
    data = TemplateData.load(unit, period)
    first = HEADER_ROW + 1
    milestones = [
        f"{xl_col_to_name(VALUE)}{first + index}"
        for index, indicator in enumerate(data.indicators)
        if indicator.kind.is_qualitative
    ]
    validations = []
    if milestones:
        choice = {
            "validate": "list",
            "source": [YES, NO],
            "ignore_blank": True,
            "show_input": False,  # no prompt: the header row and the instructions column say what to type
            "error_title": "是否完成",
            "error_message": f"请填写“{YES}”或“{NO}”。",
        }
        validations.append(Validation(milestones, choice))
    headers = template_headers(period)
    widths = {
        KEY: 4,
        NUMBER: 6,
        NAME: fit_width((indicator.name for indicator in data.indicators), minimum=20, maximum=44),
        UNIT: 9,
        HOW: fit_width(
            (indicator.kind.instruction(indicator) for indicator in data.indicators), minimum=16, maximum=44
        ),
        STATE: 11,
        NOTE: 30,
    }
    columns = [
        Column(header, width=widths.get(index, 14), hidden=index == KEY)
        for index, header in enumerate(headers)
    ]
    figures = SheetSpec(
        title=SHEET,
        title_rows=[
            f"{data.unit.name} {period} 指标数据填报模板",
            "请只在浅黄色单元格中填写：数值不带单位；定性目标填“是”或“否”；留空的指标不会导入。"
            "导入后保存为草稿，请在本季度填报页面核对后报送。",
        ],
        columns=columns,
        rows=template_rows(data),
        size=len(data.indicators),
        body_style="cell",
        freeze_cols=NAME + 1,
        validations=validations,
        protect=PROTECT_PASSWORD,
    )
    meta = SheetSpec(
        title=META_SHEET,
        columns=[Column("项目"), Column("值"), Column("附")],
        rows=_meta_rows(data),
        header=False,
        state="veryHidden",
        protect=PROTECT_PASSWORD,
    )
    tasks = task_sheet(data.tasks, unit=data.unit, period=period, protect=PROTECT_PASSWORD)
    # The metadata sheet keeps its place right after the first sheet whatever follows it.
    sheets = [figures, meta, tasks] if data.indicators else [tasks, meta]
    if not data.tasks.tasks:
        sheets.remove(tasks)
    return WorkbookSpec(title=f"{data.unit.name}{period}填报模板", sheets=sheets, styles=TEMPLATE_STYLES)


def template_write(*, unit: Unit, period: Period, out: IO[bytes]) -> None:
    write_workbook(template_book(unit=unit, period=period), out)


def template_filename(unit: Unit, period: Period) -> str:
    return f"{unit.name}_{period}_填报模板.xlsx"
