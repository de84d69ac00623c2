"""Reading a 责任单位 line into unit names: pure text rules, no database (the plan importer uses them too)."""

from __future__ import annotations

import re

# A 、-run shares the administrative prefix of its first name: 市知识产权局、科技局 → 市知识产权局 + 市科技局.
_CARRIED_PREFIXES = ("省", "市", "区", "县")
_RUN_SEPARATORS = frozenset(",，;；")
_OPEN, _CLOSE = "（(", "）)"


def _split_outside_brackets(text: str, separators: frozenset[str] | str) -> list[str]:
    """Split at separators that stand outside brackets: 各县(市、区)人民政府 stays one name."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(depth - 1, 0)
        if depth == 0 and char in separators:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def split_unit_list(text: str) -> list[str]:
    """Split a 责任单位 line into unit names in document order.

    ，/, starts a new name; within a 、-run the first name's prefix (市/区/县/省) carries over to the names
    that lack it. Names that stand whole (中国人民银行泉州市分行, 晋江市人民政府) are left as written;
    a 、 or ， inside brackets (各县(市、区)人民政府) separates nothing.
    """
    names: list[str] = []
    for run in _split_outside_brackets(text, _RUN_SEPARATORS):
        items = [item.strip() for item in _split_outside_brackets(run, "、") if item.strip()]
        if not items:
            continue
        prefix = items[0][0] if items[0].startswith(_CARRIED_PREFIXES) else ""
        names.append(items[0])
        # 各乡镇(街道)人民政府 names every body of a kind: no prefix carries onto it.
        names.extend(item if item.startswith((prefix, "各")) else prefix + item for item in items[1:])
    return names


_LEAD_CO = re.compile(r"^(?P<lead>.+?)牵头[,，;；、]?(?:(?P<co>.+?)(?:配合|参与|协同|按职责分工负责))?$")


def responsible_from_note(note: str) -> str | None:
    """The unit list of a bracketed note that closes a task, as a 责任单位 line reads: "(X负责)" → "X";
    "(X牵头,Y配合)" → "X,Y" (lead first). None when the note names no responsibility."""
    note = note.strip()
    if note.endswith("负责") and "牵头" not in note:
        return note.removesuffix("负责").strip() or None
    match = _LEAD_CO.match(note)
    if match is None:
        return None
    lead, co = match["lead"].strip(), (match["co"] or "").strip()
    return f"{lead},{co}" if co else lead
