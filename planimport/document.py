"""Reading a plan document's shape: its title, issuer, date and period, and its heading hierarchy
(一、 / （一） / 1. / （1）) into sections and tasks with their 责任单位.

Pure text rules, no database. Offsets are into the document text as `normalize_text` returns it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from planimport.figures import Span, cn_number
from plans.unit_lists import responsible_from_note

_CN = "一二三四五六七八九十"
# Heading levels as Chinese official documents number them; a marker must not be the start of a decimal.
_HEADINGS = (
    (1, re.compile(rf"^(?:第)?(?P<n>[{_CN}]+)(?:、|[章部分]+\s*)(?P<head>.+)$")),
    (2, re.compile(rf"^[（(](?P<n>[{_CN}]+)[）)]\s*(?P<head>.+)$")),
    (3, re.compile(r"^(?P<n>\d{1,2})[.．、](?!\d)\s*(?P<head>.+)$")),
    (4, re.compile(r"^[（(](?P<n>\d{1,2})[）)]\s*(?P<head>.+)$")),
)
_RESPONSIBLE_RE = re.compile(
    r"^(?P<label>责任单位|责任部门|牵头单位|牵头部门|配合单位|配合部门|协同单位|参与单位)\s*[:：]\s*(?P<units>.+)$"
)
_PERIOD_RE = re.compile(r"((?:19|20)\d{2})\s*[年]?\s*[-—–~～至到]+\s*((?:19|20)\d{2})\s*年?")
_DATE_RE = re.compile(
    r"^(\d{4}|[〇零一二三四五六七八九]{4})年(\d{1,2}|[一二三四五六七八九十]{1,3})月(\d{1,2}|[一二三四五六七八九十]{1,3})日$"
)
_TITLE_END = r"(?:工作方案|实施方案|行动方案|行动计划|工作计划|规划|实施意见|方案)"
_PLACE_RE = re.compile(r"^(.+?(?:经济技术开发区|高新技术产业开发区|开发区|高新区|自治州|地区|省|市|区|县))")
_TASK_CHAPTER_WORDS = ("任务",)
_NOT_TASK_CHAPTER = (
    "总体要求",
    "指导思想",
    "目标",
    "原则",
    "保障",
    "步骤",
    "进度",
    "安排",
    "组织实施",
    "附则",
)
_ISSUER_END = ("人民政府", "管委会", "管理委员会", "办公室", "委员会", "领导小组")


def normalize_text(text: str) -> str:
    """The text offsets refer to: line ends made \\n, a byte-order mark dropped; nothing else changes."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Line:
    start: int
    end: int
    text: str


def lines_of(text: str) -> list[Line]:
    """The non-blank lines, stripped, with the offsets of their stripped text."""
    out, offset = [], 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            out.append(Line(offset + lead, offset + lead + len(stripped), stripped))
        offset += len(raw) + 1
    return out


@dataclass
class Node:
    """A heading and what stands under it: its body lines and its sub-headings."""

    level: int
    number: int
    head: Span
    body: list[Line] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    @property
    def end(self) -> int:
        ends = [self.head.end] + [line.end for line in self.body] + [child.end for child in self.children]
        return max(ends)


def outline(lines: list[Line]) -> Node:
    """The heading tree; lines that are no heading belong to the heading above them."""
    root = Node(0, 0, Span(0, 0, ""))
    stack = [root]
    for line in lines:
        heading = _heading(line)
        if heading is None:
            stack[-1].body.append(line)
            continue
        while stack[-1].level >= heading.level:
            stack.pop()
        stack[-1].children.append(heading)
        stack.append(heading)
    return root


def _heading(line: Line) -> Node | None:
    for level, pattern in _HEADINGS:
        match = pattern.match(line.text)
        if match:
            number = cn_number(match["n"])
            start = line.start + match.start("head")
            return Node(level, int(number or 0), Span(start, line.end, match["head"]))
    return None


