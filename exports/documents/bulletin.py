"""The 通报 as a 公文: the bulletin's own statements (`exports.selectors.bulletin`), laid out in the
GB/T 9704-2012 sections 总体情况, 表扬, 通报 and 要求. Long lists fold: the praised units into one
paragraph of names, and into an attachment beyond PRAISED_INLINE; the named beyond NAMED_INLINE too."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from exports.documents.common import frame, paragraphs, wording
from exports.gongwen import Attachment, Gongwen, Heading, Paragraph, Table
from exports.models import OfficialDocument
from exports.selectors.bulletin import Bulletin, UnitList
from reporting.states import Awaiting

PRAISED_INLINE = 40  # names in one paragraph; more go to an attachment
NAMED_INLINE = 12  # named units as paragraphs; more go to an attachment


def bulletin_drafts(bulletin: Bulletin) -> dict[str, str]:
    """The wording the office may change, as the bulletin drafts it."""
    return {"opening": bulletin.opening, "requirements": "\n".join(bulletin.requirements)}


def _names(units: UnitList) -> str:
    return "、".join(unit.name for unit in units) + "。"


def _facts_table(units: UnitList) -> Table:
    rows = [[str(n), unit.name, unit.text] for n, unit in enumerate(units, start=1)]
    return Table(["序号", "单位", "情况"], [14, 46, 96], rows, ["center", "left", "left"])


def _folded(lead: str, units: UnitList, title: str, attachments: list[Attachment]) -> Paragraph:
    """The lead pointing to an attachment that lists the units with their facts (added to `attachments`)."""
    attachments.append(Attachment(title, [_facts_table(units)]))
    return Paragraph(f"{lead.rstrip('：')}，具体情况见附件《{title}》。")


def _praise(bulletin: Bulletin, attachments: list[Attachment]) -> list:
    praised = bulletin.praised
    if len(praised) > PRAISED_INLINE:
        title = f"{bulletin.period_text}表扬单位名单"
        return [Heading("二、表扬"), _folded(bulletin.praised_lead, praised, title, attachments)]
    return [Heading("二、表扬"), Paragraph(bulletin.praised_lead + (_names(praised) if praised else ""))]


def _named(bulletin: Bulletin, attachments: list[Attachment]) -> list:
    blocks: list = [Heading("三、通报")]
    named = bulletin.named
    if len(named) > NAMED_INLINE:
        title = f"{bulletin.period_text}被通报单位及情况"
        blocks.append(_folded(bulletin.named_lead, named, title, attachments))
    else:
        blocks.append(Paragraph(bulletin.named_lead))
        blocks += [Paragraph(f"{n}．{unit.name}：{unit.text}。") for n, unit in enumerate(named, start=1)]
    if bulletin.unjudged:
        listed = "；".join(f"{unit.name}（{unit.text}）" for unit in bulletin.unjudged)
        blocks.append(Paragraph(f"{bulletin.unjudged_lead}{listed}。"))
    if bulletin.awaiting.count:
        blocks.append(Paragraph(awaiting_summary(bulletin.awaiting)))
    return blocks


def awaiting_summary(awaiting: Awaiting) -> str:
    """The items still with the office, by unit and kind in one sentence (the web bulletin lists them):
    本季度尚有25项报送待审核（市知识产权局指标9项、任务16项），审核后再作评价。"""
    by_unit: dict[str, Counter] = defaultdict(Counter)
    for item in awaiting.items:
        by_unit[item.unit][item.kind] += 1
    listed = "、".join(
        unit + "、".join(f"{kind}{n}项" for kind, n in kinds.items()) for unit, kinds in by_unit.items()
    )
    more = "等" if awaiting.more else ""
    return f"本季度尚有{awaiting.count}项报送待审核（{listed}{more}），审核后再作评价。"


def _requirements(text: str) -> list[Paragraph]:
    return [Paragraph(f"{n}．{p.text}") for n, p in enumerate(paragraphs(text), start=1)]


def bulletin_document(bulletin: Bulletin, document: OfficialDocument, *, today: datetime.date) -> Gongwen:
    """The quarter's 通报 with the office's settings and wording; its statements are the bulletin's."""
    words = wording(document, bulletin_drafts(bulletin))
    attachments: list[Attachment] = []
    body = [
        *paragraphs(words["opening"]),
        Heading("一、总体情况"),
        *(Paragraph(text) for text in bulletin.overview),
        *_praise(bulletin, attachments),
        *_named(bulletin, attachments),
        Heading("四、工作要求"),
        *_requirements(words["requirements"]),
    ]
    return frame(document, today=today).gongwen(
        title=bulletin.title, body=body, status=bulletin.status_lines, attachments=attachments
    )
