"""The 公文 layout of GB/T 9704-2012 on python-docx: a document is a `Gongwen` spec of blocks (headings,
paragraphs, tables, images, attachments), and `render` writes it. The progress report and the 通报 share it.

The standard's page: A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; 22 lines of 28
characters in 3号 (16 pt) 仿宋_GB2312; the title in 2号 (22 pt) 方正小标宋简体; page numbers "— 1 —" in 4号
(14 pt) 宋体, odd pages on the right, even pages on the left, one character in from the edge.

East Asian font names live in `w:eastAsia`, which python-docx's `Font.name` does not set: every run gets it
through the element python-docx exposes (`Run.element`), the way its documentation shows for what its API
does not cover. So do the PAGE field and the section's character grid (`w:docGrid`), which has no API either.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, ClassVar

from docx import Document
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

# The page (GB/T 9704-2012 §5.2): A4, 版心 156 × 225 mm.
PAGE = {"width": Mm(210), "height": Mm(297)}
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
LINES, CHARACTERS = 22, 28
# 22 lines in the 225 mm (637.8 pt) 版心 at a pitch Word can store (whole twips): 28.95 pt; 29 pt would need
# 638 pt, and the 22nd line would fall off the page.
LINE_PITCH = Pt(28.95)
BODY_SIZE, TITLE_SIZE, PAGE_NUMBER_SIZE, TABLE_SIZE = Pt(16), Pt(22), Pt(14), Pt(10.5)
INDENT = Pt(32)  # 空二字 in 3号
TEXT_WIDTH = Mm(156)
CONDENSED = Pt(-0.25)  # 28 characters of 3号 to a line of the 版心 (see _character_grid)
RED = RGBColor(0xE6, 0x00, 0x12)
MASTHEAD_SIZE = Pt(30)


@dataclass(frozen=True)
class Fonts:
    title: str
    body: str
    heading: str  # 一级标题 一、
    subheading: str  # 二级标题 （一）
    page_number: str
    title_bold: bool = False


# The standard's fonts, and what an office without the 方正 / _GB2312 fonts uses instead.
STANDARD_FONTS = Fonts("方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体")
COMMON_FONTS = Fonts("宋体", "仿宋", "黑体", "楷体", "宋体", title_bold=True)


# The spec -------------------------------------------------------------------------------------------------


@dataclass
class Heading:
    """一、总体情况 (level 1, 黑体) or （一）创造指标 (level 2, 楷体), indented two characters."""

    tag: ClassVar[str] = "heading"

    text: str
    level: int = 1


@dataclass
class Paragraph:
    """A body paragraph; `lead` opens it in the subheading font (（一）…。 followed by its text)."""

    tag: ClassVar[str] = "paragraph"

    text: str
    lead: str = ""
    indent: bool = True
    align: str = "justify"  # justify, center, right, left


@dataclass
class Table:
    """A table with a header row; widths in mm, summing to at most the 版心's 156 mm."""

    tag: ClassVar[str] = "table"

    headers: list[str]
    widths: list[float]
    rows: list[list[str]]
    aligns: list[str] = field(default_factory=list)  # per column: left, center, right
    caption: str = ""


@dataclass
class Image:
    tag: ClassVar[str] = "image"
    png: bytes
    width_mm: float = 150
    caption: str = ""


@dataclass
class Attachment:
    """附件N on a new page: its label at the top left, its title like the document's, then its blocks."""

    tag: ClassVar[str] = "attachment"

    title: str
    blocks: list[Any]


@dataclass
class Gongwen:
    issuer: str  # 发文机关标志: 泉州市知识产权工作领导小组办公室
    number: str  # 文号: 泉知领办〔2026〕3号
    title: str
    recipients: str  # 主送 (with its colon)
    body: list[Any]
    signer: str  # 发文机关署名
    date: str  # 成文日期: 2026年12月7日
    attachments: list[Attachment] = field(default_factory=list)
    note: str = ""  # 附注: （联系人：…，电话：…）
    copy_to: str = ""  # 抄送
    printed_by: str = ""  # 印发机关
    printed_on: str = ""  # 印发日期
    status: list[str] = field(default_factory=list)  # 征求意见稿 and the as-of line, above the title
    fonts: Fonts = STANDARD_FONTS