def nodes_at(node: Node, level: int) -> list[Node]:
    return [child for child in node.children if child.level == level]


# ---- the plan's own facts: title, issuer, date, period ------------------------------------------------


def plan_facts(text: str, lines: list[Line]) -> dict:
    """Title, issuer, date of issue, period and region name, each with its span and any open question."""
    title = _title(text, lines)
    facts: dict = {"title": title, "questions": []}
    period = _PERIOD_RE.search(title.text) if title else None
    facts["period"] = (int(period[1]), int(period[2])) if period else None
    if period is None:
        facts["questions"].append("文件标题中未找到实施期（如2024-2026年），请填写起止年度。")
    facts["issuer"] = _issuer(text, lines)
    if facts["issuer"] is None or facts["issuer"]["confidence"] < 0.8:
        facts["questions"].append("发文机关未在文件中明确写出，请确认。")
    facts["issued_on"] = _issued_on(lines)
    if facts["issued_on"] is None:
        facts["questions"].append("文件未写明成文日期，请确认或留空。")
    place = _PLACE_RE.match(title.text) if title else None
    facts["region"] = place[1] if place else ""
    return facts


def _title(text: str, lines: list[Line]) -> Span | None:
    standalone = re.compile(rf"^(?!.*关于印发).*{_TITLE_END}\s*(?:[（(][^）)]*[）)])?$")
    for line in lines[:40]:
        if standalone.match(line.text) and len(line.text) <= 80:
            return Span(line.start, line.end, line.text)
    quoted = re.compile(rf"《([^》]*{_TITLE_END}\s*(?:[（(][^）)]*[）)])?)》")
    for line in lines[:10]:
        match = quoted.search(line.text)
        if match:
            return Span(line.start + match.start(1), line.start + match.end(1), match[1])
    return Span(lines[0].start, lines[0].end, lines[0].text) if lines else None


def _issuer(text: str, lines: list[Line]) -> dict | None:
    for line in lines[:10]:
        match = re.match(r"^(.+?)关于印发", line.text)
        if match:
            return {
                "name": match[1],
                "span": Span(line.start, line.start + match.end(1), match[1]),
                "confidence": 0.95,
            }
    for index, line in enumerate(lines[:60]):
        if _DATE_RE.match(line.text) and index > 0 and lines[index - 1].text.endswith(_ISSUER_END):
            before = lines[index - 1]
            return {
                "name": before.text,
                "span": Span(before.start, before.end, before.text),
                "confidence": 0.9,
            }
    # 已经……管委会常务会议同意: the body that approved it; its short name from 以下简称.
    approval = re.search(r"已经[^，,。]*?(管委会|人民政府|政府)常务会议", text[:2000])
    short = re.search(r"以下简称([^）)，,]+)", text[:3000])
    if approval:
        name = (short[1] if short else "") + approval[1]
        return {"name": name, "span": Span(approval.start(), approval.end(), approval[0]), "confidence": 0.6}
    return None


def _issued_on(lines: list[Line]) -> dict | None:
    for line in lines[:80]:
        match = _DATE_RE.match(line.text)
        if match:
            year, month, day = (int(cn_number(part) or 0) for part in match.groups())
            if 1 <= month <= 12 and 1 <= day <= 31:
                return {
                    "date": f"{year:04d}-{month:02d}-{day:02d}",
                    "span": Span(line.start, line.end, line.text),
                }
    return None


# ---- sections and tasks -----------------------------------------------------------------------------


def task_chapters(root: Node) -> list[Node]:
    """The chapters that hold the tasks: the one named for them (主要任务/重点任务), else every chapter that
    is not the plan's aims, guarantees or steps."""
    chapters = nodes_at(root, 1)
    named = [c for c in chapters if any(word in c.head.text for word in _TASK_CHAPTER_WORDS)]
    if named:
        return named
    return [c for c in chapters if c.children and not any(w in c.head.text for w in _NOT_TASK_CHAPTER)]


