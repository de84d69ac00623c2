"""The office's plan-import pages: upload or paste → draft; review beside the text; edit with a reason;
publish through the plan loaders, audited, all or nothing; the plan then appears on the dashboards."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from indicators.models import Target
from planimport import publish
from planimport.models import Draft
from planimport.services import draft_read, draft_save
from plans.models import Plan, Region, Unit
from tests import factories
from tests.page import seen

DOCS = Path(__file__).resolve().parent / "plan_documents"
SHILI = (DOCS / "shili-city.txt").read_text(encoding="utf-8")


@pytest.fixture
def office(client, plans):
    client.force_login(factories.UserFactory(role="reviewer"))
    return client


@pytest.fixture
def draft(plans):
    return draft_save(draft=draft_read(pasted=SHILI, slug="shili-2025-2027"), filename="shili.txt", by=None)


def _edit(client, draft, **form):
    return client.post(reverse("plan-draft-edit", args=[draft.pk]), form, follow=True)


def _edit_2025_stations(client, draft, comparator: str, low: str, high: str = "", reason: str = "x"):
    """Change the 2025 target of 新建商标品牌指导站 (i06), read from the document as 3—5个."""
    form = {
        "code": "i06",
        "year": "2025",
        "comparator": comparator,
        "min": low,
        "max": high,
        "reason": reason,
    }
    return _edit(client, draft, action="target", **form)


def _target(draft, name, year):
    draft.refresh_from_db()
    spec = next(spec for spec in draft.data["indicators"] if spec["name"] == name)
    return spec, next(target for target in spec["targets"] if target["year"] == year)


def test_it_turns_an_uploaded_document_into_a_draft_for_review(office):
    upload = SimpleUploadedFile("示例市方案.txt", SHILI.encode("gbk"))
    response = office.post(reverse("plan-import"), {"file": upload, "slug": "shili-2025-2027"})
    row = Draft.objects.get()
    assert response.status_code == 302 and response.url == reverse("plan-draft", args=[row.pk])
    page = seen(office.get(response.url))
    assert "示例市知识产权强市建设行动方案（2025—2027年）" in page.text
    marks = page.find_all("mark")
    assert any(mark.text == "新建商标品牌指导站3—5个" for mark in marks)
    assert "待确认" in page.text
    assert row.history.get().history_user.role == "reviewer"


def test_pasted_text_works_like_a_file(office):
    response = office.post(reverse("plan-import"), {"pasted": SHILI})
    assert response.status_code == 302
    assert Draft.objects.get().data["plan"]["slug"] == "plan-2025-2027"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "请选择方案文件，或粘贴方案全文"),
        ({"file": SimpleUploadedFile("scan.pdf", b"%PDF-1.4\nnonsense")}, "不是有效的PDF"),
        ({"file": SimpleUploadedFile("plan.xls", b"\xd0\xcf")}, "不支持的文件类型"),
        ({"pasted": SHILI, "slug": "Not A Slug"}, "只能由小写字母"),
        ({"pasted": SHILI, "slug": "import"}, "方案标识不能是“import”（系统页面已占用）"),
    ],
)
def test_bad_uploads_are_refused_in_chinese_with_nothing_stored(office, form, message):
    response = office.post(reverse("plan-import"), form)
    assert response.status_code == 400
    assert message in seen(response).text
    assert not Draft.objects.exists()


@pytest.mark.parametrize("role", ["leader", "reporter"])
def test_only_the_office_imports_plans(client, plans, draft, role):
    user = factories.ReporterFactory() if role == "reporter" else factories.UserFactory(role=role)
    client.force_login(user)
    assert client.get(reverse("plan-import")).status_code == 403
    assert client.get(reverse("plan-draft", args=[draft.pk])).status_code == 403
    assert client.post(reverse("plan-draft-edit", args=[draft.pk]), {"action": "plan"}).status_code == 403


def test_a_missing_draft_is_a_404(office):
    assert office.get(reverse("plan-draft", args=[999999])).status_code == 404


def test_the_review_page_reads_a_fixed_number_of_queries(office, draft, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert office.get(reverse("plan-draft", args=[draft.pk])).status_code == 200


def test_a_changed_target_needs_a_reason_and_keeps_what_the_document_said(office, draft):
    form = {"action": "target", "code": "i06", "year": "2025", "comparator": "gte", "min": "4", "max": ""}
    page = seen(_edit(office, draft, **form))
    assert "请填写修改原因" in page.text
    assert _target(draft, "新建商标品牌指导站", 2025)[1]["comparator"] == "between"
    _edit(office, draft, **form, reason="按市政府批复调整")
    target = _target(draft, "新建商标品牌指导站", 2025)[1]
    assert (target["comparator"], target["min"], target["max"], target["origin"]) == (
        "gte",
        "4",
        None,
        "office",
    )
    assert target["document"] == {"year": 2025, "comparator": "between", "min": "3", "max": "5"}
    assert "按市政府批复调整" in draft.history.first().history_change_reason


def test_impossible_targets_are_refused(office, draft):
    assert "上限3小于下限5" in seen(_edit_2025_stations(office, draft, "between", "5", "3")).text
    page = seen(
        _edit(office, draft, action="target", code="i06", year="2031", comparator="gte", min="5", reason="x")
    )
    assert "不在方案实施期" in page.text


def test_the_office_changes_an_indicators_measure_kind_with_a_reason(office, draft):
    spec, _ = _target(draft, "知识产权培训", 2025)
    form = {
        "code": spec["code"],
        "name": spec["name"],
        "unit": "场",
        "measure": "cumulative",
        "category": "talent",
    }
    _edit(office, draft, action="indicator", **form, reason="实施期累计考核")
    spec, _ = _target(draft, "知识产权培训", 2025)
    assert (spec["measure"], spec["origin"], spec["status"]) == ("cumulative", "office", "")


def _publish(client, draft, **form):
    region = Region.objects.get(code="quanzhou")
    return client.post(reverse("plan-draft-publish", args=[draft.pk]), {"region": region.pk, **form})


def test_publish_creates_the_plan_through_the_loaders_and_it_appears_on_the_dashboards(
    office, draft, django_capture_on_commit_callbacks
):
    _edit_2025_stations(office, draft, "gte", "4", reason="按批复调整")
    existing = Unit.objects.get(name="市知识产权局", region__code="quanzhou")
    _edit(office, draft, action="unit", name="市市场监管局", match=str(existing.pk))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _publish(office, draft)
    assert len(callbacks) == 1  # the roll-up of the new plan, sent once it is committed
    assert response.status_code == 302
    assert response.url == reverse("reports:overview", args=["shili-2025-2027"])
    plan = Plan.objects.get(slug="shili-2025-2027")
    assert (plan.start_year, plan.end_year, plan.issuer) == (2025, 2027, "示例市人民政府办公室")
    assert [s.title for s in plan.sections.order_by("number")] == ["提升创造质量", "加强保护运用"]
    task = plan.sections.get(number=1).tasks.get(number=1)
    assert task.task_units.get(position=0).unit == existing
    targets = Target.objects.filter(indicator__plan=plan)
    document = targets.get(indicator__name="新建商标品牌指导站", year=2026)
    assert (document.origin, document.source) == ("document", "实施期内累计新建商标品牌指导站10个以上")
    office_row = targets.get(indicator__name="新建商标品牌指导站", year=2025)
    assert office_row.origin == "office" and "按批复调整" in office_row.source
    assert office_row.history.first().history_user.role == "reviewer"
    draft.refresh_from_db()
    assert (draft.status, draft.plan) == (Draft.Status.PUBLISHED, plan)
    overview = seen(office.get(response.url))
    assert "示例市知识产权强市建设行动方案" in overview.text
    assert "新建商标品牌指导站" in overview.text


def test_publish_is_all_or_nothing(office, draft, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("中途失败")

    monkeypatch.setattr(publish, "_office_rows", fail)
    with pytest.raises(RuntimeError):
        _publish(office, draft)
    assert not Plan.objects.filter(slug="shili-2025-2027").exists()
    assert not Region.objects.filter(code="shili").exists()
    draft.refresh_from_db()
    assert draft.status == Draft.Status.DRAFT


def test_a_plan_slug_already_published_is_refused(office, draft):
    _edit(office, draft, action="plan", slug="quanzhou-2024-2026")
    response = _publish(office, draft)
    assert response.url == reverse("plan-draft", args=[draft.pk])
    assert "已存在" in seen(office.get(response.url)).text
    assert Plan.objects.get(slug="quanzhou-2024-2026").title.startswith("泉州市")
    draft.refresh_from_db()
    assert draft.status == Draft.Status.DRAFT


def test_publish_into_a_new_region(office, draft):
    parent = Region.objects.get(code="fujian")
    response = office.post(
        reverse("plan-draft-publish", args=[draft.pk]),
        {"new_code": "shili", "new_name": "示例市", "new_level": "city", "new_parent": parent.pk},
    )
    assert response.status_code == 302
    plan = Plan.objects.get(slug="shili-2025-2027")
    assert (plan.region.name, plan.region.parent) == ("示例市", parent)
    assert Unit.objects.filter(region=plan.region, name="市市场监管局").exists()


@pytest.mark.parametrize("seed", ["quanzhou-2024-2026", "zhenjiang-edz-2024-2026"])
def test_each_seed_document_reviews_and_publishes_whole(office, seed):
    text = (Path(__file__).resolve().parent.parent / "fixtures" / "sources" / f"{seed}.txt").read_text(
        encoding="utf-8"
    )
    row = draft_save(draft=draft_read(pasted=text, slug=f"{seed}-copy"), filename=f"{seed}.txt", by=None)
    page = seen(office.get(reverse("plan-draft", args=[row.pk])))
    marks = page.find_all("mark")
    drafted = sum(len(spec["targets"]) for spec in row.data["indicators"])
    assert len(marks) >= len(row.data["indicators"])
    response = office.post(
        reverse("plan-draft-publish", args=[row.pk]),
        {"new_code": f"{seed}-copy", "new_name": f"{seed}副本", "new_level": "city"},
    )
    assert response.status_code == 302
    plan = Plan.objects.get(slug=f"{seed}-copy")
    assert Target.objects.filter(indicator__plan=plan).count() == drafted
    assert Target.objects.filter(indicator__plan=plan).exclude(origin="document").count() == 0
    tasks = sum(len(section["tasks"]) for section in row.data["sections"])
    assert sum(section.tasks.count() for section in plan.sections.all()) == tasks


def test_plan_facts_are_edited_and_a_bad_date_refused(office, draft):
    page = seen(_edit(office, draft, action="plan", issued_on="2025年3月"))
    assert "成文日期“2025年3月”无效" in page.text
    _edit(office, draft, action="plan", issuer="示例市人民政府", issued_on="2025-03-12")
    draft.refresh_from_db()
    assert (draft.data["plan"]["issuer"], draft.data["plan"]["issued_on"]) == ("示例市人民政府", "2025-03-12")
