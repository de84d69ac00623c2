"""The measure registry: every rule of a measure kind, in one place, and the rules a reported figure obeys.

An indicator's `measure` names its kind (stock, flow, cumulative, ratio, per_capita, milestone; PRODUCT.md
"Domain semantics"). `MEASURES` holds one `Measure` per kind and `measure_of(indicator)` finds it: how a unit
enters the kind (`inputs`), how a year is read from the approved quarters and how the units' figures add up
(`reads_year_as`), how it is judged (`is_level`, `judged_in_every_region`), shown (`display_unit`,
`entry_unit`, `reported_text`) and explained to a reporter (`instruction`, `api_help`: the web form, the Excel
template and the API docs say the same words). Code that branches on a measure asks these
instead of comparing keys; the roll-up (`progress.rollup`, `progress.rollup_sql`) and `progress.pace` carry
out the readings and judgements the registry names.

Which units count is not a kind's rule but the indicator's: `Indicator.combine` takes every unit's figures
(sum) or the lead unit's only (lead), and whichever count are then added up as the kind's reading says.

The figure rules below — parsing, validation, what is missing, what needs a note — are called by the
reporting form, the API and the Excel import alike, so a figure is judged the same way whichever way it
arrives. Messages are in the users' language and name the indicator.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models

from ipcity.figures import NotANumber, number_parse, plain

if TYPE_CHECKING:
    from indicators.models import Indicator

HUNDRED = Decimal(100)
# Far outside the unit's own history: more than OUTLIER_FACTOR times its largest earlier figure, or less than
# its smallest divided by the factor.
OUTLIER_FACTOR = Decimal(getattr(settings, "IPCITY_OUTLIER_FACTOR", 3))
# Digits before the decimal point that the database column holds (max_digits 20, decimal_places 4).
MAX_INTEGER_DIGITS = 16
TOO_LARGE = Decimal(10) ** MAX_INTEGER_DIGITS  # the first number with more integer digits than a figure holds

# The parts of a figure a unit may enter (the fields of `Figure`, the form, the API and the Excel template).
VALUE, NUMERATOR, DENOMINATOR, DONE = "value", "numerator", "denominator", "done"
INPUTS = (VALUE, NUMERATOR, DENOMINATOR, DONE)
# A milestone written in a spreadsheet cell (the Excel template), and as people read it elsewhere.
YES, NO = "是", "否"
DONE_TEXT = {True: "已完成", False: "未完成"}


class Reading(enum.Enum):
    """How a year's actual is read from the approved quarterly figures of the units that count, in a region
    and every region above it; each quarter has one only once something was reported that year."""

    LATEST = "latest"  # each unit's latest figure this year, added up
    YEAR_SUM = "year_sum"  # this year's quarterly amounts so far, added up
    RUNNING_SUM = "running_sum"  # every quarterly amount since the plan's start, added up
    RATE = "rate"  # Σnumerator/Σdenominator×100 this year: never an average of the units' rates
    PER_POPULATION = "per_population"  # LATEST per 万人 of the region's population that year
    STATUS = "status"  # 1 when a counted unit's latest report this year says done, else 0


@dataclass(frozen=True)
class Measure:
    """One measure kind's rules."""

    key: str  # as `Indicator.measure` stores it
    label: str  # what people read
    inputs: tuple[str, ...]  # what a unit enters each quarter
    reads_year_as: Reading
    # Levels carry from one year into the next, so a year without a target of its own lies on the path
    # towards the next target; flows restart every year and a rate is a level of its own year only.
    is_level: bool
    # A rate is a rate anywhere, while a county's share of a city-wide count cannot be held to the city's
    # target: only these kinds are judged against the plan's targets below the plan's region.
    judged_in_every_region: bool
    # Entered as the value at the quarter's end (not an amount within it): a fall needs explaining.
    reported_as_level: bool
    # What the cross-plan comparison counts the figure as: a level at a date, an amount in the year or one
    # over the plan's span; None when figures of the kind are not compared per resident.
    compares_as: str | None
    asks_for: str  # what a reporter enters each quarter, in the reporter's words
    then: str = ""  # what the system does with it, when a reporter would otherwise wonder

    @property
    def is_qualitative(self) -> bool:
        """Done or not, no number: nothing to add up, forecast or chart."""
        return self.inputs == (DONE,)

    @property
    def has_parts(self) -> bool:
        """Entered as a numerator and a denominator."""
        return self.inputs == (NUMERATOR, DENOMINATOR)

    @property
    def is_rate(self) -> bool:
        return self.reads_year_as is Reading.RATE

    @property
    def restarts_each_year(self) -> bool:
        """A flow: its year starts from 0 and its targets are per year."""
        return self.reads_year_as is Reading.YEAR_SUM

    @property
    def counts_from_plan_start(self) -> bool:
        """Cumulative: 0 when the plan starts; baselines, which count from before the plan, do not apply."""
        return self.reads_year_as is Reading.RUNNING_SUM

    @property
    def divides_by_population(self) -> bool:
        """Per capita: already a figure per 万人."""
        return self.reads_year_as is Reading.PER_POPULATION

    @property
    def outliers_need_note(self) -> bool:
        """Whether a figure far outside the unit's own history needs a note: any number does, done or not
        is no amount to be far from."""
        return not self.is_qualitative

    def backwards_note(self, indicator: Indicator, previous: Decimal, current: Decimal) -> str | None:
        """Why a change from the unit's previous figure (`compared_value`s) needs an explanatory note, or
        None: a level reported as its value at the quarter's end that falls, a milestone that was done and
        is now reported not done. Flows, running sums' amounts and rates may go down from quarter to
        quarter without saying why."""
        if current >= previous:
            return None
        if self.is_qualitative:
            return f"该事项上期填报为“{DONE_TEXT[True]}”，本期为“{DONE_TEXT[False]}”，请在说明中解释原因。"
        if self.reported_as_level:
            return f"存量指标较上期（{plain(previous)}{indicator.unit}）下降，请在说明中解释原因。"
        return None

    @property
    def needed_verb(self) -> str:
        """How the dashboard says what each remaining quarter must still do: raise a level, or complete."""
        return "提高" if self.reported_as_level else "完成"

    def display_unit(self, indicator: Indicator) -> str:
        """The unit of the computed figure — actual, target, pace, forecast — wherever it is shown: a rate
        without a unit of its own is in %, a per-capita figure is per 万人 (件/万人)."""
        if self.divides_by_population:
            return f"{indicator.unit}/万人" if indicator.unit else "每万人"
        return "%" if self.is_rate and not indicator.unit else indicator.unit

    def shown_actual(self, actual: Decimal | None) -> Decimal | str | None:
        """The rolled-up actual as a document shows it: a milestone's 1 or 0 as 已完成 / 未完成 (its
        completion rate says nothing more and is left out), a number as it is, to be shown at the
        indicator's decimals."""
        if self.is_qualitative and actual is not None:
            return DONE_TEXT[bool(actual)]
        return actual

    def entry_unit(self, indicator: Indicator) -> str:
        """The unit of the number a reporter types: the indicator's (a per-capita indicator's count, 件, which
        the system divides); none for a rate's parts, which are counts, or a done choice."""
        return indicator.unit if self.inputs == (VALUE,) else ""

    def units_text(self, indicator: Indicator) -> str:
        """计量单位 as the reporting form states it: 件/万人（填报单位：件） when the two differ."""
        shown, entered = self.display_unit(indicator), self.entry_unit(indicator)
        if entered and entered != shown:
            return f"{shown}（填报单位：{entered}）"
        return shown or "—"

    def input_decimals(self, indicator: Indicator) -> int:
        """How many decimals an entered number may have: the indicator's, but a percentage's numerator and
        denominator are counts, and so is the total a per-capita figure divides (its decimals: the rate's)."""
        counts = (self.has_parts and indicator.unit == "%") or self.divides_by_population
        return 0 if counts else indicator.decimals

    def input_labels(self, indicator: Indicator) -> dict[str, str]:
        """How messages name each number a unit enters."""
        if self.has_parts:
            return {NUMERATOR: indicator.numerator_label, DENOMINATOR: indicator.denominator_label}
        return {VALUE: "数值"}

    def instruction(self, indicator: Indicator) -> str:
        """What to enter and in which unit: the one text the reporting form and the Excel template's 填写要求
        column show a reporter."""
        if self.is_qualitative:
            return f"填写{self.asks_for}"
        decimals = self.input_decimals(indicator)
        digits = "整数" if decimals == 0 else f"最多{decimals}位小数"
        if self.has_parts:
            text = f"填写分子（{indicator.numerator_label}）和分母（{indicator.denominator_label}），{digits}"
        else:
            entered = self.entry_unit(indicator)
            text = f"填写{self.asks_for}" + (f"，单位：{entered}" if entered else "") + f"，{digits}"
            text += "，0—100之间" if indicator.unit == "%" else ""
        if self.then:
            shown = self.display_unit(indicator)
            text += f"；{self.then}" + (f"（{shown}）" if self.divides_by_population else "")
        return text