def sections_of(root: Node) -> list[dict]:
    """Sections with their tasks, numbered as the document numbers them."""
    chapters = task_chapters(root)
    sections: list[dict] = []
    for chapter in chapters:
        subsections = nodes_at(chapter, 2)
        # (一)… headings holding numbered items are sections; (一)… items with no items under them are tasks.
        if any(sub.children for sub in subsections):
            groups = [(sub, sub.children or []) for sub in subsections]
        else:
            groups = [(chapter, chapter.children)]
        for head, items in groups:
            level = min((item.level for item in items), default=0)
            sections.append(
                {
                    "number": len(sections) + 1,
                    "title": _lead(head.head)[0].text,
                    "span": head.head.as_dict(),
                    "tasks": [_task(item) for item in items if item.level == level],
                }
            )
    return sections


def _lead(head: Span) -> tuple[Span, Span | None]:
    """A heading's lead phrase (树导向。) and the text after it; a heading with none is all lead."""
    match = re.match(r"^([^。；;]{1,30})[。；;]\s*", head.text)
    if match is None:
        return head, None
    lead = Span(head.start, head.start + len(match[1]), match[1])
    rest = head.text[match.end() :]
    return lead, Span(head.end - len(rest), head.end, rest) if rest else None


def _task(node: Node) -> dict:
    lead, rest = _lead(node.head)
    questions = []
    title = lead.text
    if rest is None and len(lead.text) > 30:
        # No lead phrase (树导向。): the heading is the task's text; its title is the text's first words.
        questions.append("任务未以短语开头，标题暂取首句前部，请确认。")
        title, rest, lead = lead.text[:20] + "…", lead, Span(lead.start, lead.start, "")
    paragraphs: list[Span] = [rest] if rest else []
    responsible: list[tuple[str, Span]] = []
    for line in node.body + [line for child in node.children for line in _all_lines(child)]:
        match = _RESPONSIBLE_RE.match(line.text)
        if match:
            units = match["units"].strip().rstrip("。.")
            responsible.append(
                (
                    match["label"],
                    Span(
                        line.start + match.start("units"),
                        line.start + match.start("units") + len(units),
                        units,
                    ),
                )
            )
        else:
            paragraphs.append(Span(line.start, line.end, line.text))
    text = "\n".join(p.text for p in paragraphs)
    task = {
        "number": node.number,
        "title": title,
        "text": text,
        "span": Span(node.head.start, node.end, "").as_dict() | {"text": title},
        "responsible": "",
        "questions": questions,
    }
    line, spans = _responsible_line(responsible) if responsible else _responsible_note(paragraphs)
    if line:
        task["responsible"] = line
        task["responsible_spans"] = [span.as_dict() for span in spans]
    return task


def _all_lines(node: Node) -> list[Line]:
    out = [Line(node.head.start, node.head.end, node.head.text), *node.body]
    for child in node.children:
        out.extend(_all_lines(child))
    return out


def _responsible_line(found: list[tuple[str, Span]]) -> tuple[str, list[Span]]:
    """责任单位 as written; 牵头单位 and 配合单位 lines make one list, lead first."""
    leads = [span for label, span in found if label.startswith(("责任", "牵头"))]
    ordered = leads + [span for label, span in found if not label.startswith(("责任", "牵头"))]
    return ",".join(span.text for span in ordered), ordered


def _responsible_note(paragraphs: list[Span]) -> tuple[str, list[Span]]:
    """The "(X负责)" / "(X牵头,Y配合)" note that closes a task's text."""
    if not paragraphs:
        return "", []
    last = paragraphs[-1]
    text = last.text.rstrip("。. ")
    if not text.endswith(("）", ")")):
        return "", []
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        depth += {"）": 1, ")": 1, "（": -1, "(": -1}.get(text[index], 0)
        if depth == 0:
            note = text[index + 1 : -1]
            line = responsible_from_note(note)
            if line is None:
                return "", []
            start = last.start + index + 1
            return line, [Span(start, start + len(note), note)]
    return "", []
