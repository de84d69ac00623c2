"""A revised plan document against the published plan: the differences listed, only the accepted ones
applied (through the same loader), the office's own targets never overwritten, all or nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from indicators.models import Target
from planimport.models import Draft
from planimport.publish import draft_publish
from planimport.review import draft_edit
from planimport.revision import diff_fingerprint, revision_apply, revision_diff
from planimport.services import draft_read, draft_save
from plans.models import Plan, Region
from tests import factories
from tests.page import seen

SLUG = "shili-2025-2027"
SHILI = (Path(__file__).resolve().parent / "plan_documents" / "shili-city.txt").read_text(encoding="utf-8")
REVISED = (
    SHILI.replace("实施期内累计新建商标品牌指导站10个以上", "实施期内累计新建商标品牌指导站12个以上")
    .replace("（2）优化商标品牌培育。", "（2）强化商标品牌培育。")
    .replace("，建成市级知识产权公共服务平台。", "。")
)


@pytest.fixture
def office_user(plans):
    return factories.UserFactory(role="reviewer", username="office-rev")


@pytest.fixture
def published(office_user):
    draft = draft_save(draft=draft_read(pasted=SHILI, slug=SLUG), filename="v1.txt", by=office_user)
    form = {"code": "i06", "year": "2025", "comparator": "gte", "min": "4", "reason": "按批复调整"}
    draft_edit(draft=draft, action="target", form=form, by=office_user)
    return draft_publish(draft=draft, region=Region.objects.get(code="quanzhou"), by=office_user)


@pytest.fixture
def revised(published, office_user):
    return draft_save(draft=draft_read(pasted=REVISED, slug=SLUG), filename="v2.txt", by=office_user)


def _by_label(changes):
    return {change["label"]: change for change in changes}


def test_it_lists_what_the_revised_document_changes(published, revised):
    changes = _by_label(revision_diff(revised, published))
    target = changes["“新建商标品牌指导站”2026年目标"]
    assert (target["old"], target["new"]) == (
        "实施期内累计新建商标品牌指导站10个以上",
        "实施期内累计新建商标品牌指导站12个以上",
    )
    title = changes["板块1任务2标题"]
    assert (title["old"], title["new"]) == ("优化商标品牌培育", "强化商标品牌培育")
    assert changes["“建成市级知识产权公共服务平台”2027年目标（修订文件中没有）"]["new"] is None
    # The 2025 target the office set is no document target: the revision's 3—5 shows as a proposal.
    assert "“新建商标品牌指导站”2025年目标" in changes
    assert len(changes) == 4, list(changes)


def test_only_the_accepted_changes_are_applied(published, revised, office_user):
    changes = revision_diff(revised, published)
    accepted = [c["id"] for c in changes if c["label"] == "“新建商标品牌指导站”2026年目标"]
    revision_apply(draft=revised, accepted=accepted, fingerprint=diff_fingerprint(changes), by=office_user)
    targets = Target.objects.filter(indicator__plan=published, indicator__name="新建商标品牌指导站")
    changed = targets.get(year=2026)
    assert (changed.min, changed.origin, changed.source) == (
        Decimal(12),
        "document",
        "实施期内累计新建商标品牌指导站12个以上",
    )
    assert changed.history.first().history_change_reason.startswith("load_plans")
    assert published.sections.get(number=1).tasks.get(number=2).title == "优化商标品牌培育"
    assert Target.objects.filter(
        indicator__plan=published, indicator__name="建成市级知识产权公共服务平台"
    ).exists()
    revised.refresh_from_db()
    assert revised.status == Draft.Status.PUBLISHED
    assert revised.plan == Plan.objects.get(slug=SLUG)
    record = revised.history.first()
    assert (
        record.history_change_reason == f"按修订文件更新（草稿{revised.pk}）：“新建商标品牌指导站”2026年目标"
    )
    assert record.history_user == office_user


def test_accepting_everything_keeps_the_offices_targets(published, revised, office_user):
    changes = revision_diff(revised, published)
    every = [c["id"] for c in changes if c["patch"]]
    revision_apply(draft=revised, accepted=every, fingerprint=diff_fingerprint(changes), by=office_user)
    office = Target.objects.get(indicator__plan=published, indicator__name="新建商标品牌指导站", year=2025)
    assert (office.origin, office.min) == ("office", Decimal(4))
    assert published.sections.get(number=1).tasks.get(number=2).title == "强化商标品牌培育"
    gone = Target.objects.filter(indicator__plan=published, indicator__name="建成市级知识产权公共服务平台")
    assert not gone.exists()


def test_a_stale_view_of_the_differences_is_refused_with_nothing_changed(published, revised, office_user):
    changes = revision_diff(revised, published)
    with pytest.raises(ValidationError, match="有变化"):
        revision_apply(draft=revised, accepted=[changes[0]["id"]], fingerprint="stale", by=office_user)
    assert (
        Target.objects.get(indicator__plan=published, indicator__name="新建商标品牌指导站", year=2026).min
        == 10
    )
    revised.refresh_from_db()
    assert revised.status == Draft.Status.DRAFT


def test_the_review_page_offers_the_differences_and_applies_the_checked_ones(
    client, published, revised, office_user
):
    client.force_login(office_user)
    page = seen(client.get(reverse("plan-draft", args=[revised.pk])))
    assert "与已发布方案的差异" in page.text
    assert "板块1任务2标题" in page.text
    changes = revision_diff(revised, published)
    chosen = next(c["id"] for c in changes if c["label"] == "板块1任务2标题")
    response = client.post(
        reverse("plan-draft-revise", args=[revised.pk]),
        {"accept": [chosen], "fingerprint": diff_fingerprint(changes)},
    )
    assert response.status_code == 302 and response.url == reverse("reports:overview", args=[SLUG])
    assert published.sections.get(number=1).tasks.get(number=2).title == "强化商标品牌培育"


def test_nothing_checked_is_refused(client, published, revised, office_user):
    client.force_login(office_user)
    changes = revision_diff(revised, published)
    response = client.post(
        reverse("plan-draft-revise", args=[revised.pk]), {"fingerprint": diff_fingerprint(changes)}
    )
    assert "请至少选择一项" in seen(client.get(response.url)).text
