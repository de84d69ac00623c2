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
