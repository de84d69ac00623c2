"""Plotly figures for the dashboards, built in Python from what the selectors return. Pages embed each figure
as JSON (`figure_data`) and `static/js/dashboards.js` draws it with our own copy of plotly.js.

Colours are the stylesheet's (`static/css/ipcity.css`), so a status reads the same in a chart as on a card.
Hover texts are prepared here with `ipcity.figures.plain`, so a chart shows a figure exactly as the page
and the API write it; the numbers that position points are floats, which only a screen needs."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from dashboards.selectors.common import plan_quarters
from indicators.models import Target
from ipcity.figures import plain
from ipcity.quarters import Quarter
from ipcity.statuses import STATUS_COLOURS, TIMELINESS_COLOURS, TIMELINESS_SHORT
from progress.models import Progress

if TYPE_CHECKING:
    from dashboards.selectors.compare import Comparison, Theme
    from dashboards.selectors.indicator import IndicatorPage
    from dashboards.selectors.units import UnitsPage

FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
INK, MUTED, LINE, BRAND, BRAND_2, ACCENT = "#1c2430", "#5f6b7a", "#d9dee5", "#1d3b63", "#2c5a8f", "#b8322a"
PLAN_COLOURS = [BRAND, "#17a398", "#8a5a00", "#6a3d99"]


def figure_data(figure: go.Figure | None) -> dict[str, Any] | None:
    """A figure as plain JSON data for `json_script`; None stays None (the page says why there is none)."""
    return None if figure is None else json.loads(figure.to_json())


def _layout(figure: go.Figure, **overrides: Any) -> go.Figure:
    """The look every chart shares: our font, no zoom or drag (pages scroll on phones), legend below."""
    figure.update_layout(
        template="none",
        font={"family": FONT, "size": 13, "color": INK},
        paper_bgcolor="#fff",
        plot_bgcolor="#fff",
        margin={"l": 56, "r": 16, "t": 16, "b": 16},
        dragmode=False,
        hovermode="closest",
        hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "yanchor": "top", "y": -0.14, "x": 0, "font": {"size": 12}},
        separators=".,",
    )
    figure.update_xaxes(fixedrange=True, showgrid=False, linecolor=LINE, automargin=True)
    figure.update_yaxes(fixedrange=True, gridcolor="#eef1f5", zeroline=False, automargin=True)
    figure.update_layout(**overrides)
    return figure


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def quarter_ticks(quarters: list[Quarter]) -> dict[str, Any]:
    """Category ticks that name the year once, under its first quarter: 2024年 一季度, 二季度 …"""
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": [quarter.short for quarter in quarters],
        "tickvals": [quarter.short for quarter in quarters],
        "ticktext": [f"{q.name}<br>{q.year}年" if q.quarter == 1 else q.name for q in quarters],
        "tickfont": {"size": 11},
    }


def _figure_text(value: Decimal | None, unit: str) -> str:
    return "—" if value is None else f"{plain(value)}{unit}"


def _hover(label: str, value: Decimal | None, unit: str, row: Progress | None = None) -> str:
    when = f"{Quarter(row.year, row.quarter)}<br>" if row is not None else ""
    return f"{when}{label}：{_figure_text(value, unit)}"


def _milestones(page: IndicatorPage) -> dict[int, tuple[Decimal | None, Decimal | None]]:
    """Each year's target bounds: the roll-up's (it knows last year's actual for 保持增长), else the
    plan's own."""
    by_year: dict[int, tuple[Decimal | None, Decimal | None]] = {
        target.year: (target.min, target.max) for target in page.targets
    }
    for row in page.series:
        if row.target_min is not None or row.target_max is not None:
            by_year[row.year] = (row.target_min, row.target_max)
    return by_year


def _final_value(target: Target | None) -> Decimal | None:
    if target is None:
        return None
    return target.min if target.min is not None else target.max


def _points(rows: list[Progress], field: str) -> dict[str, Any]:
    """The points of a line through the quarters of `rows`, at each row's `field`, with their hover text."""
    return {
        "x": [Quarter(row.year, row.quarter).short for row in rows],
        "y": [_float(getattr(row, field)) for row in rows],
        "hovertemplate": "%{customdata}<extra></extra>",
    }


def indicator_chart(page: IndicatorPage) -> go.Figure | None:
    """Quarterly actuals (coloured by status), the yearly milestones as steps, the final target, the baseline,
    the expected-pace path and the dotted forecast to the plan's end. None for a qualitative indicator."""
    indicator, plan = page.indicator, page.plan
    kind = indicator.kind
    if kind.is_qualitative:
        return None
    unit = kind.display_unit(indicator)
    quarters = plan_quarters(plan)
    x = [quarter.short for quarter in quarters]
    figure = go.Figure()
    milestones = _milestones(page)
    for bound, name, dash in ((0, "年度目标", "solid"), (1, "年度目标上限", "dot")):
        values = [milestones.get(quarter.year, (None, None))[bound] for quarter in quarters]
        if bound == 1 and all(value is None for value in values):
            continue
        if bound == 0 and all(value is None for value in values):
            values = [milestones.get(quarter.year, (None, None))[1] for quarter in quarters]  # ≤ targets
        figure.add_scatter(
            x=x,
            y=[_float(value) for value in values],
            name=name,
            mode="lines",
            line={"shape": "hv", "color": MUTED, "width": 2, "dash": dash},
            customdata=[_hover(f"{q.year}年目标", v, unit) for q, v in zip(quarters, values, strict=True)],
            hovertemplate="%{customdata}<extra></extra>",
        )
    final = _final_value(page.final_target)
    if final is not None:
        label = f"{plan.end_year}年目标 {page.final_target.text}"
        figure.add_scatter(
            x=[x[0], x[-1]],
            y=[_float(final)] * 2,
            name=label,
            mode="lines",
            line={"color": ACCENT, "width": 1.5, "dash": "dash"},
            hovertemplate=f"{label}<extra></extra>",
        )
    baseline = page.baseline
    if baseline is not None:
        label = f"基期值（{baseline.year}年）{plain(baseline.value)}{unit}"
        figure.add_scatter(
            x=[x[0], x[-1]],
            y=[_float(baseline.value)] * 2,
            name=label,
            mode="lines",
            line={"color": "#9aa5b1", "width": 1.5, "dash": "dot"},
            hovertemplate=f"{label}<extra></extra>",
        )
    expected = [row for row in page.series if row.expected is not None]
    if expected:
        figure.add_scatter(
            name="序时进度",
            mode="lines",
            line={"color": STATUS_COLOURS[Progress.Status.AT_RISK], "width": 1.5, "dash": "dashdot"},
            customdata=[_hover("序时进度", r.expected, unit, r) for r in expected],
            **_points(expected, "expected"),
        )
    actual = [row for row in page.series if row.actual is not None]
    if actual:
        figure.add_scatter(
            name="实际值",
            mode="lines+markers",
            line={"color": BRAND, "width": 3},
            marker={
                "size": 10,
                "color": [STATUS_COLOURS[row.status] for row in actual],
                "line": {"color": "#fff", "width": 1.5},
            },
            customdata=[f"{_hover('实际值', r.actual, unit, r)}<br>{r.get_status_display()}" for r in actual],
            **_points(actual, "actual"),
        )
    current = page.current
    if current is not None and current.actual is not None and current.forecast is not None:
        start = Quarter(current.year, current.quarter).short
        label = f"预测（至{plan.end_year}年末）"
        figure.add_scatter(
            x=[start, x[-1]],
            y=[_float(current.actual), _float(current.forecast)],
            name=label,
            mode="lines+markers",
            line={"color": BRAND_2, "width": 2, "dash": "dot"},
            marker={"size": [0, 9], "symbol": "circle-open", "color": BRAND_2},
            customdata=["", f"{label}：{_figure_text(current.forecast, unit)}"],
            hovertemplate="%{customdata}<extra></extra>",
        )
    return _layout(
        figure,
        height=400,
        xaxis=quarter_ticks(quarters),
        yaxis={"title": {"text": unit, "font": {"size": 12}}},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0, "font": {"size": 12}},
        margin={"l": 56, "r": 16, "t": 12, "b": 12},
    )


