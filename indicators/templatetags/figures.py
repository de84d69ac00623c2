from django import template

from indicators.measures import reported_text
from ipcity.figures import plain

register = template.Library()


@register.filter
def figure(value):
    """{{ value|figure }}: a decimal as people write it (88, 78.51), — when there is none."""
    return plain(value)


@register.filter
def reported(submission):
    """{{ submission|reported }}: what the unit reported, 1234件 / 9/10（90%）/ 已完成, — when nothing."""
    return reported_text(submission)


# The measure registry's units and instruction, for templates (which cannot pass the indicator to a method):
# {{ ind|display_unit }} 件/万人, {{ ind|entry_unit }} 件, {{ ind|units_text }} 件/万人（填报单位：件）,
# {{ ind|instruction }} what a reporter enters and in which unit, as the Excel template says it.
def _asks_registry(rule: str):
    def read(indicator) -> str:
        return getattr(indicator.kind, rule)(indicator)

    return read


for _rule in ("display_unit", "entry_unit", "units_text", "instruction"):
    register.filter(_rule, _asks_registry(_rule))