MEASURES: dict[str, Measure] = {
    measure.key: measure
    for measure in (
        Measure(
            key="stock",
            label="存量（期末值）",
            inputs=(VALUE,),
            reads_year_as=Reading.LATEST,
            is_level=True,
            judged_in_every_region=False,
            reported_as_level=True,
            compares_as="level",
            asks_for="季度末存量",
        ),
        Measure(
            key="flow",
            label="当期新增",
            inputs=(VALUE,),
            reads_year_as=Reading.YEAR_SUM,
            is_level=False,
            judged_in_every_region=False,
            reported_as_level=False,
            compares_as="flow",
            asks_for="本季度新增数",
        ),
        Measure(
            key="cumulative",
            label="实施期内累计",
            inputs=(VALUE,),
            reads_year_as=Reading.RUNNING_SUM,
            is_level=True,
            judged_in_every_region=False,
            reported_as_level=False,
            compares_as="cumulative",
            asks_for="本季度新增数（系统自动累计）",
        ),
        Measure(
            key="ratio",
            label="比率（Σ分子/Σ分母）",
            inputs=(NUMERATOR, DENOMINATOR),
            reads_year_as=Reading.RATE,
            is_level=False,
            judged_in_every_region=True,
            reported_as_level=False,
            compares_as=None,
            asks_for="分子和分母",
            then="系统按Σ分子/Σ分母计算比率",
        ),
        Measure(
            key="per_capita",
            label="每万人口",
            inputs=(VALUE,),
            reads_year_as=Reading.PER_POPULATION,
            is_level=True,
            judged_in_every_region=True,
            reported_as_level=True,
            compares_as="level",
            asks_for="季度末总数（不是每万人口数）",
            then="系统按当年常住人口（万人）折算为每万人口数",
        ),
        Measure(
            key="milestone",
            label="定性目标",
            inputs=(DONE,),
            reads_year_as=Reading.STATUS,
            is_level=False,
            judged_in_every_region=False,
            reported_as_level=False,
            compares_as=None,
            asks_for=f"是否已完成（{YES}/{NO}），并上传佐证材料",
        ),
    )
}