# Runs and paragraphs --------------------------------------------------------------------------------------

_ALIGN = {
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
}


def set_font(run, name: str, size: Pt, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    """The run's font by name for every script, East Asian included (`w:eastAsia`): Word and WPS pick it."""
    run.font.name = name
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    run.font.size = size
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour


def _paragraph(doc, *, align: str = "justify", indent: Pt | None = None, exact: bool = True):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.alignment = _ALIGN[align]
    fmt.space_before = fmt.space_after = Pt(0)
    if exact:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE_PITCH
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if indent is not None:
        fmt.first_line_indent = indent
    return p


def _text(doc, text: str, font: str, size: Pt = BODY_SIZE, *, bold: bool = False, **where):
    p = _paragraph(doc, **where)
    set_font(p.add_run(text), font, size, bold=bold)
    return p


def _blank(doc, fonts: Fonts, lines: int = 1) -> None:
    for _ in range(lines):
        _text(doc, "", fonts.body)


def _width(text: str) -> float:
    """Characters of 3号 a text takes: CJK one each, ASCII digits and letters half."""
    return sum(0.5 if ord(char) < 0x2E80 else 1 for char in text)


def _rule(colour: tuple[int, int, int], *, points: float) -> bytes:
    """A horizontal rule across the 版心 as a PNG, `points` thick: the 版头's red line and the 版记's lines
    are pictures, which python-docx places through its API (a paragraph border has none)."""
    from PIL import Image as PILImage

    height = max(1, round(points / 72 * 300))
    out = io.BytesIO()
    PILImage.new("RGB", (round(156 / 25.4 * 300), height), colour).save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


def _rule_paragraph(doc, colour: tuple[int, int, int], points: float) -> None:
    p = _paragraph(doc, align="center", exact=False)
    p.paragraph_format.line_spacing = Pt(max(points, 1) + 2)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    p.add_run().add_picture(io.BytesIO(_rule(colour, points=points)), width=TEXT_WIDTH, height=Pt(points))


# Page setup and numbers -----------------------------------------------------------------------------------


def _page_field(run) -> None:
    """A PAGE field in the run: Word, WPS and LibreOffice number the page."""
    begin, instruction, end = OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instruction, end):
        run.element.append(element)


def _page_number(footer, fonts: Fonts, *, odd: bool) -> None:
    """— 1 —: odd pages on the right, even on the left, one character in from the edge of the 版心."""
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    fmt = p.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before = fmt.space_after = Pt(0)
    if odd:
        fmt.right_indent = PAGE_NUMBER_SIZE
    else:
        fmt.left_indent = PAGE_NUMBER_SIZE
    for text in ("— ", None, " —"):
        run = p.add_run(text or "")
        set_font(run, fonts.page_number, PAGE_NUMBER_SIZE)
        if text is None:
            _page_field(run)


# What follows w:spacing in a w:rPr (ECMA-376 §17.3.2.28's sequence), so Word reads it as valid.
_AFTER_SPACING = (
    *("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd"),
    *("w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout"),
)


def _character_grid(normal_style) -> None:
    """22 lines of 28 characters. The lines: every paragraph's exact line spacing of 28.95 pt. The
    characters: 28 of 3号 need 15.79 pt each in the 156 mm 版心, so the body style is condensed by 0.25 pt
    (`w:spacing`, which python-docx has no API for). Word's document grid (`w:docGrid`) would do both in
    Word, but LibreOffice, which prints the PDF, gives each 16 pt character two cells of a 15.79 pt grid and
    snaps table rows to the grid's lines."""
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(round(CONDENSED.pt * 20)))
    normal_style.element.get_or_add_rPr().insert_element_before(spacing, *_AFTER_SPACING)


