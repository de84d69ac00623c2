from django import template

from indicators.figures import plain

register = template.Library()


@register.filter
def figure(value):
    """{{ value|figure }}: a decimal as people write it (88, 78.51), — when there is none."""
    return plain(value)