# The kinds as `Indicator.measure` stores them, with their labels (also `Indicator.Measure`), made from the
# registry so that a kind is declared once.
Key = models.TextChoices(
    "Key", [(key.upper(), (key, measure.label)) for key, measure in MEASURES.items()], module=__name__
)


def measure_of(indicator: Indicator) -> Measure:
    """The rules of the indicator's measure kind."""
    return MEASURES[indicator.measure]


def keys_where(test: Callable[[Measure], bool]) -> list[str]:
    """The keys of the kinds that pass `test`, in the registry's order."""
    return [key for key, measure in MEASURES.items() if test(measure)]


def api_help(part: str) -> str:
    """The API docs' words for one part of a figure (`value`, `numerator`, `denominator`, `done`): what each
    kind that uses the part asks a reporter to enter, as the form and the template say it."""
    kinds = [measure for measure in MEASURES.values() if part in measure.inputs]
    what = "；".join(
        f"{measure.key} {measure.label}：{measure.asks_for}" + (f"，{measure.then}" if measure.then else "")
        for measure in kinds
    )
    return f"按指标的 measure 填写。{what}。"


# ------------------------------------------------------------------------------------------------------------
# Figures: what a unit reports for one indicator and quarter, and the rules it obeys
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """What a unit reports for one indicator and quarter."""

    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    done: bool | None = None
    note: str = ""

    @property
    def is_empty(self) -> bool:
        return (
            self.value is None and self.numerator is None and self.denominator is None and self.done is None
        )


