"""A page as a person meets it: its visible text, its links by their words, its forms' fields. Tests assert on
these rather than on the exact markup, so that a changed class or attribute order breaks no test while a
changed word, link or figure does. Standard library only (html.parser)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
}  # fmt: skip
UNSEEN = {"script", "style", "template", "noscript", "head"}
# Elements that sit inside a line of text: no space is put between them and their neighbours.
INLINE = {
    "a", "abbr", "b", "code", "em", "i", "kbd", "label", "mark", "s", "small", "span", "strong", "sub", "sup",
}  # fmt: skip


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """What a reader sees of it: its words, whitespace collapsed, hidden parts left out."""
        return re.sub(r"\s+", " ", self._words()).strip()

    def _words(self) -> str:
        if self.tag in UNSEEN or "hidden" in self.attrs:
            return ""
        inner = "".join(child if isinstance(child, str) else child._words() for child in self.children)
        return inner if self.tag in INLINE else f" {inner} "

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(
        self, tag: str | None = None, *, cls: str | None = None, **attrs: str | bool
    ) -> list[Element]:
        """Descendants by tag, class and attributes (`data_status="behind"`, or True for any value)."""
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        found = []
        for child in self.children:
            if isinstance(child, str):
                continue
            if (
                (tag is None or child.tag == tag)
                and (cls is None or cls in child.classes)
                and all(
                    name in child.attrs and (value is True or child.attrs[name] == value)
                    for name, value in wanted.items()
                )
            ):
                found.append(child)
            found.extend(child.find_all(tag, cls=cls, **attrs))
        return found

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs: str | bool) -> Element:
        found = self.find_all(tag, cls=cls, **attrs)
        assert found, f"no <{tag or '*'}> with class {cls!r} and {attrs} on the page"
        return found[0]

    def link(self, words: str) -> str:
        """Where the first link whose words include `words` leads."""
        for text, href in self.links().items():
            if words in text:
                return href
        raise AssertionError(f"no link reading {words!r}; the links: {sorted(self.links())}")

    def table(self, header: str) -> Element:
        """The first table with a column headed `header`."""
        for table in self.find_all("table"):
            if header in [cell.text for cell in table.find_all("th")]:
                return table
        raise AssertionError(f"no table with a column {header!r}")

    def rows(self) -> list[dict[str, Element]]:
        """A table's rows of cells as its column headings → the cell under each."""
        headings = [cell.text for cell in self.find_all("tr")[0].find_all("th")]
        rows = []
        for row in self.find_all("tr")[1:]:
            cells = [cell for cell in row.children if isinstance(cell, Element) and cell.tag in ("td", "th")]
            if len(cells) == len(headings):  # a row spanning the table ("nothing yet") is not one
                rows.append(dict(zip(headings, cells, strict=True)))
        return rows

    def scripts_inline(self) -> list[Element]:
        """Scripts written into the page, which our Content-Security-Policy would block: every script comes
        from a file (src) or is data (application/json)."""
        return [
            script
            for script in self.find_all("script")
            if "src" not in script.attrs and script.attrs.get("type") != "application/json"
        ]

    def links(self) -> dict[str, str]:
        """Each link's words → where it leads (the first link of those words)."""
        links: dict[str, str] = {}
        for link in self.find_all("a", href=True):
            links.setdefault(link.text, link.attrs["href"])
        return links

    def fields(self) -> dict[str, str]:
        """The named inputs of its forms → their values (selected options, checked boxes only)."""
        values = {}
        for element in self.find_all(name=True):
            name = element.attrs["name"]
            if element.tag == "select":
                chosen = element.find_all("option", selected=True)
                values[name] = chosen[0].attrs.get("value", chosen[0].text) if chosen else ""
            elif element.attrs.get("type") in ("checkbox", "radio") and "checked" not in element.attrs:
                continue
            elif element.tag in ("input", "textarea", "button"):
                values[name] = element.attrs.get("value", element.text)
        return values


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, 0, -1):  # an unclosed <p> or <li> closes with its parent
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse(html: str | bytes) -> Element:
    builder = _Builder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.root


def seen(response) -> Element:
    """The page a test client's response shows."""
    return parse(response.content)


def text(html: str | bytes) -> str:
    """A page's visible text, whitespace collapsed."""
    return parse(html).text


def shows_figure(text: str, figure: str) -> bool:
    """The figure stands in the text as a number of its own (73.1 is not shown by 73.12 or 173.1)."""
    return re.search(rf"(?<![\d.]){re.escape(figure)}(?!\d)", text) is not None
