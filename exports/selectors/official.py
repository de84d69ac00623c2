"""The office's settings and wording of a document that goes out (文号, 联系人, 电话 …), read by the Word
documents and by the workbooks that carry the same lines."""

from __future__ import annotations

from exports.models import OfficialDocument
from plans.models import Plan


def official_document(plan: Plan, year: int, quarter: int, kind: str) -> OfficialDocument:
    """The office's settings and edits of the document, or an unsaved empty one (the draft's defaults)."""
    found = OfficialDocument.objects.filter(plan=plan, year=year, quarter=quarter, kind=kind).first()
    return found or OfficialDocument(plan=plan, year=year, quarter=quarter, kind=kind)
