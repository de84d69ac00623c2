"""Reading figures out of plan sentences: numerals, units of measure, comparators, measure kinds.

Pure text rules, no database. Every reading keeps the exact span of the document it came from (offsets into
the document text) so a reviewer sees the words beside the draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = "[〇零一二两三四五六七八九十百千]+"
NUMBER = rf"(?:\d+(?:\.\d+)?|{_CN_NUMBER})"

# Units of measure a target may carry, longest first so 万件 wins over 件 and 人次 over 人.
MEASURE_UNITS = (
    "亿美元", "万人次", "个工作日", "个月", "万件", "万元", "亿元", "万个", "万家", "万人", "人次", "天",
    "件", "家", "个", "人", "次", "场", "项", "所", "座", "处",
    "名", "套", "部", "册", "条", "台", "元", "%", "％",
)  # fmt: skip
_UNIT = "|".join(re.escape(unit) for unit in MEASURE_UNITS)
_RANGE_DASH = r"\s*[—–\-~～至到]+\s*"

# A figure with its unit; a range 1—2家 keeps both ends. `with` is 以上/以内 read right after the unit.
FIGURE_RE = re.compile(
    rf"(?:(?P<low>{NUMBER})(?:(?P<dash>{_RANGE_DASH})(?P<high>{NUMBER}))?\s*(?P<unit>{_UNIT})|百分之(?P<pct>{NUMBER}))"
    r"(?P<after>以上|以内|以下|左右)?"
)
CLAUSE_SEPARATORS = frozenset(",，;；。:：!！?？\n")


def cn_number(text: str) -> Decimal | None:
    """二十 → 20, 一百五十 → 150, 三 → 3, 一〇五 → 105; Arabic digits pass through. None if unreadable."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return Decimal(text)
    if not re.fullmatch(_CN_NUMBER, text):
        return None
    if not any(char in _SMALL_UNITS for char in text):
        return Decimal("".join(str(_DIGITS[char]) for char in text))
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        else:
            total += (current or 1) * _SMALL_UNITS[char]
            current = 0
    return Decimal(total + current)


UNIT_SCALE = {
    "万件": 10_000,
    "万元": 10_000,
    "万个": 10_000,
    "万家": 10_000,
    "万人": 10_000,
    "万人次": 10_000,
}
UNIT_SCALE |= {"亿元": 100_000_000}


def scaled(value: Decimal, unit: str) -> tuple[Decimal, str]:
    """The figure in its base unit: 88 万件 → 880000 件, 5 亿元 → 500000000 元 (to compare two readings)."""
    factor = UNIT_SCALE.get(unit)
    if factor is None:
        return value, unit.replace("％", "%")
    base = unit.removeprefix("万").removeprefix("亿")
    return value * factor, base


@dataclass
class Span:
    start: int
    end: int
    text: str

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}


