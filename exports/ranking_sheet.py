"""The 目标考核 sheet of the progress report: the quarter's ranking as the dashboards show it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assessment.selectors import Ranking, part_rows, ranking, ranking_weights, weight_list
from exports.selectors.report import ReportData
from ipcity.workbook import Column, Row, SheetSpec, width_for

# A plan with more units than one sheet holds (the writer fits 300 rows) is ranked on the dashboards and
# through the API only: the report of a national plan stays flat in memory.
RANKING_SHEET_UNITS = 300


TOO_MANY_TO_RANK = f"本方案责任单位超过{RANKING_SHEET_UNITS}家，目标考核排名请在看板或接口中查看。"


def _ranking_rows(result: Ranking | None) -> Iterator[Any]:
    if result is None:
        yield Row([TOO_MANY_TO_RANK], merge=True)
        return
    yield Row([result.basis], merge=True)
    for unit in result.units:
        parts = part_rows(result, unit)
        basis = "；".join(f"{part.label}：{part.basis}" for part in parts)
        yield [
            unit.rank if unit.rank is not None else "暂不排名",
            unit.unit,
            unit.score,
            *(part.score for part in parts),
            basis if unit.rank is not None else f"{unit.state_label}。{basis}",
        ]


def ranking_sheet(data: ReportData, title_rows: list[str]) -> SheetSpec:
    """目标考核 of the report's quarter (assessment.selectors.ranking, as the dashboards show it)."""
    small = data.units.total <= RANKING_SHEET_UNITS
    result = ranking(data.plan, data.year, data.quarter, today=data.today) if small else None
    weights = weight_list(result.weights if result else ranking_weights(data.plan))
    return SheetSpec(
        title="目标考核",
        title_rows=title_rows,
        columns=[
            Column("名次", 8, "center"),
            Column("单位", width_for(data.units.widest_name, minimum=16, maximum=36), "wrap"),
            Column("综合得分", 9),
            *(Column(f"{label}（权重{weight}）", 12) for label, weight in weights),
            Column("得分依据", 60, "wrap"),
        ],
        rows=_ranking_rows(result),
        size=(len(result.units) if result else 0) + 1,
        body_style="cell",
        freeze_cols=2,
    )
