"""A plan document read into a draft: the plan's facts, its sections and tasks, its indicators and targets,
each tied to the span of text it came from, with the readings the words leave open marked 待确认.

`draft_from_text` is the one entry point; the draft has the shape of a plan fixture (fixtures/*.yaml) plus
spans, confidences and questions, so publishing hands it to the same loaders the fixtures use.
Pure text rules, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from planimport.document import Node, lines_of, normalize_text, outline, plan_facts, sections_of
from planimport.figures import (
    FIGURE_RE,
    Reading,
    Span,
    category_of,
    clauses,
    growth_reading,
    measure_of,
    milestone_reading,
    name_key,
    ratio_labels,
    readings_in,
    scaled,
    table_readings,
)
from plans.unit_lists import split_unit_list

_GOAL_WORDS = ("目标",)
_STEP_WORDS = ("实施步骤", "进度安排", "时间安排", "推进步骤", "年度安排", "阶段安排", "分年度")
_YEAR_CONTEXT = re.compile(r"(?:^|到|至|截至|截止|于)((?:19|20)\d{2})\s*年(?:末|底)?")
_HEADING_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
TO_CONFIRM = "待确认"


@dataclass
class Found:
    """A reading placed in time: the year (or years) it is stated for."""

    reading: Reading
    years: list[int]


@dataclass
class Zone:
    """Where targets are stated: the plan's goals (one year for all) or a year of its steps."""

    lines: list[Span]
    year: int | None
    kind: str
    nodes: list[Node] = field(default_factory=list)


