"""Template helpers of the reporting pages: state badges and dictionary lookups."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from ipcity.quarters import Quarter
from reporting.models import ReviewState

register = template.Library()

STATE_LABELS = {"missing": "未填报", **dict(ReviewState.choices)}


@register.filter
def state_badge(state: str):
    """{{ row.state|state_badge }}: the review state as a coloured badge."""
    return format_html('<span class="state state-{}">{}</span>', state, STATE_LABELS.get(state, state))


@register.filter
def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


@register.filter
def get(mapping, key):
    """{{ counts|get:"draft" }}: a dictionary's value in a template, 0 when absent."""
    return mapping.get(key, 0) if mapping else 0


@register.simple_tag
def period_param(period) -> str:
    return Quarter.of(period).param


@register.filter
def value_of(mapping, key):
    """{{ order|value_of:unit.pk }}: a dictionary's value in a template, empty when absent."""
    return mapping.get(key, "") if mapping else ""