def _short_name(name: str, limit: int = 9) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def timeliness_heatmap(page: UnitsPage) -> go.Figure | None:
    """Units × quarters, one colour per reporting status, best-ranked unit on top; each cell also says its
    status in words, so the chart reads without colour."""
    if not page.ranking:
        return None
    codes = {status: index for index, status in enumerate(TIMELINESS_COLOURS)}
    steps = len(codes)
    colorscale = []
    for index, colour in enumerate(TIMELINESS_COLOURS.values()):
        colorscale += [[index / steps, colour], [(index + 1) / steps, colour]]
    z, text, hover = [], [], []
    for unit in page.ranking:
        z_row, text_row, hover_row = [], [], []
        for quarter in page.quarters:
            cell = page.cells.get((unit.unit_id, quarter))
            if cell is None:
                z_row.append(None)
                text_row.append("")
                hover_row.append(f"{unit.name}<br>{quarter}：无记录")
                continue
            z_row.append(codes[cell.status])
            text_row.append(TIMELINESS_SHORT[cell.status])
            hover_row.append(
                f"{unit.name}<br>{quarter}：{cell.get_status_display()}<br>"
                f"应报{cell.expected}项，已报{cell.submitted}项，按时{cell.on_time}项，"
                f"逾期{cell.late}项，退回{cell.returned}项"
            )
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    names = [unit.name for unit in page.ranking]
    figure = go.Figure(
        go.Heatmap(
            x=[quarter.short for quarter in page.quarters],
            y=names,
            z=z,
            zmin=-0.5,
            zmax=steps - 0.5,
            colorscale=colorscale,
            showscale=False,
            xgap=2,
            ygap=2,
            text=text,
            texttemplate="%{text}",
            textfont={"color": "#fff", "size": 11},
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    return _layout(
        figure,
        height=80 + 30 * len(names),
        xaxis={**quarter_ticks(page.quarters), "side": "top"},
        yaxis={
            "autorange": "reversed",
            "tickvals": names,
            "ticktext": [_short_name(name) for name in names],
            "showgrid": False,
        },
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
    )


def completion_chart(comparison: Comparison) -> go.Figure | None:
    """Completion of the year's target per shared theme, one bar per plan: the comparison every theme allows,
    whatever each plan counts."""
    if not comparison.themes or comparison.period.at is None:
        return None
    figure = go.Figure()
    labels = [theme.label for theme in comparison.themes]
    for index, plan in enumerate(comparison.plans):
        values, hover = [], []
        for theme in comparison.themes:
            entry = next((e for e in theme.entries if e.indicator.plan_id == plan.pk), None)
            completion = entry.progress.completion if entry and entry.progress else None
            values.append(_float(completion))
            hover.append(
                f"{plan.short_title}<br>{entry.indicator.name}：完成率 {plain(completion)}%"
                if entry and completion is not None
                else f"{plan.short_title}：无数据"
            )
        figure.add_bar(
            y=labels,
            x=values,
            name=plan.short_title,
            orientation="h",
            marker={"color": PLAN_COLOURS[index % len(PLAN_COLOURS)]},
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
        )
    figure.add_vline(x=100, line={"color": ACCENT, "width": 1, "dash": "dash"})
    return _layout(
        figure,
        barmode="group",
        height=90 + 70 * len(labels),
        xaxis={"title": {"text": "年度目标完成率（%）", "font": {"size": 12}}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "gridcolor": "rgba(0,0,0,0)"},
        margin={"l": 8, "r": 16, "t": 8, "b": 8},
    )


def theme_chart(theme: Theme, comparison: Comparison) -> go.Figure | None:
    """One theme over time for each plan: per 10,000 residents when the plans count the same kind of thing
    and populations are known, else completion of each year's target."""
    if comparison.period.at is None:
        return None
    per_10k = theme.comparable and not theme.missing_population
    quarters = [q for q in plan_quarters(comparison.plans[0]) if q <= comparison.period.at]
    figure = go.Figure()
    for index, entry in enumerate(theme.entries):
        rows = [row for row in entry.series if Quarter(row.year, row.quarter) in quarters]
        values = [entry.per_10k(row) if per_10k else row.completion for row in rows]
        unit = f"{entry.base_unit}/万人" if per_10k else "%"
        figure.add_scatter(
            x=[Quarter(row.year, row.quarter).short for row in rows],
            y=[_float(value) for value in values],
            name=entry.indicator.plan.short_title,
            mode="lines+markers",
            line={"color": PLAN_COLOURS[index % len(PLAN_COLOURS)], "width": 2.5},
            customdata=[
                f"{entry.indicator.plan.short_title}<br>{Quarter(row.year, row.quarter)}："
                f"{_figure_text(_rounded(value), unit)}"
                for row, value in zip(rows, values, strict=True)
            ],
            hovertemplate="%{customdata}<extra></extra>",
        )
    unit_text = f"（{theme.per_10k_unit}）" if theme.per_10k_unit else ""
    title = f"每万人口{unit_text}" if per_10k else "年度目标完成率（%）"
    return _layout(
        figure,
        height=300,
        xaxis=quarter_ticks(quarters),
        yaxis={"title": {"text": title, "font": {"size": 12}}, "rangemode": "tozero"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0, "font": {"size": 12}},
        margin={"l": 56, "r": 12, "t": 8, "b": 8},
    )


def _rounded(value: Decimal | None) -> Decimal | None:
    """A derived figure (per 10k, a rate) to two decimals; reported figures are never rounded."""
    return None if value is None else value.quantize(Decimal("0.01"))
