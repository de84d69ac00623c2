"""{% load coverage %}: what a rolled-up figure stands on, in the words of `progress.coverage`. Templates
place these words; they never build them."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from progress import coverage as words
from progress.models import Progress

register = template.Library()


@register.filter
def coverage_line(row: Progress | None) -> str:
    """{{ p|coverage_line }} → 第三季度：3/4单位已审核，1单位未报送."""
    return words.coverage_text(row)


@register.filter
def as_of(row: Progress | None) -> str:
    """{{ p|as_of }} → 数据截至第二季度 (empty when complete through the row's quarter)."""
    return words.as_of_text(row)


@register.filter
def provisional(row: Progress | None) -> bool:
    """{% if p|provisional %}: the quarter's status is 暂定."""
    return words.is_provisional(row)


@register.filter
def forecast_basis(row: Progress | None) -> str:
    """{{ p|forecast_basis }} → 按前2个季度推算."""
    return words.forecast_basis(row)


@register.filter
def unit_state(state: str) -> str:
    """{{ figure.state|unit_state }} → 已审核 / 待审核 / 已退回 / 未报送 / 未到截止日."""
    return words.unit_state_label(state)


@register.simple_tag
def provisional_mark(row: Progress | None) -> str:
    """{% provisional_mark p %}: 暂定 beside a partial quarter's status, its coverage as the tooltip;
    nothing for a complete quarter."""
    if not words.is_provisional(row):
        return ""
    mark = '<span class="provisional" title="{}">{}</span>'
    return format_html(mark, words.coverage_text(row), words.PROVISIONAL)


@register.simple_tag
def coverage_note(row: Progress | None, css: str = "") -> str:
    """{% coverage_note p "small" %}: the quarter's coverage and how far its data is complete, as one line
    (marked partial when it is); nothing for a row that records no coverage."""
    line = words.coverage_note(row)
    if not line:
        return ""
    partial = "partial" if words.is_provisional(row) else ""
    classes = " ".join(part for part in ("coverage", css, partial) if part)
    return format_html('<p class="{}" data-coverage>{}</p>', classes, line)
