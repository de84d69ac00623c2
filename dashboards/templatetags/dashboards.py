"""Template helpers of the dashboards: rates as people read them, links that keep the chosen quarter."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html, json_script

from ipcity.figures import plain
from ipcity.quarters import quarter_name as ipcity_quarter_name

register = template.Library()


@register.filter
def quarter_name(quarter) -> str:
    """{{ 3|quarter_name }} → 第三季度, the one way a quarter is named."""
    return ipcity_quarter_name(int(quarter))


@register.filter
def percent(value: Decimal | None) -> str:
    """{{ rate|percent }}: a derived rate to one decimal (93.46 → 93.5%); — when there is none. Only rates the
    system computes are rounded; reported figures are shown with `figure`, whole."""
    if value is None:
        return "—"
    return f"{plain(Decimal(value).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP))}%"


@register.filter
def css_percent(value: Decimal | None) -> str:
    """A position on a bar for a style attribute: 0–100 with one decimal, a dot whatever the locale."""
    return "0" if value is None else f"{Decimal(value):.1f}"


@register.simple_tag(takes_context=True)
def period_url(context, name: str, *args, **params) -> str:
    """The URL of a dashboard page at the quarter the current page shows (so navigation keeps its place),
    with extra query parameters; empty parameters are left out."""
    query = {}
    period = context.get("period")
    if period is not None and period.at is not None:
        query = {"year": period.at.year, "quarter": period.at.quarter}
    query.update({key: value for key, value in params.items() if value not in (None, "")})
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


@register.simple_tag
def chart(figure: dict, dom_id: str, label: str, css_class: str = ""):
    """A chart's place on the page and its figure as JSON next to it; `static/js/dashboards.js` draws it.
    No inline script: the page's Content-Security-Policy allows scripts from our static files only."""
    return format_html(
        '<div class="chart {}" id="{}" data-figure="{}-data" role="img" aria-label="{}"></div>{}',
        css_class,
        dom_id,
        dom_id,
        label,
        json_script(figure, f"{dom_id}-data"),
    )


@register.filter
def rounded(value: Decimal | None, decimals: int) -> str:
    """{{ expected|rounded:indicator.decimals }}: a value the system derived (expected pace, forecast, a
    per-capita figure) to the indicator's stated precision; a value with no more digits is shown whole."""
    if value is None:
        return "—"
    value = Decimal(value)
    quantum = Decimal(1).scaleb(-int(decimals))
    if value == value.quantize(quantum, rounding=ROUND_HALF_UP):
        return plain(value)
    return plain(value.quantize(quantum, rounding=ROUND_HALF_UP))
