"""How text sits in a cell: its width as a Chinese font draws it, the column width and row height that show
it, and what is done to it before it is stored (`neutralise`)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from ipcity.typography import NO_LINE_START

# Leading characters that make a spreadsheet (or a later CSV round trip) read text as a formula or command:
# OWASP's list plus the full-width and small forms a Chinese input method produces.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n＝＋－＠﹦﹢﹣﹫")
EXCEL_CELL_MAX = 32767
CUT_MARK = "…（超出单元格长度，已截断）"
MAX_ROW_HEIGHT = 409.0  # Excel's limit; a cell with more text scrolls within it
# The faces and sizes of our workbooks: tables in 宋体 五号 (10.5 pt), running text in 仿宋 (12 pt). At
# 10.5 pt a Chinese character is 14 pixels wide, exactly two of the column width's units (7 pixels):
# `text_width` counts in those, and a larger font takes proportionally more of them.
TABLE_FONT, TEXT_FONT, HEADING_FONT = "宋体", "仿宋", "黑体"
TABLE_SIZE, TEXT_SIZE = 10.5, 12.0
# A line of CJK text is about 1.45 times its font size high in LibreOffice's and WPS's CJK faces (Noto, 思源);
# Excel's SimSun needs a little less, so a fitted row is never too short in any of them.
LEADING = 1.45
CELL_PADDING = 2.0  # width units a cell's inner margins (and the renderer's rounding) take from the text
# What a line break cannot fall inside: a run of Latin letters, digits and the marks within numbers.
_TOKENS = re.compile(r"[A-Za-z0-9.,:%+/_-]+|.", re.DOTALL)
# Characters XML 1.0 cannot carry (C0 controls but tab and line breaks, lone surrogates, U+FFFE/U+FFFF).
ILLEGAL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Those and CR, which `neutralise` turns into LF: a string holding none of them is stored as it is.
NEEDS_NEUTRALISING = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")


def text_width(text: str) -> int:
    """Width of text in Excel character units, as a Chinese font draws it: ASCII takes one, CJK,
    full-width forms and the symbols Chinese fonts draw full-width (≥, —, ①) take two. Counted from the
    UTF-8 length (one byte for ASCII, three for those), which runs at C speed on every wrapped cell."""
    return (len(text.encode("utf-8", "surrogatepass")) + len(text)) // 2


FIT_PADDING = CELL_PADDING + 1  # a unit to spare: a CJK face's Latin digits run a little wider than half


def fit_width(
    texts: Iterable[str], *, minimum: float = 6, maximum: float = 50, padding: float = FIT_PADDING
) -> float:
    """A column width that shows the widest of `texts` on one line, within [minimum, maximum]."""
    widest = max((text_width(t) for t in texts if t), default=0)
    return width_for(widest, minimum=minimum, maximum=maximum, padding=padding)


def width_for(widest: int, *, minimum: float = 6, maximum: float = 50, padding: float = FIT_PADDING) -> float:
    """`fit_width` for a widest text width measured elsewhere (e.g. by the database)."""
    return max(minimum, min(maximum, widest + padding))


def wrapped_lines(text: str, width: float, *, size: float = TABLE_SIZE, most: int | None = None) -> int:
    """How many lines `text` takes wrapped in a column `width` units wide at font `size`, broken as a CJK
    layout breaks it: between any two Chinese characters, never inside a run of Latin letters or digits, and
    never before a mark that cannot start a line (，。、）…: it takes the character before it along).
    Counted no further than `most` lines, by default the lines that fill the tallest row Excel allows."""
    usable = max(1.0, (width - CELL_PADDING) * TABLE_SIZE / size)
    most = most or math.ceil(MAX_ROW_HEIGHT / (size * LEADING))
    if "\n" not in text and (len(text) * 2 <= usable or text_width(text) <= usable):
        return 1  # even all-Chinese it fits, or it is measured to
    if len(text) >= usable * most:  # every character takes at least one unit: no need to measure
        return most
    lines = 0
    for line in text.split("\n"):
        lines += _line_count(line, usable)
        if lines >= most:
            return most
    return lines


def _line_count(line: str, usable: float) -> int:
    if text_width(line) <= usable:
        return 1
    lines, used, previous = 1, 0.0, 0
    for token in _TOKENS.findall(line):
        # `text_width` of the token without encoding it: a run of several characters is ASCII (a unit
        # each); one character takes a unit below U+0800 (one or two UTF-8 bytes), two from there on.
        width = len(token) if len(token) > 1 else 1 if ord(token) < 0x800 else 2
        if used + width > usable and used:
            lines += 1
            # A mark that cannot start a line pulls the character before it down with it.
            used = previous + width if token[0] in NO_LINE_START and previous < used else width
        else:
            used += width
        while used > usable:  # a run longer than the line is broken where it must be
            lines += 1
            used -= usable
        previous = width
    return lines


def wrapped_height(lines: int, *, size: float = TABLE_SIZE) -> float:
    """Row height in points for `lines` lines of text at font `size`, at most the 409 points Excel allows."""
    return min(round(lines * size * LEADING + 4, 1), MAX_ROW_HEIGHT)


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