def clauses(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """The clauses of text[start:end], cut at ，；。：and line ends outside brackets and quotes."""
    end = len(text) if end is None else end
    out: list[Span] = []
    depth, begin = 0, start
    for index in range(start, end):
        char = text[index]
        if char in "（(“《":
            depth += 1
        elif char in "）)”》":
            depth = max(depth - 1, 0)
        elif depth == 0 and char in CLAUSE_SEPARATORS:
            _add_clause(text, begin, index, out)
            begin = index + 1
    _add_clause(text, begin, end, out)
    return out


def _add_clause(text: str, begin: int, end: int, out: list[Span]) -> None:
    piece = text[begin:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        out.append(Span(begin + lead, begin + lead + len(stripped), stripped))


# Comparator words, strongest reading first. The growth and lte forms need no figure or wrap it.
_GT_WORDS = ("突破", "超过", "高于", "多于")
_GTE_WORDS = ("达到", "不少于", "不低于", "力争达", "达", "至少")
_LTE_WORDS = ("控制在", "不超过", "不高于", "低于")
GROWTH_RE = re.compile(r"(保持|实现|持续)(稳定|稳步|较快)?增长")

# Words that open an indicator's name but are not part of what is counted.
_NAME_OPENERS = ("力争", "确保", "积极", "全力", "年度", "全年", "三年内", "实施期内", "相关", "当年", "累计")
_NAME_VERBS = ("召开", "举办", "开展", "完成", "实现")
# Words dropped when deciding whether two readings name the same indicator.
_KEY_DROPS = (
    "年度",
    "全年",
    "实施期内",
    "累计",
    "三年内",
    "全区",
    "全市",
    "相关",
    "力争",
    "当年",
    "新增",
    "制定",
)


@dataclass
class Reading:
    """One figure the document states: what it counts, the figure, how it is compared, its span."""

    name: str
    comparator: str
    low: Decimal | None
    high: Decimal | None
    unit: str
    span: Span
    figure_span: Span | None
    cumulative: bool = False
    confidence: float = 0.9
    questions: list[str] = field(default_factory=list)
    # The words the figure stands on (before it in its clause): they decide cumulative and the measure kind.
    words: str = ""


def comparator_of(words: str, after: str, is_range: bool) -> tuple[str, float]:
    """The comparator the words before and after a figure state, with how sure the reading is."""
    if is_range:
        return "between", 0.95
    if after in ("以内", "以下") or any(word in words for word in _LTE_WORDS):
        return "lte", 0.9
    if any(words.endswith(word) or word in words[-4:] for word in _GT_WORDS):
        return "gt", 0.95
    if after == "以上" or any(word in words[-4:] for word in _GTE_WORDS):
        return "gte", 0.95
    # A bare figure (新增注册商标150件) reads as "at least": the office confirms.
    return "gte", 0.7


def _strip_comparator_words(name: str) -> str:
    for word in sorted(_GT_WORDS + _GTE_WORDS + _LTE_WORDS, key=len, reverse=True):
        if name.endswith(word):
            return name[: -len(word)]
    return name


def indicator_name(before: str) -> str:
    """The indicator's name from the words before its figure: 力争每万人口高价值发明专利拥有量突破 →
    每万人口高价值发明专利拥有量; 联合…沙龙等举办培训 → 举办培训."""
    name = _strip_comparator_words(before.strip()).strip().lstrip("、和及与并")
    if "等" in name and not name.endswith("等"):
        name = name.rsplit("等", 1)[1]
    changed = True
    while changed:
        changed = False
        for word in _NAME_OPENERS:
            if name.startswith(word) and len(name) > len(word) + 1:
                name, changed = name[len(word) :], True
        for word in _NAME_VERBS:
            if name.startswith(word) and len(name) - len(word) >= 4:
                name, changed = name[len(word) :], True
    return name.strip("“”\"' ")


def name_key(name: str) -> str:
    """What two readings must share to be one indicator: the name without its time and scope words."""
    key = name
    for word in _KEY_DROPS:
        key = key.replace(word, "")
    return re.sub(r"(19|20)\d{2}年", "", key)


def readings_in(text: str, clause: Span) -> list[Reading]:
    """Every figure-with-unit in one clause, read as a target. 分别 distributes a 、-list of names over a
    、-list of figures (总数分别突破360家、18个)."""
    found = list(FIGURE_RE.finditer(clause.text))
    if not found:
        return []
    if "分别" in clause.text and len(found) > 1:
        return _distributed(clause, found)
    out = []
    previous_end = 0
    for match in found:
        before = clause.text[previous_end : match.start()]
        out.append(_reading(clause, before, match))
        previous_end = match.end()
    return out


_CUMULATIVE_WORDS = ("累计", "实施期内", "三年内")


def _reading(clause: Span, before: str, match: re.Match) -> Reading:
    name = indicator_name(before)
    low, high = cn_number(match["low"] or match["pct"]), cn_number(match["high"]) if match["high"] else None
    comparator, confidence = comparator_of(before, match["after"] or "", high is not None)
    reading = Reading(
        name=name,
        comparator=comparator,
        low=low,
        high=high,
        unit=(match["unit"] or "%").replace("％", "%"),
        span=clause,
        figure_span=Span(clause.start + match.start(), clause.start + match.end(), match.group(0)),
        cumulative=any(word in before for word in _CUMULATIVE_WORDS),
        confidence=confidence,
        words=before,
    )
    if confidence < 0.9:
        reading.questions.append(f"原文“{match.group(0)}”未写明比较方式，暂按“不少于”读取，请确认。")
    if not name:
        reading.questions.append(f"未能从原文读出“{match.group(0)}”所指的指标名称，请补充。")
    return reading


def _distributed(clause: Span, found: list[re.Match]) -> list[Reading]:
    head = clause.text[: clause.text.index("分别")]
    tail = clause.text[clause.text.index("分别") + 2 : found[0].start()]
    names = [indicator_name(part) for part in head.split("、")]
    # The list's last name carries the measure word the others share: 企业、网点总数 → 企业总数, 网点总数.
    shared = re.search(r"(总数|总量|数量|拥有量|数)$", names[-1]) if names else None
    if shared:
        names = [name if name.endswith(shared[1]) else name + shared[1] for name in names]
    out = []
    for index, match in enumerate(found):
        name = names[index] if index < len(names) else ""
        reading = _reading(clause, tail, match)
        reading.name, reading.words = name, head + tail
        if len(names) != len(found):
            reading.questions.append("“分别”前后的名称与数字个数不一致，请核对对应关系。")
            reading.confidence = min(reading.confidence, 0.5)
        out.append(reading)
    return out


def growth_reading(clause: Span) -> Reading | None:
    """保持增长 with no figure: a target above the previous year's actual."""
    match = GROWTH_RE.search(clause.text)
    if match is None or FIGURE_RE.search(clause.text):
        return None
    name = indicator_name(clause.text[: match.start()])
    if not name:
        return None
    return Reading(name, "growth", None, None, "", clause, None, confidence=0.85)


# Deliverables stated without a figure: what the plan will have done by the year (建成, 全覆盖, 制定…计划).
_MILESTONE_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        r"^(?:全面|基本|初步)?建成",
        r"^培育建设",
        r"^(?!推进).*全覆盖$",
        r"^制定.*(?:计划|要点|方案|办法|指南|规划|清单|制度)$",
        r"^(?:重点|持续|加快)推进.*建设(?:发展)?$",
        r"^(?:探索并)?(?:实施|建立).*制度$",
        r"^(?:实现|完成).*(?:全覆盖|挂牌|验收|认定|创建)$",
    )
)
_MILESTONE_ADVERBS = ("全面", "重点", "持续", "积极", "探索并", "力争", "贯彻")