def _setup(doc, fonts: Fonts) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = PAGE["width"], PAGE["height"]
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    # The page number's line sits 7 mm below the 版心 (§7.5).
    section.footer_distance = MARGINS["bottom"] - Mm(7) - PAGE_NUMBER_SIZE
    section.header_distance = Mm(15)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, fonts, odd=True)
    _page_number(section.even_page_footer, fonts, odd=False)
    normal = doc.styles["Normal"]
    _character_grid(normal)
    normal.font.name = fonts.body
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), fonts.body)
    normal.font.size = BODY_SIZE


# Blocks ---------------------------------------------------------------------------------------------------


def _heading(doc, block: Heading, fonts: Fonts) -> None:
    font = fonts.heading if block.level == 1 else fonts.subheading
    _text(doc, block.text, font, indent=INDENT).paragraph_format.keep_with_next = True


def _body(doc, block: Paragraph, fonts: Fonts) -> None:
    p = _paragraph(doc, align=block.align, indent=INDENT if block.indent else None)
    if block.lead:
        set_font(p.add_run(block.lead), fonts.subheading, BODY_SIZE)
    set_font(p.add_run(block.text), fonts.body, BODY_SIZE)


def _cell(cell, text: str, font: str, *, align: str, bold: bool = False) -> None:
    p = cell.paragraphs[0]
    p.paragraph_format.alignment = _ALIGN[align]
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(1)
    set_font(p.add_run(text), font, TABLE_SIZE, bold=bold)


def _table(doc, block: Table, fonts: Fonts) -> None:
    if block.caption:
        _text(doc, block.caption, fonts.heading, align="center")
    aligns = block.aligns or ["left"] * len(block.headers)
    table = doc.add_table(rows=1, cols=len(block.headers), style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, block.widths, strict=True):
        column.width = Mm(width)
    for cell, header, width in zip(table.rows[0].cells, block.headers, block.widths, strict=True):
        cell.width = Mm(width)
        _cell(cell, header, fonts.heading, align="center")
    for values in block.rows:
        cells = table.add_row().cells
        for cell, value, width, align in zip(cells, values, block.widths, aligns, strict=True):
            cell.width = Mm(width)
            _cell(cell, value, fonts.body, align=align)


def _image(doc, block: Image, fonts: Fonts) -> None:
    p = _paragraph(doc, align="center", exact=False)
    p.add_run().add_picture(io.BytesIO(block.png), width=Mm(block.width_mm))
    if block.caption:
        _text(doc, block.caption, fonts.body, Pt(14), align="center")


def _attachment(doc, number: int | None, block: Attachment, fonts: Fonts) -> None:
    """附件 on a new page: 附件N at the top left in 黑体, the title centred as the document's (§8.2)."""
    p = _text(doc, "附件" if number is None else f"附件{number}", fonts.heading, align="left")
    p.paragraph_format.page_break_before = True
    _blank(doc, fonts)
    _text(doc, block.title, fonts.title, TITLE_SIZE, bold=fonts.title_bold, align="center")
    _blank(doc, fonts)
    _blocks(doc, block.blocks, fonts)


RENDERERS = {Heading: _heading, Paragraph: _body, Table: _table, Image: _image}


def _blocks(doc, blocks: list[Any], fonts: Fonts) -> None:
    for block in blocks:
        RENDERERS[type(block)](doc, block, fonts)


# The document's parts -------------------------------------------------------------------------------------


def _masthead(doc, spec: Gongwen) -> None:
    """版头: the issuing organ's name in red, the 文号 two lines below it, then the red rule (§7.2)."""
    fonts = spec.fonts
    p = _paragraph(doc, align="center", exact=False)
    set_font(p.add_run(spec.issuer), fonts.title, _masthead_size(spec.issuer), colour=RED)
    _blank(doc, fonts, 2)
    _text(doc, spec.number, fonts.body, align="center")
    _rule_paragraph(doc, (0xE6, 0x00, 0x12), points=1.5)


def _masthead_size(issuer: str) -> Pt:
    """As large as fits the 版心 on one line, and no larger than 30 pt."""
    return Pt(min(MASTHEAD_SIZE.pt, TEXT_WIDTH.pt / max(_width(issuer), 1) - 1))


