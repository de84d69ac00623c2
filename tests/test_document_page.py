"""The office's page of an outgoing document (公文): its settings and wording per quarter, audited; a
re-export keeps them; only the office may open or change it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from audit.services import Conflict
from exports.documents import DRAFTS
from exports.models import OfficialDocument
from exports.services import official_document_save

URL = "/reports/documents/quanzhou-2024-2026/{kind}/?year=2025&quarter=3"
POST = {"year": 2025, "quarter": 3, "version": 0}


def _url(kind: str = "report") -> str:
    return URL.format(kind=kind)


def _history(row: OfficialDocument) -> list[tuple[str, str]]:
    return [(h.history_user.username, h.history_change_reason) for h in row.history.order_by("history_id")]


def test_the_office_opens_the_generated_draft_in_a_form(report_scenario, reviewer_client):
    response = reviewer_client.get(_url())
    html = response.content.decode()
    assert response.status_code == 200
    draft = DRAFTS["report"](report_scenario.plan, 2025, 3, charts=False).drafts
    assert draft["opening"] in html and draft["problems"] in html  # the wording, prefilled
    assert 'name="number"' in html and 'name="contact"' in html and 'name="phone"' in html
    assert 'name="requirements"' not in html  # the report's wording only
    assert "关于泉州市示范城市建设2025年第三季度工作进展情况的报告" in html  # the preview
    assert "截至第三季度末为" in html  # figures' sentences, shown, not in a field
    assert 'name="format" value="docx"' in html and 'name="format" value="pdf"' in html


def test_the_bulletins_page_offers_its_own_wording(report_scenario, reviewer_client):
    html = reviewer_client.get(_url("bulletin")).content.decode()
    assert 'name="requirements"' in html and 'name="problems"' not in html
    assert "二、表扬" in html and "三、通报" in html


def test_a_save_is_kept_per_quarter_audited_and_used_by_the_next_export(report_scenario, reviewer_client):
    body = {
        **POST,
        "number": "泉知领办〔2025〕7号",
        "recipients": "泉州市人民政府",
        "contact": "张三",
        "phone": "0595-22500000",
        "signed_on": "2025-10-20",
        "problems": "一是人手不足。",
    }
    response = reviewer_client.post(_url(), body)
    assert response.status_code == 302
    row = OfficialDocument.objects.get(kind="report", year=2025, quarter=3)
    assert (row.number, row.contact, row.problems, row.version) == (
        "泉知领办〔2025〕7号",
        "张三",
        "一是人手不足。",
        1,
    )
    # The fields left at the draft's words are not kept: they follow the data.
    assert row.opening == row.overall == row.next_steps == ""
    assert _history(row) == [("reviewer", "修改进展情况报告的公文设置与措辞")]
    spec = DRAFTS["report"](report_scenario.plan, 2025, 3, charts=False).gongwen
    assert spec.number == "泉知领办〔2025〕7号" and spec.date == "2025年10月20日"
    assert any(getattr(block, "text", "") == "一是人手不足。" for block in spec.body)
    # Another quarter's document is another row, its draft untouched.
    other = DRAFTS["report"](report_scenario.plan, 2025, 2, charts=False).gongwen
    assert other.number.startswith("（文号待定）")


def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(report_scenario, reviewer_client):
    response = reviewer_client.post(_url(), {**POST, "problems": "问" * 4001, "signed_on": "明天"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "请填写有效的日期" in html and "4000" in html
    assert not OfficialDocument.objects.exists()


def test_a_stale_form_is_a_conflict_and_writes_nothing(report_scenario, reviewer_client):
    assert reviewer_client.post(_url(), {**POST, "number": "第一次"}).status_code == 302
    response = reviewer_client.post(_url(), {**POST, "number": "第二次"})  # still version 0
    assert response.status_code == 409 and "他人" in response.content.decode()
    assert OfficialDocument.objects.get().number == "第一次"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/reports/documents/quanzhou-2024-2026/memo/?year=2025&quarter=3", 404),
        ("/reports/documents/nope/report/?year=2025&quarter=3", 404),
        ("/reports/documents/quanzhou-2024-2026/report/?year=2031&quarter=3", 400),
        ("/reports/documents/quanzhou-2024-2026/report/?year=2025&quarter=9", 400),
    ],
)
def test_it_answers_unknown_documents_and_periods(plans, reviewer_client, url, status):
    response = reviewer_client.get(url)
    assert response.status_code == status
    if status == 400:
        assert "季度应为第一至第四季度" in response.content.decode() or "实施期" in response.content.decode()


@pytest.mark.parametrize("who", ["leader", "reporter_a"])
def test_only_the_office_may_open_or_change_it(report_scenario, request, who):
    someone = Client()
    someone.force_login(request.getfixturevalue(who))
    assert someone.get(_url()).status_code == 403
    assert someone.post(_url(), {**POST, "number": "x"}).status_code == 403
    assert Client().get(_url()).status_code == 302  # anonymous: to the login page
    assert not OfficialDocument.objects.exists()


def test_the_service_refuses_what_is_not_the_documents_wording(report_scenario, reviewer, leader):
    save = {"plan": report_scenario.plan, "year": 2025, "quarter": 3, "drafts": {}, "seen_version": 0}
    with pytest.raises(ValidationError, match="不是本公文可以修改的内容"):
        official_document_save(kind="bulletin", values={"problems": "x"}, by=reviewer, **save)
    with pytest.raises(Exception, match="办公室"):
        official_document_save(kind="report", values={"number": "x"}, by=leader, **save)
    official_document_save(kind="report", values={"number": "x"}, by=reviewer, **save)
    with pytest.raises(Conflict):
        official_document_save(kind="report", values={"number": "y"}, by=reviewer, **save)
    assert OfficialDocument.objects.get().number == "x"


def test_the_page_reads_in_a_fixed_number_of_queries(
    report_scenario, reviewer_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(60):
        assert reviewer_client.get(_url()).status_code == 200
