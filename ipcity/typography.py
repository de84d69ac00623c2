"""Chinese typography: the one normalisation every text we write for people goes through (the bulletin's
wording on the page, in the workbook and in Word), and the punctuation a line may not start with, which the
workbook's row heights also heed (`ipcity.workbook.text`)."""

from __future__ import annotations

import re

# Punctuation a Chinese line never starts with (GB/T 15834 and the line-breaking rules every CJK layout engine
# follows): closing marks, pause and stop marks, and their half-width twins.
NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉”’…—·%,.;:?!)]}")
# A character of Chinese text: CJK ideographs, CJK punctuation and the full-width forms.
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60"
_FULL_WIDTH = {":": "：", ",": "，", ";": "；", "?": "？", "!": "！"}
# A half-width mark right after Chinese text (never one between digits: 10:30, 1,234 stay).
_MARK_AFTER_CJK = re.compile(rf"(?<=[{_CJK}])\s*([:,;?!])\s*")
# A half-width bracket pair holding or touching Chinese text: 方案(2024-2026年) → 方案（2024-2026年）.
_BRACKETS = re.compile(rf"(?<=[{_CJK}])\(([^()\n]*)\)|\(([^()\n]*[{_CJK}][^()\n]*)\)")
_LEADING = re.compile(rf"^[ \t\u3000{re.escape(''.join(sorted(NO_LINE_START - set('…—'))))}]+", re.MULTILINE)


def chinese_text(text: str) -> str:
    """`text` set as Chinese is printed: a colon, comma, semicolon, question or exclamation mark after Chinese
    text full-width (各责任单位: → 各责任单位：), a bracket pair around or after Chinese text full-width, and
    no line starting with punctuation or blanks left before it (a leading "，" is dropped). The full-width
    indent (\\u3000) a paragraph starts with is kept; ASCII text, numbers and times are left as they are."""
    if not text:
        return text
    text = _MARK_AFTER_CJK.sub(lambda match: _FULL_WIDTH[match.group(1)], text)
    text = _BRACKETS.sub(lambda match: f"（{match.group(1) or match.group(2) or ''}）", text)
    return _LEADING.sub(_keep_indent, text)


def _keep_indent(match: re.Match[str]) -> str:
    return "".join(character for character in match.group(0) if character == "\u3000")


# A zero-width no-break space: the one joiner LibreOffice Calc honours in a wrapped cell (U+2060, the word
# joiner meant for it, it ignores). Excel and WPS draw nothing for it.
NO_BREAK = "\ufeff"
_BREAK_BEFORE_MARK = re.compile(rf"(?<=[^\s{NO_BREAK}])(?=[{re.escape(''.join(sorted(NO_LINE_START)))}])")


def kept_together(text: str) -> str:
    """`text` for a printed sheet: a zero-width no-break space before each mark that cannot start a line, so
    that no printed line starts with ，。、）】” even in LibreOffice Calc, which otherwise breaks a wrapped
    cell before them (Excel and WPS follow the Chinese line-breaking rules themselves). The character stays
    in the cell: use it for document text to print (the bulletin, the summary's paragraphs), not for data
    people search."""
    return _BREAK_BEFORE_MARK.sub(NO_BREAK, text) if text else text