def parse_number(raw: object, label: str) -> tuple[Decimal | None, str | None]:
    """Read a number typed by a person (text, read by the one strict `ipcity.figures.number_parse`) or held
    by a spreadsheet cell or a JSON integer (already a number). Returns (value, error)."""
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, f"{label}：请填写数字。"
    if isinstance(raw, int | Decimal):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))
    else:
        try:
            number = number_parse(str(raw))
        except NotANumber as error:
            return None, f"{label}：{error}"
        if number is None:
            return None, None
    if not number.is_finite():
        return None, f"{label}：请填写有效的数字。"
    return number, None


def _decimals_of(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _check_number(number: Decimal, label: str, decimals: int) -> list[str]:
    errors = []
    if number < 0:
        errors.append(f"{label}不能为负数。")
    if _decimals_of(number) > decimals:
        errors.append(f"{label}最多保留{decimals}位小数。" if decimals else f"{label}应为整数。")
    if abs(number) >= TOO_LARGE:
        errors.append(f"{label}数值过大，请核对。")
    return errors


def figure_errors(indicator: Indicator, figure: Figure) -> list[str]:
    """What is wrong with the figure itself: missing parts, signs, decimals, bounds. Empty list when fine.

    Applies to drafts as well as submissions: a figure that breaks these rules is never stored.
    """
    kind = measure_of(indicator)
    errors: list[str] = []
    if kind.is_qualitative:
        return errors
    decimals = kind.input_decimals(indicator)
    if kind.has_parts:
        if (figure.numerator is None) != (figure.denominator is None):
            errors.append(f"请同时填写{indicator.numerator_label}和{indicator.denominator_label}。")
        for number, label in (
            (figure.numerator, indicator.numerator_label),
            (figure.denominator, indicator.denominator_label),
        ):
            if number is not None:
                errors += _check_number(number, label, decimals)
        if (
            figure.numerator is not None
            and figure.denominator is not None
            and figure.numerator > figure.denominator
        ):
            errors.append(f"{indicator.numerator_label}不能大于{indicator.denominator_label}。")
        return errors
    if figure.value is not None:
        errors += _check_number(figure.value, "数值", decimals)
        if indicator.unit == "%" and figure.value > HUNDRED:
            errors.append("比率应在0到100之间。")
    return errors


def figure_missing(indicator: Indicator, figure: Figure) -> str | None:
    """Why the figure cannot be submitted yet for lack of a value, or None."""
    kind = measure_of(indicator)
    if kind.is_qualitative:
        return None if figure.done is not None else "请选择是否已完成。"
    if kind.has_parts:
        if figure.numerator is None or figure.denominator is None:
            return f"请填写{indicator.numerator_label}和{indicator.denominator_label}。"
        return None
    return None if figure.value is not None else "请填写数值。"


def compared_value(
    indicator: Indicator,
    value: Decimal | None,
    numerator: Decimal | None,
    denominator: Decimal | None,
    done: bool | None = None,
) -> Decimal | None:
    """A reported figure as it is held against the unit's earlier ones: its value, for a rate n/d×100 (None
    while either part is missing or the denominator is 0), for a milestone 1 when done and 0 when not."""
    kind = measure_of(indicator)
    if kind.is_rate:
        return numerator / denominator * HUNDRED if numerator is not None and denominator else None
    if kind.is_qualitative:
        return None if done is None else Decimal(int(done))
    return value


def figure_needs_note(indicator: Indicator, figure: Figure, history: list[Decimal]) -> str | None:
    """Why this figure needs an explanatory note before it can be submitted, or None.

    `history` holds the unit's earlier figures for the indicator, oldest first (`compared_value`).
    A change the measure says needs explaining (`Measure.backwards_note`: a level that falls, a milestone no
    longer done), or a value far outside the unit's own history, needs a note.
    """
    if figure.note.strip() or not history:
        return None
    current = compared_value(indicator, figure.value, figure.numerator, figure.denominator, figure.done)
    if current is None:
        return None
    kind = measure_of(indicator)
    backwards = kind.backwards_note(indicator, history[-1], current)
    if backwards or not kind.outliers_need_note:
        return backwards
    unit = "%" if kind.is_rate else indicator.unit  # the history of a rate is rates
    low, high = min(history), max(history)
    if len(history) >= 2 and (
        current > high * OUTLIER_FACTOR or (low > 0 and current < low / OUTLIER_FACTOR)
    ):
        return f"该数值与本单位以往填报（{plain(low)}—{plain(high)}{unit}）差异较大，请在说明中解释原因。"
    return None


DONE_WORDS = {"1": True, "true": True, "是": True, "已完成": True, "0": False, "false": False, "否": False,
              "未完成": False}  # fmt: skip


def parse_done(raw: object) -> tuple[bool | None, str | None]:
    """Read a done / not-done choice (a milestone's figure). Returns (value, error)."""
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, bool):
        return raw, None
    done = DONE_WORDS.get(str(raw).strip().lower())
    return (done, None) if done is not None else (None, "请选择“已完成”或“未完成”。")


