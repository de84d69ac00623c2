"""The outgoing documents (公文) as .docx and PDF: the progress report and the 通报, laid out by
`exports.gongwen`, with the office's settings and wording (`OfficialDocument`)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from exports import books
from exports.books import Progressed, snapshot, write_atomically
from exports.documents.bulletin import bulletin_document, bulletin_drafts
from exports.documents.report import report_document, report_drafts
from exports.gongwen import Gongwen, render
from exports.pdf import docx_to_pdf
from exports.selectors.bulletin import bulletin_for
from exports.selectors.official import official_document
from exports.selectors.report import report_data
from plans.models import Plan

FORMATS = ("xlsx", "docx", "pdf")


@dataclass
class Draft:
    """A document as it would go out now (`gongwen`), and the generated wording the office may change."""

    drafts: dict[str, str]
    gongwen: Gongwen


def report_draft(plan: Plan, year: int, quarter: int, *, today=None, charts: bool = True) -> Draft:
    """The progress report with the office's settings and wording; without `charts`, its charts'
    attachment is left out (the office's page shows the text)."""
    today = today or timezone.localdate()
    data = report_data(plan, year, quarter, today=today)
    overview = bulletin_for(plan, year, quarter, today=today).overview
    document = official_document(plan, year, quarter, "report")
    spec = report_document(data, overview, document, today=today, charts=charts)
    return Draft(report_drafts(data), spec)


def bulletin_draft(plan: Plan, year: int, quarter: int, *, today=None, charts: bool = True) -> Draft:
    """The 通报 with the office's settings and wording (it has no charts)."""
    today = today or timezone.localdate()
    bulletin = bulletin_for(plan, year, quarter, today=today)
    document = official_document(plan, year, quarter, "bulletin")
    return Draft(bulletin_drafts(bulletin), bulletin_document(bulletin, document, today=today))


DRAFTS: dict[str, Callable[..., Draft]] = {"report": report_draft, "bulletin": bulletin_draft}


def _docx(kind: str, plan: Plan, year: int, quarter: int, out: Any, progress: Progressed | None, total: int):
    report = progress or (lambda done, total: None)
    report(0, total)
    with snapshot():
        spec = DRAFTS[kind](plan, year, quarter).gongwen
    report(1, total)
    blocks = render(spec, out)
    report(2, total)
    return blocks


def export_to_path(
    *,
    kind: str,
    format: str,
    plan: Plan,
    year: int,
    quarter: int,
    path: Path,
    progress: Progressed | None = None,
) -> int:
    """Write the report or the 通报 as `format` (xlsx, docx, pdf) to `path`, all or nothing; returns the rows
    (a workbook) or blocks (a document) written. A PDF is the .docx converted by LibreOffice
    (`exports.pdf.PdfUnavailable`, in Chinese, when it cannot be)."""
    if format == "xlsx":
        return books.export_to_path(
            kind=kind, plan=plan, year=year, quarter=quarter, path=path, progress=progress
        )
    if format == "docx":
        return write_atomically(path, lambda out: _docx(kind, plan, year, quarter, out, progress, 2))

    def pdf(out: str) -> int:
        with tempfile.TemporaryDirectory(prefix="ipcity-docx-") as work:
            source = Path(work) / "document.docx"
            blocks = _docx(kind, plan, year, quarter, source, progress, 3)
            docx_to_pdf(source, Path(out))
        if progress:
            progress(3, 3)
        return blocks

    return write_atomically(path, pdf)
