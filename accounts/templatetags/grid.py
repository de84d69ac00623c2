"""The data table every page draws, written once: a `table.grid` with its head and body, inside the
`.table-wrap` that lets it scroll sideways on a phone (the phone layout test lets such wrappers overflow).
A page writes the head row and the rows; the optional first argument adds classes to `grid`, `id=` and
`label=` (its aria-label) name the table:

    {% load grid %}
    {% grid "ranking" label="目标考核排名" %}
      <tr><th>单位</th>…</tr>
    {% rows %}
      {% for row in rows %}<tr>…</tr>{% endfor %}
    {% endgrid %}

It lives at the bottom of the app ladder because the pages of every app above load it; it imports no app."""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token, token_kwargs
from django.utils.html import format_html, format_html_join

register = template.Library()

ATTRIBUTES = {"id": "id", "label": "aria-label"}
TABLE = (
    '<div class="table-wrap">\n<table class="{}"{}>\n<thead>{}</thead>\n<tbody>{}</tbody>\n</table>\n</div>'
)


class GridNode(template.Node):
    def __init__(
        self,
        classes: FilterExpression | None,
        attributes: dict[str, FilterExpression],
        head: NodeList,
        rows: NodeList,
    ) -> None:
        self.classes = classes
        self.attributes = attributes
        self.head = head
        self.rows = rows

    def render(self, context) -> str:
        extra = self.classes.resolve(context) if self.classes else ""
        named = ((ATTRIBUTES[name], value.resolve(context)) for name, value in self.attributes.items())
        return format_html(
            TABLE,
            f"grid {extra}" if extra else "grid",
            format_html_join("", ' {}="{}"', named),
            self.head.render(context),
            self.rows.render(context),
        )


@register.tag
def grid(parser: Parser, token: Token) -> GridNode:
    bits = token.split_contents()[1:]
    classes = parser.compile_filter(bits.pop(0)) if bits and "=" not in bits[0] else None
    attributes = token_kwargs(bits, parser)
    if bits or set(attributes) - set(ATTRIBUTES):
        raise template.TemplateSyntaxError(
            '{% grid %} takes the extra classes, then id="…" and label="…": ' + token.contents
        )
    head = parser.parse(("rows",))
    parser.delete_first_token()
    rows = parser.parse(("endgrid",))
    parser.delete_first_token()
    return GridNode(classes, attributes, head, rows)