def figure_parse(
    indicator: Indicator,
    raw: dict[str, object],
    *,
    read_done: Callable[[object], tuple[bool | None, str | None]] = parse_done,
) -> tuple[Figure, list[str]]:
    """Build a Figure from what a person typed (form fields, API body, a template row): `value`, `numerator`,
    `denominator`, `done`, `note`. Only the parts the indicator's measure uses are read; `read_done` reads a
    done choice where the way it is typed differs (the Excel template's 是/否). Returns (figure, errors)."""
    kind = measure_of(indicator)
    labels = kind.input_labels(indicator)
    errors: list[str] = []
    parts: dict[str, Any] = {}
    for name in kind.inputs:
        parts[name], error = (
            read_done(raw.get(name)) if name == DONE else parse_number(raw.get(name), labels[name])
        )
        errors += [error] if error else []
    note = raw.get("note")
    return Figure(note=str(note or ""), **parts), errors


# ------------------------------------------------------------------------------------------------------------
# Figures as people read them
# ------------------------------------------------------------------------------------------------------------


def parts_text(numerator: Decimal | None, denominator: Decimal | None) -> str | None:
    """A rate's parts as people write them: 9/10（90%）, the rate to one decimal; 9/0 without one; None while
    a part is missing."""
    if numerator is None or denominator is None:
        return None
    if not denominator:
        return f"{plain(numerator)}/{plain(denominator)}"
    rate = round(Decimal(numerator) / Decimal(denominator) * 100, 1)
    return f"{plain(numerator)}/{plain(denominator)}（{plain(rate)}%）"


def reported_text(submission: Any) -> str:
    """A unit's reported figure (a Submission) as people read it: 1234件, 9/10（90%）, 已完成; — when nothing
    is reported."""
    if submission is None:
        return "—"
    indicator = submission.indicator
    kind = measure_of(indicator)
    if kind.is_qualitative:
        return DONE_TEXT.get(submission.done, "—")
    if kind.has_parts:
        return parts_text(submission.numerator, submission.denominator) or "—"
    return "—" if submission.value is None else f"{plain(submission.value)}{kind.entry_unit(indicator)}"
