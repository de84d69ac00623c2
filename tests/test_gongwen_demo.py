"""The demo's documents as the office would send them: the 通报 of 2026 Q3 fits three pages for both plans,
and LibreOffice prints both documents (pages counted with pdfinfo)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from devdata.demo import demo_load
from exports.documents import export_to_path
from plans.models import Plan
from tests.soffice import pdf_pages, soffice_missing

pytestmark = pytest.mark.skipif(soffice_missing(), reason="LibreOffice (soffice) 未安装")


@pytest.fixture
def demo(plans):
    demo_load()
    call_command("rollup")


@pytest.mark.parametrize("slug", ["quanzhou-2024-2026", "zhenjiang-edz-2024-2026"])
def test_the_demo_bulletin_is_at_most_three_pages_and_the_report_prints(demo, tmp_path, slug):
    plan = Plan.objects.get(slug=slug)
    bulletin, report = tmp_path / "bulletin.pdf", tmp_path / "report.pdf"
    export_to_path(kind="bulletin", format="pdf", plan=plan, year=2026, quarter=3, path=bulletin)
    export_to_path(kind="report", format="pdf", plan=plan, year=2026, quarter=3, path=report)
    assert 1 <= pdf_pages(bulletin) <= 3
    assert pdf_pages(report) >= 3  # body, the indicator table, the charts