def milestone_reading(clause: Span) -> Reading | None:
    """A clause that names a deliverable with no figure, read as a milestone (comparator `done`)."""
    text = clause.text
    if FIGURE_RE.search(text) or not any(p.search(text) for p in _MILESTONE_PATTERNS):
        return None
    name = text
    for word in _MILESTONE_ADVERBS:
        if name.startswith(word) and not re.match(r"^(?:全面|基本|初步)?建成", name):
            name = name[len(word) :]
    name = re.sub(r"(19|20)\d{2}年", "年度", name)
    reading = Reading(name, "done", None, None, "", clause, None, confidence=0.6)
    reading.questions.append("原文未给数字，暂作里程碑（完成与否）考核，请确认是否纳入指标。")
    return reading


# The measure kind the words suggest, most specific first; each with how sure the words make it.
_MEASURE_WORDS = (
    ("per_capita", ("每万人口", "每万人", "万人口"), 0.95),
    ("ratio", ("率", "占比", "比重", "比例"), 0.9),
    ("cumulative", ("累计新增", "实施期内", "累计"), 0.85),
    ("stock", ("拥有量", "总量", "总数", "有效", "数量", "保有量"), 0.85),
    ("flow", ("新增", "当年", "年度", "全年"), 0.7),
    # 登记量/申请量/授权量 count what happened in the year in IP statistics; 有效/拥有 above would say stock.
    ("flow", ("登记量", "申请量", "授权量"), 0.6),
    ("milestone", ("建成", "覆盖", "实现"), 0.6),
)


def measure_of(names: list[str], comparators: list[str], units: list[str]) -> tuple[str, float, str | None]:
    """The measure kind an indicator's words suggest: (kind, confidence, question or None)."""
    if comparators and all(comparator == "done" for comparator in comparators):
        return "milestone", 0.8, None
    words = " ".join(names)
    if "%" in units:
        return "ratio", 0.9, None
    for kind, markers, confidence in _MEASURE_WORDS:
        if any(marker in words for marker in markers):
            if kind == "milestone":
                continue
            return kind, confidence, None
    if "growth" in comparators:
        return "flow", 0.6, "“保持增长”按当年发生额（流量）与上年比较，请确认口径。"
    if any(unit in ("次", "场", "人次") for unit in units):
        return "flow", 0.6, "原文未写明是当年次数还是实施期累计，暂按当年（流量）读取，请确认。"
    return "stock", 0.4, "原文未写明按年末存量、当年新增还是实施期累计统计，暂按存量读取，请确认。"


