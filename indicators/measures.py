"""The rules a reported figure must satisfy, as pure functions.

The reporting form, the API and the Excel import all call these, so a figure is judged the same way whichever
way it arrives. Messages are in the users' language and name the indicator.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings

from ipcity.figures import plain

if TYPE_CHECKING:
    from indicators.models import Indicator

HUNDRED = Decimal(100)
# Far outside the unit's own history: more than OUTLIER_FACTOR times its largest earlier figure, or less than
# its smallest divided by the factor.
OUTLIER_FACTOR = Decimal(getattr(settings, "IPCITY_OUTLIER_FACTOR", 3))
# Digits before the decimal point that the database column holds (max_digits 20, decimal_places 4).
MAX_INTEGER_DIGITS = 16


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
    """Read a number typed by a person (or taken from a spreadsheet cell). Returns (value, error)."""
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, f"{label}：请填写数字。"
    if isinstance(raw, int | Decimal):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))
    else:
        text = str(raw).strip().replace(",", "").replace("，", "")
        if text == "":
            return None, None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None, f"{label}：“{str(raw)[:20]}”不是数字，请只填写数字（不带单位）。"
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
    if abs(number) >= Decimal(10) ** MAX_INTEGER_DIGITS:
        errors.append(f"{label}数值过大，请核对。")
    return errors


def figure_errors(indicator: Indicator, figure: Figure) -> list[str]:
    """What is wrong with the figure itself: missing parts, signs, decimals, bounds. Empty list when fine.

    Applies to drafts as well as submissions: a figure that breaks these rules is never stored.
    """
    from indicators.models import Indicator

    measure = indicator.measure
    errors: list[str] = []
    if measure == Indicator.Measure.MILESTONE:
        return errors
    if measure == Indicator.Measure.RATIO:
        if (figure.numerator is None) != (figure.denominator is None):
            errors.append(f"请同时填写{indicator.numerator_label}和{indicator.denominator_label}。")
        for number, label in (
            (figure.numerator, indicator.numerator_label),
            (figure.denominator, indicator.denominator_label),
        ):
            if number is not None:
                errors += _check_number(number, label, indicator.decimals if indicator.unit != "%" else 0)
        if (
            figure.numerator is not None
            and figure.denominator is not None
            and figure.numerator > figure.denominator
        ):
            errors.append(f"{indicator.numerator_label}不能大于{indicator.denominator_label}。")
        return errors
    if figure.value is not None:
        errors += _check_number(figure.value, "数值", indicator.decimals)
        if indicator.unit == "%" and figure.value > HUNDRED:
            errors.append("比率应在0到100之间。")
    return errors


def figure_missing(indicator: Indicator, figure: Figure) -> str | None:
    """Why the figure cannot be submitted yet for lack of a value, or None."""
    from indicators.models import Indicator

    if indicator.measure == Indicator.Measure.MILESTONE:
        return None if figure.done is not None else "请选择是否已完成。"
    if indicator.measure == Indicator.Measure.RATIO:
        if figure.numerator is None or figure.denominator is None:
            return f"请填写{indicator.numerator_label}和{indicator.denominator_label}。"
        return None
    return None if figure.value is not None else "请填写数值。"


def figure_needs_note(indicator: Indicator, figure: Figure, history: list[Decimal]) -> str | None:
    """Why this figure needs an explanatory note before it can be submitted, or None.

    `history` holds the unit's earlier figures for the indicator, oldest first (values; for a ratio the rate).
    A stock that falls below its previous figure, or a value far outside the unit's own history, needs a note.
    """
    from indicators.models import Indicator

    if figure.note.strip() or not history:
        return None
    if indicator.measure == Indicator.Measure.RATIO:
        if figure.numerator is None or not figure.denominator:
            return None
        current = figure.numerator / figure.denominator * HUNDRED
    elif figure.value is None:
        return None
    else:
        current = figure.value
    unit = indicator.unit if indicator.measure != Indicator.Measure.RATIO else "%"
    previous = history[-1]
    if indicator.measure in (Indicator.Measure.STOCK, Indicator.Measure.PER_CAPITA) and current < previous:
        return f"存量指标较上期（{plain(previous)}{unit}）下降，请在说明中解释原因。"
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


def figure_parse(indicator: Indicator, raw: dict[str, object]) -> tuple[Figure, list[str]]:
    """Build a Figure from what a person typed (form fields, API body): `value`, `numerator`, `denominator`,
    `done`, `note`. Only the parts the indicator's measure uses are read. Returns (figure, errors)."""
    from indicators.models import Indicator

    errors: list[str] = []
    parts: dict[str, object] = {}
    if indicator.measure == Indicator.Measure.MILESTONE:
        parts["done"], error = parse_done(raw.get("done"))
        errors += [error] if error else []
    elif indicator.measure == Indicator.Measure.RATIO:
        labels = {"numerator": indicator.numerator_label, "denominator": indicator.denominator_label}
        for name, label in labels.items():
            parts[name], error = parse_number(raw.get(name), label)
            errors += [error] if error else []
    else:
        parts["value"], error = parse_number(raw.get("value"), "数值")
        errors += [error] if error else []
    note = raw.get("note")
    return Figure(note=str(note or ""), **parts), errors  # type: ignore[arg-type]
