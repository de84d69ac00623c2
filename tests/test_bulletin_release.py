"""A bulletin (通报) says what its data stands on and becomes 正式 only by the office's release: at once when
nothing of its quarter awaits review, else with a reason, audited (PRODUCT.md, "Figures must say what they
stand on")."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from exports.books import export_bulletin
from exports.models import BulletinRelease
from exports.selectors.bulletin import bulletin_for
from exports.services import bulletin_release
from reporting.models import ReviewState, Submission, TaskReport
from tests.excel_files import printed
from tests.page import seen

TODAY = datetime.date(2025, 10, 20)
URL = "/reports/bulletin/quanzhou-2024-2026/"
RELEASE_URL = URL + "release/"
QUARTER = {"year": 2025, "quarter": 3}
PENDING_LINE = "数据截至2025年10月20日，尚有2项待审核"  # the scenario's one figure and one task report


def _approve_everything():
    Submission.objects.filter(state=ReviewState.SUBMITTED).update(state=ReviewState.APPROVED)
    TaskReport.objects.filter(state=ReviewState.SUBMITTED).update(state=ReviewState.APPROVED)


def _history(release: BulletinRelease) -> list[tuple[str, str, str]]:
    return [
        (record.history_type, record.history_user.username, record.history_change_reason)
        for record in release.history.all()
    ]


def test_a_bulletin_with_items_pending_is_a_draft_for_comment_and_says_which(report_scenario):
    bulletin = bulletin_for(report_scenario.plan, 2025, 3, today=TODAY)
    assert bulletin.state_label == "征求意见稿" and not bulletin.is_final
    assert bulletin.pending_line == PENDING_LINE
    assert bulletin.awaiting.count == 2
    listed = bulletin.awaiting_lines[0]
    assert f"【市知识产权局】指标“{report_scenario.indicators[3].name}”" in listed
    assert f"【市工信局】任务“{report_scenario.second_task.title}”" in listed
    assert bulletin.status_lines[:2] == ["（征求意见稿）", PENDING_LINE]


def test_with_nothing_pending_it_is_a_draft_until_released(report_scenario):
    _approve_everything()
    bulletin = bulletin_for(report_scenario.plan, 2025, 3, today=TODAY)
    assert bulletin.state_label == "草稿"
    assert bulletin.status_lines == ["（草稿）", "数据截至2025年10月20日，本季度报送事项均已审核"]


def test_the_office_releases_a_bulletin_with_nothing_pending_without_a_reason(report_scenario, reviewer):
    _approve_everything()
    release = bulletin_release(plan=report_scenario.plan, year=2025, quarter=3, by=reviewer)
    assert (release.pending, release.reason) == (0, "")
    assert _history(release) == [("+", reviewer.username, "发布正式通报：本季度报送事项均已审核")]
    bulletin = bulletin_for(report_scenario.plan, 2025, 3, today=TODAY)
    assert bulletin.state_label == "正式" and bulletin.is_final


def test_while_items_are_pending_the_release_needs_a_reason_which_is_audited(report_scenario, reviewer):
    with pytest.raises(ValidationError, match="请填写发布说明（本季度尚有2项待审核"):
        bulletin_release(plan=report_scenario.plan, year=2025, quarter=3, by=reviewer, reason="  ")
    assert not BulletinRelease.objects.exists()
    release = bulletin_release(
        plan=report_scenario.plan, year=2025, quarter=3, by=reviewer, reason="领导同意先行印发"
    )
    assert (release.pending, release.reason) == (2, "领导同意先行印发")
    assert _history(release) == [("+", reviewer.username, "发布正式通报：领导同意先行印发")]
    bulletin = bulletin_for(report_scenario.plan, 2025, 3, today=TODAY)
    assert bulletin.status_lines[0] == "（正式）"
    assert bulletin.status_lines[-1] == "发布说明：领导同意先行印发"


def test_a_bulletin_is_released_once(report_scenario, reviewer):
    _approve_everything()
    bulletin_release(plan=report_scenario.plan, year=2025, quarter=3, by=reviewer)
    with pytest.raises(ValidationError, match="已发布为正式通报"):
        bulletin_release(plan=report_scenario.plan, year=2025, quarter=3, by=reviewer)


def test_only_the_office_releases(report_scenario, leader):
    _approve_everything()
    with pytest.raises(PermissionDenied):
        bulletin_release(plan=report_scenario.plan, year=2025, quarter=3, by=leader)
    assert not BulletinRelease.objects.exists()


# The page and the sheet ----------------------------------------------------------------------------------


def test_the_page_shows_the_draft_state_the_pending_items_and_the_release_form(
    report_scenario, reviewer_client, time_machine
):
    time_machine.move_to(datetime.datetime(2025, 10, 20, 9, 0))
    page = seen(reviewer_client.get(URL, QUARTER))
    assert page.find(cls="release-state").text == "征求意见稿"
    assert page.find(cls="bulletin-status").text.startswith(f"（征求意见稿） {PENDING_LINE}")
    items = [item.text for item in page.find(cls="awaiting-items").find_all("li")]
    assert f"市工信局 · 任务 · {report_scenario.second_task.title}" in items
    assert "发布说明（必填）" in page.find("form", cls="release-form").text


def test_the_office_releases_from_the_page_with_a_reason(report_scenario, reviewer_client, time_machine):
    time_machine.move_to(datetime.datetime(2025, 10, 20, 9, 0))
    refused = reviewer_client.post(RELEASE_URL, QUARTER)
    assert refused.status_code == 400
    assert "请填写发布说明（本季度尚有2项待审核，须说明先行发布的理由）。" in seen(refused).text
    assert not BulletinRelease.objects.exists()
    response = reviewer_client.post(RELEASE_URL, QUARTER | {"reason": "领导同意先行印发"})
    assert response.status_code == 302 and response["Location"] == f"{URL}?year=2025&quarter=3"
    page = seen(reviewer_client.get(response["Location"]))
    assert page.find(cls="release-state").text == "正式"
    assert "发布说明：领导同意先行印发" in page.text
    assert page.find_all("form", cls="release-form") == []


def test_the_release_refuses_a_quarter_outside_the_plan(report_scenario, reviewer_client):
    response = reviewer_client.post(RELEASE_URL, {"year": 2030, "quarter": 1, "reason": "x"})
    assert response.status_code == 400 and "请选择方案实施期内的年度。" in seen(response).text
    assert not BulletinRelease.objects.exists()


def test_leaders_read_the_bulletin_but_do_not_release_it(report_scenario, leader_client):
    page = seen(leader_client.get(URL, QUARTER))
    assert page.find_all("form", cls="release-form") == []
    assert leader_client.post(RELEASE_URL, QUARTER | {"reason": "x"}).status_code == 403
    assert not BulletinRelease.objects.exists()


def test_the_sheet_prints_its_state_and_what_it_stands_on_first(report_scenario, time_machine):
    time_machine.move_to(datetime.datetime(2025, 10, 20, 9, 0))
    out = io.BytesIO()
    export_bulletin(plan=report_scenario.plan, year=2025, quarter=3, out=out)
    texts = [printed(row[0].value) for row in load_workbook(out)["通报"].iter_rows() if row[0].value]
    assert texts[1:3] == ["（征求意见稿）", PENDING_LINE]
    assert texts[3].startswith("待审核事项：")
    assert texts.index("（征求意见稿）") < texts.index("各责任单位：")
    unjudged = next(text for text in texts if isinstance(text, str) and "暂不作落后通报" in text)
    assert unjudged.strip().startswith("以下1家单位负责的指标低于序时进度")


def test_its_overview_says_how_many_statuses_are_provisional(report_scenario):
    behind = report_scenario.progress[3]
    behind.owed, behind.approved, behind.awaiting_review = 2, 1, 1
    behind.save()
    overview = bulletin_for(report_scenario.plan, 2025, 3, today=TODAY).overview[0]
    assert overview.endswith("暂无数据2项；其中1项指标本季度数据尚未全部审核，状态为暂定。")
