"""How text sits in a cell: its width as a Chinese font draws it, the column width and row height that show
it, and what is done to it before it is stored (`neutralise`)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

# Leading characters that make a spreadsheet (or a later CSV round trip) read text as a formula or command:
# OWASP's list plus the full-width and small forms a Chinese input method produces.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n＝＋－＠﹦﹢﹣﹫")
EXCEL_CELL_MAX = 32767
CUT_MARK = "…（超出单元格长度，已截断）"
LINE_HEIGHT = 15.0  # points per line of 11-point text
MAX_ROW_HEIGHT = 409.0  # Excel's limit; a cell with more text scrolls within it
MOST_LINES = math.ceil((MAX_ROW_HEIGHT - 3) / LINE_HEIGHT)  # lines that reach it: no need to count further
# Characters XML 1.0 cannot carry (C0 controls but tab and line breaks, lone surrogates, U+FFFE/U+FFFF).
ILLEGAL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Those and CR, which `neutralise` turns into LF: a string holding none of them is stored as it is.
NEEDS_NEUTRALISING = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")


def text_width(text: str) -> int:
    """Width of text in Excel character units, as a Chinese font draws it: ASCII takes one, CJK,
    full-width forms and the symbols Chinese fonts draw full-width (≥, —, ①) take two. Counted from the
    UTF-8 length (one byte for ASCII, three for those), which runs at C speed on every wrapped cell."""
    return (len(text.encode("utf-8", "surrogatepass")) + len(text)) // 2


def fit_width(texts: Iterable[str], *, minimum: float = 6, maximum: float = 50, padding: float = 2) -> float:
    """A column width that shows the widest of `texts` on one line, within [minimum, maximum]."""
    widest = max((text_width(t) for t in texts if t), default=0)
    return width_for(widest, minimum=minimum, maximum=maximum, padding=padding)


def width_for(widest: int, *, minimum: float = 6, maximum: float = 50, padding: float = 2) -> float:
    """`fit_width` for a widest text width measured elsewhere (e.g. by the database)."""
    return max(minimum, min(maximum, widest + padding))


def wrapped_lines(text: str, width: float, *, most: int | None = None) -> int:
    """How many lines `text` takes wrapped in a column `width` characters wide (a conservative estimate),
    counted no further than `most` when given."""
    usable = max(1, int(width) - 1)
    if "\n" not in text:
        return max(1, -(-text_width(text) // usable))
    lines = 0
    for line in text.split("\n"):
        lines += max(1, -(-text_width(line) // usable))
        if most is not None and lines >= most:
            break
    return lines


def wrapped_height(lines: int, *, line_height: float = LINE_HEIGHT) -> float:
    """Row height in points for `lines` lines of body text, at most the 409 points Excel allows a row."""
    return min(lines * line_height + 3, MAX_ROW_HEIGHT)


def fitted_lines(value: str, usable: int) -> int:
    """Lines of a wrapped cell `usable` units wide (its width less one), counted up to MOST_LINES."""
    if len(value) >= usable * MOST_LINES:  # a character is at least one unit wide: no need to measure
        return MOST_LINES
    if "\n" in value:
        return wrapped_lines(value, usable + 1, most=MOST_LINES)
    return -(-text_width(value) // usable)


def neutralise(text: str) -> tuple[str, bool]:
    """Text made safe to store: (the text, whether it needs the quotePrefix flag). A leading formula trigger
    is kept as typed and flagged. Line breaks become LF (XML would turn a CR into one anyway), characters XML
    cannot carry become U+FFFD, text over Excel's cell limit is cut with a visible marker."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if ILLEGAL_CHARACTERS.search(text):
        text = ILLEGAL_CHARACTERS.sub("\ufffd", text)
    if len(text) > EXCEL_CELL_MAX:
        text = text[: EXCEL_CELL_MAX - len(CUT_MARK)] + CUT_MARK
    return text, bool(text) and text[0] in FORMULA_TRIGGERS