def ratio_labels(name: str) -> dict[str, str]:
    """What reporters of a rate give: its numerator and denominator, named from the rate until the office
    names them (按期结案率 → 按期结案率：分子 / 按期结案率：分母)."""
    return {"numerator_label": f"{name[:58]}：分子", "denominator_label": f"{name[:58]}：分母"}


_CATEGORY_WORDS = (
    ("talent", ("人才", "培训", "专员")),
    ("protection", ("执法", "案件", "侵权", "维权", "保护中心", "结案")),
    ("utilization", ("质押", "融资", "许可", "转让", "运营", "转化", "保险")),
    ("service", ("服务机构", "网点", "服务")),
    ("management", ("贯标", "优势", "示范企业", "会议", "要点")),
    ("creation", ("专利", "商标", "版权", "地理标志", "品种", "登记")),
)


def category_of(name: str) -> str:
    """The catalogue category the name suggests; the office can change it."""
    for category, words in _CATEGORY_WORDS:
        if any(word in name for word in words):
            return category
    return "overall"


# A target table (a .docx table arrives as tab-separated lines): a header naming years, a row per indicator.
_YEAR_HEADER = re.compile(r"^((?:19|20)\d{2})\s*年?(?:度)?(?:目标|目标值|预期目标)?$")
_CELL_FIGURE = re.compile(
    rf"^(?P<sign>≥|>|＞|≤|<|＜|不少于|不低于|突破|超过|达到)?\s*(?P<low>{NUMBER})(?:{_RANGE_DASH}(?P<high>{NUMBER}))?"
    rf"\s*(?P<unit>{_UNIT})?\s*(?P<after>以上|以内|以下)?$"
)
_SIGNS = {
    "≥": "gte",
    ">": "gt",
    "＞": "gt",
    "≤": "lte",
    "<": "lte",
    "＜": "lte",
    "不少于": "gte",
    "不低于": "gte",
}
_SIGNS |= {"突破": "gt", "超过": "gt", "达到": "gte"}


def _cells(line: Span) -> list[Span]:
    out, at = [], line.start
    for cell in line.text.split("\t"):
        lead = len(cell) - len(cell.lstrip())
        out.append(Span(at + lead, at + lead + len(cell.strip()), cell.strip()))
        at += len(cell) + 1
    return out


def table_readings(lines: list[Span]) -> list[tuple[Reading, int]]:
    """Targets stated in a table: each row's figure under each year column, with the row as its source."""
    found: list[tuple[Reading, int]] = []
    header: list[Span] | None = None
    for line in lines:
        if "\t" not in line.text:
            header = None
            continue
        cells = _cells(line)
        years = {i: int(m[1]) for i, cell in enumerate(cells) if (m := _YEAR_HEADER.match(cell.text))}
        if len(years) >= 1 and not any(
            _CELL_FIGURE.match(cell.text)
            for cell in cells[1:]
            if cell.text and not _YEAR_HEADER.match(cell.text)
        ):
            header = cells
            continue
        if header is None or not cells[0].text:
            continue
        unit_column = next((i for i, cell in enumerate(header) if "单位" in cell.text), None)
        row_unit = cells[unit_column].text if unit_column is not None and unit_column < len(cells) else ""
        for index, cell in enumerate(cells):
            match = _YEAR_HEADER.match(header[index].text) if index < len(header) else None
            figure = _CELL_FIGURE.match(cell.text) if match else None
            if figure is None:
                continue
            low, high = cn_number(figure["low"]), cn_number(figure["high"]) if figure["high"] else None
            sign = _SIGNS.get(figure["sign"] or "", "lte" if figure["after"] in ("以内", "以下") else "gte")
            comparator = "between" if high is not None else sign
            confidence = 0.9 if figure["sign"] or figure["after"] or high is not None else 0.7
            reading = Reading(
                name=indicator_name(cells[0].text),
                comparator=comparator,
                low=low,
                high=high,
                unit=(figure["unit"] or row_unit).replace("％", "%"),
                span=line,
                figure_span=cell,
                cumulative=any(word in cells[0].text for word in _CUMULATIVE_WORDS),
                confidence=confidence,
                words=cells[0].text,
            )
            if confidence < 0.9:
                reading.questions.append(f"表中“{cell.text}”未写明比较方式，暂按“不少于”读取，请确认。")
            found.append((reading, int(match[1])))
    return found