def _walk(node: Node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _node_lines(node: Node, with_head: bool = True) -> list[Span]:
    out = [node.head] if with_head else []
    out += [Span(line.start, line.end, line.text) for line in node.body]
    for child in node.children:
        out += _node_lines(child)
    return out


def target_zones(root: Node, end_year: int | None) -> list[Zone]:
    """The goal sections (主要目标/发展目标) and the years of a 实施步骤 section, in document order."""
    zones: list[Zone] = []
    for node in _walk(root):
        if node.level not in (1, 2):
            continue
        head = node.head.text
        if any(word in head for word in _STEP_WORDS):
            years = [(child, _HEADING_YEAR.search(child.head.text)) for child in node.children]
            for child, match in years:
                year = int(match[1]) if match else None
                zones.append(Zone(_node_lines(child, with_head=False), year, "step", [child]))
        elif any(word in head for word in _GOAL_WORDS) and len(head) <= 20:
            year_match = _HEADING_YEAR.search(head)
            year = int(year_match[1]) if year_match else end_year
            zones.append(Zone(_node_lines(node, with_head=False), year, "goal", [node]))
    return _innermost(zones)


def _innermost(zones: list[Zone]) -> list[Zone]:
    """A chapter 指导思想与发展目标 holding the sub-heading (三)发展目标 is read through that sub-heading
    only."""
    out = []
    for zone in zones:
        holds_another = any(
            other.nodes[0] is not zone.nodes[0] and other.nodes[0] in list(_walk(zone.nodes[0]))
            for other in zones
        )
        if not holds_another:
            out.append(zone)
    return out


def readings_of(text: str, zones: list[Zone], plan_years: list[int]) -> list[Found]:
    """Every target the zones state, and every 保持增长 anywhere, each with its year(s)."""
    found: list[Found] = []
    covered: list[tuple[int, int]] = []
    for zone in zones:
        for line in zone.lines:
            covered.append((line.start, line.end))
            year = zone.year
            for clause in clauses(text, line.start, line.end):
                context = _YEAR_CONTEXT.search(clause.text)
                if context and zone.kind == "goal":
                    year = int(context[1])
                years = [year] if year else plan_years[-1:]
                for reading in readings_in(text, clause):
                    # 到2026年……新增X: a goal for the plan's end counts what is new over the whole period.
                    if zone.kind == "goal" and "新增" in reading.words and years == plan_years[-1:]:
                        reading.cumulative = True
                    found.append(Found(reading, years))
                extra = growth_reading(clause) or milestone_reading(clause)
                if extra is not None:
                    found.append(Found(extra, years))
    # Target tables anywhere in the document (an annex 指标体系, say): a figure under each year's column.
    rows = [Span(line.start, line.end, line.text) for line in lines_of(text)]
    found.extend(Found(reading, [year]) for reading, year in table_readings(rows))
    # 保持增长 in a task's text: every year of the plan unless the clause names one.
    for clause in clauses(text):
        if any(start <= clause.start < end for start, end in covered):
            continue
        reading = growth_reading(clause)
        if reading is not None:
            context = _YEAR_CONTEXT.search(clause.text)
            found.append(Found(reading, [int(context[1])] if context else plan_years))
    return found


def _compatible(indicator: dict, reading: Reading, years: list[int]) -> bool:
    key = name_key(reading.name)
    if (reading.comparator == "done") != (indicator["comparators"] == {"done"}):
        return False
    if scaled(Decimal(1), reading.unit)[1] != scaled(Decimal(1), indicator["unit"])[1]:
        return False
    keys = indicator["keys"]
    if key not in keys and not any(len(min(key, k, key=len)) >= 4 and (key in k or k in key) for k in keys):
        return False
    for target in indicator["targets"]:
        if target["year"] in years and not _same_figure(target, reading):
            return False
    return True


def _bounds(reading: Reading) -> tuple[str | None, str | None]:
    """min and max as a Target stores them: a ceiling (控制在…以内) is a max, never a min."""
    if reading.comparator == "lte":
        return None, _figure(reading.low)
    return _figure(reading.low), _figure(reading.high)


def _same_figure(target: dict, reading: Reading) -> bool:
    return (target["comparator"], target["min"], target["max"]) == (reading.comparator, *_bounds(reading))


def _figure(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def indicators_of(found: list[Found]) -> list[dict]:
    """Readings grouped into indicators: the same thing counted (its name without time and scope words, its
    unit) over the years, a figure stated twice for one year (goal and step) kept once with both sources."""
    indicators: list[dict] = []
    for item in found:
        reading = item.reading
        indicator = next((ind for ind in indicators if _compatible(ind, reading, item.years)), None)
        if indicator is None:
            indicator = {
                "names": [],
                "words": [],
                "keys": set(),
                "unit": reading.unit,
                "comparators": set(),
                "targets": [],
            }
            indicators.append(indicator)
        indicator["names"].append(reading.name)
        indicator["words"].append(reading.words or reading.span.text)
        indicator["keys"].add(name_key(reading.name))
        indicator["comparators"].add(reading.comparator)
        for year in item.years:
            _add_target(indicator, reading, year)
    indicators = _merge_restatements(indicators)
    return [_indicator_out(position, indicator) for position, indicator in enumerate(indicators, start=1)]


def _add_target(indicator: dict, reading: Reading, year: int) -> None:
    span = reading.span.as_dict()
    for target in indicator["targets"]:
        if target["year"] == year:
            if span["start"] not in {s["start"] for s in target["spans"]}:
                target["spans"].append(span)
                target["source"] += "\n" + reading.span.text
            return
    indicator["targets"].append(
        {
            "year": year,
            "comparator": reading.comparator,
            "min": _bounds(reading)[0],
            "max": _bounds(reading)[1],
            "source": reading.span.text,
            "spans": [span],
            "figure_span": reading.figure_span.as_dict() if reading.figure_span else None,
            "cumulative": reading.cumulative,
            "confidence": reading.confidence,
            "questions": list(reading.questions),
        }
    )


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _restates(small: dict, large: dict) -> bool:
    """`small` only repeats, in other words, figures `large` states: 完成知识产权许可/转让专利500件 (goal) and
    累计新增专利许可/转让500件 (the last year's step): every target the same, the same unit, the names sharing
    most of their character pairs."""
    if small is large or small["unit"] != large["unit"] or len(small["targets"]) > len(large["targets"]):
        return False
    figures = {(t["year"], t["comparator"], t["min"], t["max"]) for t in large["targets"]}
    if any((t["year"], t["comparator"], t["min"], t["max"]) not in figures for t in small["targets"]):
        return False
    mine = set().union(*(_bigrams(key) for key in small["keys"]))
    theirs = set().union(*(_bigrams(key) for key in large["keys"]))
    return bool(mine and theirs) and len(mine & theirs) / min(len(mine), len(theirs)) >= 0.6


def _merge_restatements(indicators: list[dict]) -> list[dict]:
    kept: list[dict] = []
    gone: list[dict] = []
    for indicator in indicators:
        into = next(
            (other for other in indicators if other not in gone and _restates(indicator, other)), None
        )
        if into is None:
            kept.append(indicator)
            continue
        gone.append(indicator)
        for key in ("names", "words"):
            into[key] += indicator[key]
        into["keys"] |= indicator["keys"]
        for target in indicator["targets"]:
            same = next(t for t in into["targets"] if t["year"] == target["year"])
            same["spans"] += target["spans"]
            same["source"] = target["source"] + "\n" + same["source"]
    return kept


def _indicator_out(position: int, indicator: dict) -> dict:
    names = [name for name in indicator["names"] if name]
    name = min(names, key=len) if names else ""
    targets = sorted(indicator["targets"], key=lambda target: target["year"])
    measure, confidence, question = measure_of(
        indicator["words"] + names, sorted(indicator["comparators"]), [indicator["unit"]]
    )
    if measure == "flow" and targets and all(t["cumulative"] for t in targets):
        measure, confidence, question = "cumulative", 0.6, "原文按实施期累计表述，暂按累计读取，请确认。"
    questions = [question] if question else []
    if measure != "milestone" and not indicator["unit"]:
        questions.append("原文未写明计量单位，请补充。")
    figures = [figure for t in targets for figure in (t["min"], t["max"]) if figure]
    decimals = max((len(figure.partition(".")[2]) for figure in figures), default=0)
    labels = {"numerator_label": "", "denominator_label": ""}
    if measure == "ratio":
        labels = ratio_labels(name)
        questions.append("请核对比率的分子、分母名称（如“按期结案数”“应结案数”），填报单位按此分别填报。")
    return {
        "code": f"i{position:02d}",
        "name": name,
        **labels,
        "unit": "" if measure == "milestone" else indicator["unit"],
        "measure": measure,
        "measure_confidence": confidence,
        "category": category_of(name),
        "decimals": 2 if indicator["unit"] in ("亿元", "万件", "%") else decimals,
        "status": TO_CONFIRM if questions or any(t["questions"] for t in targets) else "",
        "questions": questions,
        "targets": targets,
    }


def unused_figures(text: str, indicators: list[dict]) -> list[dict]:
    """Sentences stating an Arabic figure with a unit that no target reads, for the office to look at."""
    used = [target["figure_span"] for ind in indicators for target in ind["targets"] if target["figure_span"]]
    sources = [span for ind in indicators for target in ind["targets"] for span in target["spans"]]
    out = []
    for sentence in _sentences(text):
        for match in FIGURE_RE.finditer(sentence.text):
            if not (match["low"] or "x")[0].isdigit():
                continue
            start = sentence.start + match.start()
            if any(span["start"] <= start < span["end"] for span in used + sources):
                continue
            out.append(sentence.as_dict() | {"figure": match.group(0)})
            break
    return out


def _sentences(text: str) -> list[Span]:
    out, begin = [], 0
    for match in re.finditer(r"[。；;\n]", text):
        piece = text[begin : match.end()]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append(Span(begin + lead, match.end(), piece.strip()))
        begin = match.end()
    if text[begin:].strip():
        out.append(Span(begin, len(text), text[begin:].strip()))
    return out


_UNIT_KINDS = (
    ("group", ("成员单位", "各有关单位", "各有关部门")),
    ("local_gov", ("人民政府", "管委会")),
    ("court", ("法院",)),
    ("procuratorate", ("检察院",)),
    ("customs", ("海关",)),
    ("bank", ("银行",)),
    ("financial_regulator", ("监管分局", "金融监督管理")),
    ("party_dept", ("市委", "区委", "县委", "党委")),
)


def unit_kind(name: str) -> str:
    """The kind of unit its name suggests; the office confirms when matching or creating units."""
    for kind, words in _UNIT_KINDS:
        if any(word in name for word in words):
            return kind
    return "gov_dept"


def draft_from_text(raw: str, *, slug: str = "", source_document: str = "") -> dict:
    """Read a plan document into a draft (see the module docstring). `text` in the result is the text every
    span's offsets refer to."""
    text = normalize_text(raw)
    lines = lines_of(text)
    root = outline(lines)
    facts = plan_facts(text, lines)
    start, end = facts["period"] or (None, None)
    plan_years = list(range(start, end + 1)) if start and end else []
    sections = sections_of(root)
    units: dict[str, str] = {}
    for section in sections:
        for task in section["tasks"]:
            for name in split_unit_list(task["responsible"]):
                units.setdefault(name, unit_kind(name))
    zones = target_zones(root, end)
    indicators = indicators_of(readings_of(text, zones, plan_years))
    title = facts["title"].text if facts["title"] else ""
    issuer = facts["issuer"]
    goals = "\n".join(line.text for zone in zones if zone.kind == "goal" for line in zone.lines)
    questions = list(facts["questions"])
    if not sections:
        questions.append("未识别出任务章节（如“二、主要任务”），请手工补充板块与任务。")
    return {
        "text": text,
        "plan": {
            "slug": slug or (f"plan-{start}-{end}" if start else "plan"),
            "title": title,
            "short_title": re.sub(r"[（(][^）)]*[）)]$", "", title)[:64],
            "region": facts["region"],
            "issuer": issuer["name"] if issuer else "",
            "issued_on": facts["issued_on"]["date"] if facts["issued_on"] else None,
            "start_year": start,
            "end_year": end,
            "goals": goals,
            "source_document": source_document,
        },
        "spans": {
            "title": facts["title"].as_dict() if facts["title"] else None,
            "issuer": issuer["span"].as_dict() if issuer else None,
            "issued_on": facts["issued_on"]["span"].as_dict() if facts["issued_on"] else None,
        },
        "units": units,
        "sections": sections,
        "indicators": indicators,
        "questions": questions,
        "unused_figures": unused_figures(text, indicators),
    }
