"""What the two outgoing documents share: the office's settings of a plan's quarter and document, the
wording the office may change, and the parts of a `Gongwen` every document fills the same way."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from exports.gongwen import COMMON_FONTS, STANDARD_FONTS, Gongwen, Paragraph
from exports.models import OfficialDocument
from exports.selectors.bulletin import office_name
from plans.models import Plan

# The wording fields each document has, in the order the form shows them; everything else it says is
# generated from the data at every export.
WORDING = {
    "report": ("opening", "overall", "problems", "next_steps"),
    "bulletin": ("opening", "requirements"),
}
SETTINGS = (
    "number",
    "recipients",
    "copy_to",
    "printed_by",
    "contact",
    "phone",
    "signed_on",
    "common_fonts",
)


def default_recipients(plan: Plan, kind: str) -> str:
    """主送: the report goes up to the plan's issuer; the 通报 goes to every responsible unit."""
    return plan.issuer if kind == "report" else "各责任单位"


def wording(document: OfficialDocument, drafts: dict[str, str]) -> dict[str, str]:
    """Each wording field as it will go out: the office's text where it wrote one, else the draft's."""
    return {name: getattr(document, name).strip() or draft for name, draft in drafts.items()}


def paragraphs(text: str) -> list[Paragraph]:
    """A wording field's text, one paragraph per non-empty line."""
    return [Paragraph(line.strip()) for line in text.splitlines() if line.strip()]


def date_text(date: datetime.date) -> str:
    """成文日期 as GB/T 9704-2012 writes it, in Arabic numerals without leading zeros: 2026年12月7日."""
    return f"{date.year}年{date.month}月{date.day}日"


@dataclass(frozen=True)
class Frame:
    """The parts of a Gongwen the office sets, resolved against their defaults."""

    issuer: str
    number: str
    recipients: str
    date: str
    note: str
    copy_to: str
    printed_by: str
    common_fonts: bool

    def gongwen(self, *, title: str, body: list, status: list[str], attachments: list) -> Gongwen:
        return Gongwen(
            issuer=self.issuer,
            number=self.number,
            title=title,
            recipients=f"{self.recipients}：",
            body=body,
            signer=self.issuer,
            date=self.date,
            attachments=attachments,
            note=self.note,
            copy_to=self.copy_to,
            printed_by=self.printed_by,
            printed_on=self.date,
            status=status,
            fonts=COMMON_FONTS if self.common_fonts else STANDARD_FONTS,
        )


def frame(document: OfficialDocument, *, today: datetime.date) -> Frame:
    plan = document.plan
    office = office_name(plan)
    contact = "，".join(
        part
        for part in (
            f"联系人：{document.contact}" if document.contact else "",
            f"电话：{document.phone}" if document.phone else "",
        )
        if part
    )
    return Frame(
        issuer=office,
        number=document.number or f"（文号待定）〔{document.year}〕",
        recipients=document.recipients or default_recipients(plan, document.kind),
        date=date_text(document.signed_on or today),
        note=f"（{contact}）" if contact else "",
        copy_to=document.copy_to,
        printed_by=document.printed_by or office,
        common_fonts=document.common_fonts,
    )


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五 (to 99; larger numbers in Arabic numerals)."""
    if n < 10:
        return _DIGITS[n]
    if n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return f"{'' if tens == 1 else _DIGITS[tens]}十{_DIGITS[ones] if ones else ''}"


def enumerated(items: list[str]) -> str:
    """一是…；二是…。: the way an office lists measures in one paragraph (each item's own end stripped)."""
    parts = [item.strip().rstrip("。；;.，, ") for item in items]
    parts = [part for part in parts if part]
    return "；".join(f"{chinese_number(n)}是{part}" for n, part in enumerate(parts, start=1)) + "。"
