"""{% grid %}: the data table every page draws, in the wrapper that scrolls sideways on a phone."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError


def _render(source: str, **context) -> str:
    return Template("{% load grid %}" + source).render(Context(context))


def test_it_puts_the_head_and_the_rows_in_a_grid_inside_its_wrapper():
    html = _render(
        "{% grid %}<tr><th>单位</th></tr>{% rows %}"
        "{% for name in names %}<tr><td>{{ name }}</td></tr>{% endfor %}{% endgrid %}",
        names=["甲", "<乙>"],
    )
    assert html == (
        '<div class="table-wrap">\n<table class="grid">\n<thead><tr><th>单位</th></tr></thead>\n'
        "<tbody><tr><td>甲</td></tr><tr><td>&lt;乙&gt;</td></tr></tbody>\n</table>\n</div>"
    )


def test_it_adds_classes_an_id_and_an_aria_label_escaped():
    html = _render('{% grid "ranking wide" id=name label="排名" %}{% rows %}{% endgrid %}', name='a"b')
    assert '<table class="grid ranking wide" id="a&quot;b" aria-label="排名">' in html


def test_it_refuses_an_attribute_it_does_not_know():
    with pytest.raises(TemplateSyntaxError):
        _render('{% grid style="color: red" %}{% rows %}{% endgrid %}')
