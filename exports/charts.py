"""The progress report's charts as PNG images, drawn by matplotlib's Agg backend: pure Python API, no browser
and no display, so a Celery worker on a server draws them. Chinese needs a CJK font, found among the
system's fonts through matplotlib's font_manager (Noto Sans/Serif CJK, Debian's fonts-noto-cjk); without one
the charts are refused with a Chinese message instead of drawing empty boxes."""

from __future__ import annotations

import io
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

from exports.selectors.report import INDICATOR_STATUSES, ReportData
from ipcity.statuses import STATUS_COLOURS

# Families that carry the Chinese glyphs, the Simplified Chinese faces first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "Noto Sans CJK JP",
    "Noto Serif CJK JP",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
)
DPI = 200


class NoChineseFont(RuntimeError):
    """No font with Chinese glyphs is installed where the charts are drawn."""


def chinese_font() -> str:
    """The first installed CJK family of CJK_FAMILIES; NoChineseFont (in Chinese) when there is none."""
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    raise NoChineseFont(
        "服务器未安装中文字体，无法绘制报告中的图表。请安装 Noto CJK 字体（Debian/Ubuntu：apt-get install "
        "fonts-noto-cjk）后重新导出。"
    )


def _figure(height_cm: float) -> Figure:
    figure = Figure(figsize=(16 / 2.54, height_cm / 2.54), dpi=DPI)
    figure.set_layout_engine("constrained")
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def status_by_category(data: ReportData) -> bytes:
    """Stacked bars: each category's indicators by status, in the statuses' colours."""
    family = chinese_font()
    counts = data.category_counts()
    figure = _figure(2.2 + 0.9 * len(counts))
    axes = figure.add_subplot()
    labels = [label for label, _ in counts][::-1]
    left = [0] * len(labels)
    for status, label in INDICATOR_STATUSES.choices:
        values = [by_status[status] for _, by_status in counts][::-1]
        if not any(values):
            continue
        axes.barh(labels, values, left=left, color=STATUS_COLOURS[status], label=label, height=0.6)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_xlabel("指标数（项）", family=family)
    axes.xaxis.get_major_locator().set_params(integer=True)
    for tick in axes.get_yticklabels():
        tick.set_family(family)
    axes.legend(prop={"family": family, "size": 8}, ncols=5, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def completion_by_indicator(data: ReportData) -> bytes | None:
    """Each measured indicator's completion of its year's target (%), coloured by status, against 100%;
    None when no indicator has a completion yet."""
    family = chinese_font()
    lines = [line for line in data.indicators if line.progress and line.progress.completion is not None]
    if not lines:
        return None
    figure = _figure(1.4 + 0.42 * len(lines))
    axes = figure.add_subplot()
    names = [_short(line.indicator.name) for line in lines][::-1]
    values = [float(min(line.progress.completion, Decimal(150))) for line in lines][::-1]
    colours = [STATUS_COLOURS[line.status] for line in lines][::-1]
    axes.barh(names, values, color=colours, height=0.6)
    axes.axvline(100, color="#595959", linewidth=0.8, linestyle="--")
    for y, (value, line) in enumerate(zip(values, lines[::-1], strict=True)):
        axes.text(value + 1, y, f"{line.progress.completion:.1f}%", va="center", fontsize=7)
    axes.set_xlabel("年度目标完成率（%，虚线为100%）", family=family)
    axes.set_xlim(0, 165)
    for tick in axes.get_yticklabels():
        tick.set_family(family)
        tick.set_fontsize(8)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def _short(name: str, most: int = 16) -> str:
    return name if len(name) <= most else name[: most - 1] + "…"
