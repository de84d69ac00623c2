"""What a figure stands on, in the words a leader reads in a second: the one home of those words.

Every page, sheet and document that shows a rolled-up figure asks here how to say its coverage
(第三季度：3/4单位已审核，1单位未报送), how far its data is complete (数据截至第二季度), whether its status is
provisional (暂定), what a forecast stands on (按前2个季度推算), and what state one unit's figure is in
(已审核 / 待审核 / 已退回 / 未报送). No template builds these words itself (PRODUCT.md, "Figures must say
what they stand on")."""

from __future__ import annotations

import datetime

from ipcity.quarters import Quarter
from progress.models import Progress

PROVISIONAL = "暂定"

# One unit's figure of a quarter, by its state (reporting.selectors.unit_figure_states).
UNIT_STATES = {
    "approved": "已审核",
    "submitted": "待审核",
    "returned": "已退回",
    "missing": "未报送",
    "not_due": "未到截止日",
    "draft": "草稿",  # a unit's own unsent figure, where a page lists raw figures
}
# The order and words of a quarter's coverage after its approved count; the units not yet due are the rest.
_COVERAGE_PARTS = (("awaiting_review", "待审核"), ("returned", "已退回"), ("missing", "未报送"))


def unit_state_label(state: str) -> str:
    return UNIT_STATES[state]


def is_provisional(row: Progress | None) -> bool:
    """The quarter's figure lacks some owed unit's approved figure: its status and whatever is drawn from it
    are provisional. A row the roll-up has not measured (nothing owed recorded) claims nothing."""
    return row is not None and row.owed > 0 and row.is_partial


def coverage_text(row: Progress | None) -> str:
    """第三季度：3/4单位已审核，1单位未报送 — empty when the roll-up recorded no unit owing the figure."""
    if row is None or not row.owed:
        return ""
    parts = [f"{row.approved}/{row.owed}单位已审核"]
    parts += [f"{getattr(row, name)}单位{label}" for name, label in _COVERAGE_PARTS if getattr(row, name)]
    not_due = row.owed - row.approved - sum(getattr(row, name) for name, _ in _COVERAGE_PARTS)
    if not_due > 0:
        parts.append(f"{not_due}单位未到截止日")
    return f"{Quarter.of(row).name}：{'，'.join(parts)}"


def _named_from(at: Quarter, through: Quarter) -> str:
    """A quarter named as a reader of `at` needs it: without the year when it is `at`'s own year."""
    return through.name if through.year == at.year else str(through)


def as_of_text(row: Progress | None) -> str:
    """数据截至第二季度: the last quarter through which every owed figure is approved, said when it is not the
    row's own quarter; empty when the row is complete through its quarter or claims no coverage."""
    if row is None or not row.owed:
        return ""
    at, through = Quarter.of(row), row.complete_through
    if through is None:
        return "尚无各单位数据全部审核的季度"
    if through >= at:
        return ""
    return f"数据截至{_named_from(at, through)}"


def coverage_note(row: Progress | None) -> str:
    """The quarter's coverage and how far its data is complete, as one line:
    第三季度：3/4单位已审核，1单位未报送；数据截至第二季度."""
    return "；".join(part for part in (coverage_text(row), as_of_text(row)) if part)


def status_text(row: Progress | None, label: str) -> str:
    """A status as a reader should take it: 预警（暂定） when the quarter is partial."""
    return f"{label}（{PROVISIONAL}）" if is_provisional(row) else label


def actual_label(row: Progress | None, at: Quarter | None) -> str:
    """What the actual stands on: 实际值（2026年第三季度）; 实际值（2026年第三季度，3/4单位已审核） when some
    owed figure of the quarter is not approved; 实际值（数据截至2026年第二季度） when none is and an earlier
    quarter is complete (the quarter adds nothing to the figure)."""
    if at is None:
        return "实际值"
    if not is_provisional(row) or row is None:
        return f"实际值（{at}）"
    if row.approved == 0 and row.complete_through is not None:
        return f"实际值（数据截至{row.complete_through}）"
    return f"实际值（{at}，{row.approved}/{row.owed}单位已审核）"


def forecast_basis_text(quarters: int | None) -> str:
    """按前2个季度推算: the complete quarters of the year a forecast stands on; empty when not recorded."""
    if quarters is None:
        return ""
    if quarters == 0:
        return "本年度尚无数据完整的季度"
    return f"按前{quarters}个季度推算"


def forecast_basis(row: Progress | None) -> str:
    """The forecast's basis of a roll-up row: the complete quarters of its year the forecast stands on."""
    return forecast_basis_text(row.forecast_basis if row is not None else None)


def awaiting_text(at: Quarter, count: int) -> str:
    """2026年第三季度尚有3项报送待审核 (figures and task reports); empty when none waits."""
    return f"{at}尚有{count}项报送待审核" if count else ""


def pending_text(today: datetime.date, count: int) -> str:
    """数据截至2026年10月20日，尚有3项待审核: the first line of a document made while items await review."""
    date = f"{today.year}年{today.month}月{today.day}日"  # 2026年12月7日, as 公文 write dates
    if not count:
        return f"数据截至{date}，本季度报送事项均已审核"
    return f"数据截至{date}，尚有{count}项待审核"
