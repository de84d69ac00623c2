"""Building what the 本季度填报 page posts, the way a browser would, from the unit's quarter."""

from __future__ import annotations

from reporting.selectors import unit_quarter

PROGRESS = "本季度按计划推进，已召开专题推进会。"


def quarter_post(unit, period, today, *, figures=None, fill_tasks=False, action="save") -> dict:
    """The form data of the page: the versions it showed, the given figure parts ({indicator: {"value": …}}),
    and, with `fill_tasks`, every editable task reported as 推进中 with a progress text."""
    quarter = unit_quarter(unit, period, today)
    data: dict[str, object] = {"action": action}
    for row in quarter.rows:
        if row.editable:
            data[f"{row.key}-version"] = row.row.version if row.row else 0
    for indicator, parts in (figures or {}).items():
        for name, value in parts.items():
            data[f"indicator-{indicator.pk}-{name}"] = value
    if fill_tasks:
        for row in quarter.tasks:
            if row.editable:
                data[f"{row.key}-status"] = "in_progress"
                data[f"{row.key}-progress"] = PROGRESS
    return data


def full_quarter(desk, **overrides) -> dict:
    """Every figure of the desk's unit A filled with plausible values; `overrides` replace some."""
    figures = {
        desk.stock: {"value": "88.12"},
        desk.count: {"value": "70"},
        desk.milestone: {"done": "1"},
        desk.ratio: {"numerator": "9", "denominator": "10"},
    }
    figures.update(overrides)
    return figures