def _signature(doc, spec: Gongwen) -> None:
    """落款 of a document without a seal (§7.3.5.2): one line below the body, the date four characters in
    from the right, the organ's name centred over it."""
    fonts = spec.fonts
    _text(doc, "", fonts.body).paragraph_format.keep_with_next = True
    date_width, signer_width = _width(spec.date), _width(spec.signer)
    offset = max(0.0, 4 + (date_width - signer_width) / 2)
    signer = _text(doc, spec.signer, fonts.body, align="right")
    signer.paragraph_format.keep_with_next = True
    signer.paragraph_format.right_indent = Pt(offset * BODY_SIZE.pt)
    date = _text(doc, spec.date, fonts.body, align="right")
    date.paragraph_format.right_indent = Pt(4 * BODY_SIZE.pt)
    if spec.note:
        _text(doc, spec.note, fonts.body, indent=INDENT)


def _imprint(doc, spec: Gongwen) -> None:
    """版记 (§7.4): 抄送 and 印发 between black rules, in 4号, after everything else."""
    fonts = spec.fonts
    _rule_paragraph(doc, (0, 0, 0), points=1)
    size = Pt(14)
    if spec.copy_to:
        p = _text(doc, f"抄送：{spec.copy_to}。", fonts.body, size, align="left")
        p.paragraph_format.left_indent = size
        p.paragraph_format.first_line_indent = Pt(0)
        _rule_paragraph(doc, (0, 0, 0), points=0.5)
    p = _paragraph(doc, align="left")
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = size
    p.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH - 2 * size, WD_TAB_ALIGNMENT.RIGHT)
    set_font(p.add_run(f"{spec.printed_by}\t{spec.printed_on}印发"), fonts.body, size)
    _rule_paragraph(doc, (0, 0, 0), points=1)
    # The 版记 is one block: its rules and lines stay on one page.
    lines = 5 if spec.copy_to else 3
    for paragraph in doc.paragraphs[-lines:-1]:
        paragraph.paragraph_format.keep_with_next = True


def _attachment_note(spec: Gongwen) -> list[Paragraph]:
    """附件说明 (§7.3.4): 附件：1．… under the body, the further names aligned under the first."""
    if not spec.attachments:
        return []
    if len(spec.attachments) == 1:
        return [Paragraph(f"附件：{spec.attachments[0].title}")]
    lines = [Paragraph(f"附件：1．{spec.attachments[0].title}")]
    lines += [
        Paragraph(f"\u3000\u3000\u3000{n}．{a.title}") for n, a in enumerate(spec.attachments[1:], start=2)
    ]
    return lines


def render(spec: Gongwen, out: Any) -> int:
    """Write the document to `out` (a path or a binary file); returns the number of blocks written."""
    doc = Document()
    fonts = spec.fonts
    _setup(doc, fonts)
    _masthead(doc, spec)
    for line in spec.status:
        _text(doc, line, fonts.body, Pt(14), align="center")
    _blank(doc, fonts)
    _text(doc, spec.title, fonts.title, TITLE_SIZE, bold=fonts.title_bold, align="center")
    _blank(doc, fonts)
    _text(doc, spec.recipients, fonts.body, align="left")
    _blocks(doc, spec.body, fonts)
    notes = _attachment_note(spec)
    if notes:
        _blank(doc, fonts)
        _blocks(doc, notes, fonts)
    # The 落款 never stands alone on a page: the 附件说明 (else the body's last paragraph) goes with it.
    for paragraph in doc.paragraphs[-max(len(notes), 1) :]:
        paragraph.paragraph_format.keep_with_next = True
    _signature(doc, spec)
    numbered = len(spec.attachments) > 1
    for number, attachment in enumerate(spec.attachments, start=1):
        _attachment(doc, number if numbered else None, attachment, fonts)
    if spec.copy_to or spec.printed_by:
        _imprint(doc, spec)
    doc.save(out)
    return len(spec.body) + sum(len(a.blocks) for a in spec.attachments)
