"""tests/page.py, the reader's view of a page the other tests assert on: if it saw wrong, they would too."""

from __future__ import annotations

from tests.page import parse, shows_figure

PAGE = """<!doctype html><html><head><title>不见</title><style>p{}</style></head><body>
<nav class="mainnav"><a href="/plans/" class="">进度看板</a><a href="/compare/">方案对比</a></nav>
<main><h2>2026年第4季度</h2>
<p>待审核 <b class="warn">21</b><span hidden>隐藏</span>
<script>var secret = 1;</script><script src="/static/js/a.js"></script>
<script id="x-data" type="application/json">{"a": 1}</script>
<form><input type="hidden" name="status" value="behind"><input type="checkbox" name="remove" value="3">
<select name="year"><option value="2024">2024</option><option value="2025" selected>2025</option>
</select></form>
<table><thead><tr><th>单位</th><th>逾期</th></tr></thead>
<tbody><tr><td>市科技局</td><td><span class="late-mark">1</span></td></tr>
<tr><td colspan="2">没有了</td></tr></tbody></table>
<ul><li>未闭合<li>第二项</ul><br></main></body></html>"""


def test_it_reads_the_words_a_person_sees_and_nothing_hidden():
    text = parse(PAGE).text
    assert "待审核 21" in text and "未闭合 第二项" in text
    assert not any(hidden in text for hidden in ("不见", "隐藏", "secret", "p{}", '"a"'))


def test_it_finds_links_by_their_words_and_form_fields_by_their_names():
    page = parse(PAGE)
    assert page.find("nav", cls="mainnav").links() == {"进度看板": "/plans/", "方案对比": "/compare/"}
    assert page.link("对比") == "/compare/"
    assert page.fields() == {"status": "behind", "year": "2025"}  # an unticked box sends nothing


def test_it_reads_a_table_by_its_headings_and_skips_rows_spanning_it():
    rows = parse(PAGE).table("逾期").rows()
    assert [{name: cell.text for name, cell in row.items()} for row in rows] == [
        {"单位": "市科技局", "逾期": "1"}
    ]
    assert rows[0]["逾期"].find_all(cls="late-mark")


def test_it_tells_inline_scripts_from_files_and_data():
    assert ["".join(script.children) for script in parse(PAGE).scripts_inline()] == ["var secret = 1;"]


def test_a_figure_is_shown_only_as_a_number_of_its_own():
    assert shows_figure("实际 73.12万件 完成率 93.1%", "73.12") and shows_figure("完成率 93.1%", "93.1%")
    assert not shows_figure("实际 73.12万件", "73.1") and not shows_figure("173.1", "73.1")
