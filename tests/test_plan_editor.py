"""方案维护: the office's editor for what no plan document states — the population per-capita indicators
divide by and the milestones of the years a document sets no target for (reporting/plan_views.py,
indicators/editing.py). Each write takes a reason into the audit trail and queues the roll-up; a document
target is never changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from indicators.editing import MilestoneInput, PopulationInput, milestone_set, population_set
from indicators.models import Indicator, Population, RollupPending, Target
from indicators.services import plans_load_all
from plans.models import Region
from tests import factories
from tests.page import seen
from tests.test_admin_audit import change

QZ, ZJ = "quanzhou-2024-2026", "zhenjiang-edz-2024-2026"
PLANS = "/office/plans/"
REASON = "据2025年统计公报更正"


def _population_url(slug: str, region: Region, year: int) -> str:
    return f"{PLANS}{slug}/population/{region.pk}/{year}/"


def _milestone_url(indicator: Indicator, year: int) -> str:
    return f"{PLANS}{indicator.plan.slug}/milestones/{indicator.pk}/{year}/"


def _indicator(code: str, slug: str = QZ) -> Indicator:
    return Indicator.objects.select_related("plan").get(plan__slug=slug, code=code)


def _queued() -> list[tuple[str, int]]:
    return sorted(RollupPending.objects.values_list("indicator__code", "year"))


def _targets(indicator: Indicator) -> dict[int, tuple]:
    return {t.year: (t.comparator, t.min, t.max, t.origin) for t in indicator.targets.all()}


# The index ------------------------------------------------------------------------------------------------


def test_it_lists_the_plans_and_each_plans_four_parts(reviewer_client, plans):
    page = seen(reviewer_client.get(PLANS))
    assert {li.attrs["data-plan"] for li in page.find_all("li", data_plan=True)} == {QZ, ZJ}
    links = seen(reviewer_client.get(f"{PLANS}{QZ}/")).find("ul", cls="editor-links").links()
    assert links["填报分工"] == f"/office/assignments/?plan={QZ}"
    assert links["指标口径"] == f"/office/definitions/?plan={QZ}"
    assert links["常住人口"] == f"{PLANS}{QZ}/population/"
    assert links["年度目标"] == f"{PLANS}{QZ}/milestones/"
    assert reviewer_client.get(f"{PLANS}no-such-plan/").status_code == 404


def test_the_office_navigation_and_the_definitions_page_lead_here(reviewer_client, plans):
    page = seen(reviewer_client.get("/office/definitions/"))
    assert page.find("nav", cls="mainnav").links()["方案维护"] == PLANS
    in_plan = (
        seen(reviewer_client.get("/office/definitions/", {"plan": QZ})).find("p", cls="editor-links").links()
    )
    assert in_plan["常住人口"] == f"{PLANS}{QZ}/population/"
    assert in_plan["年度目标"] == f"{PLANS}{QZ}/milestones/"


@pytest.mark.parametrize("path", ["", f"{QZ}/", f"{QZ}/population/", f"{QZ}/milestones/"])
def test_reporters_and_leaders_are_refused_like_on_every_office_page(
    reporter_a_client, leader, client, plans, path
):
    assert reporter_a_client.get(f"{PLANS}{path}").status_code == 403
    client.force_login(leader)
    assert client.get(f"{PLANS}{path}").status_code == 403


# Population -----------------------------------------------------------------------------------------------


def test_it_lists_each_region_of_the_plan_by_year_with_a_constant_number_of_queries(
    reviewer_client, quanzhou, django_assert_max_num_queries
):
    factories.PopulationFactory(region=quanzhou.region, year=2024, value=Decimal("887.9"), is_demo=True)
    url = f"{PLANS}{QZ}/population/"
    with django_assert_max_num_queries(7):  # the top bar's bell (unread notifications) is one
        page = seen(reviewer_client.get(url))
    regions = [row.attrs["data-region"] for row in page.find_all("tr", data_region=True)]
    assert regions == ["quanzhou", "quanzhou-fengze", "quanzhou-jinjiang"]  # the plan's own region first
    city = page.find("tr", data_region="quanzhou")
    assert [cell.attrs["data-year"] for cell in city.find_all("td", data_year=True)] == [
        str(year) for year in range(2021, 2027)
    ]
    cell = city.find("td", data_year="2024").text
    assert "887.9" in cell and "演示" in cell and "更正" in cell
    assert "录入" in city.find("td", data_year="2025").text
    # More regions and figures cost no more queries.
    for number in range(5):
        region = Region.objects.create(code=f"qz-extra-{number}", name=f"新区{number}", level="county",
                                       parent=quanzhou.region)  # fmt: skip
        for year in range(2021, 2027):
            factories.PopulationFactory(region=region, year=year)
    with django_assert_max_num_queries(7):  # the top bar's bell (unread notifications) is one
        page = seen(reviewer_client.get(url))
    assert len(page.find_all("tr", data_region=True)) == 8


def test_the_office_enters_a_population_audited_and_the_per_capita_year_is_queued(
    reviewer_client, reviewer, quanzhou
):
    factories.PopulationFactory(region=quanzhou.region, year=2026, value=Decimal(900), is_demo=True)
    url = _population_url(QZ, quanzhou.region, 2026)
    assert seen(reviewer_client.get(url)).fields()["value"] == "900"
    source = "2026年泉州市国民经济和社会发展统计公报：年末常住人口887.9万人"
    response = reviewer_client.post(url, {"value": "887.9", "source": source, "reason": REASON})
    assert response.status_code == 302 and response["Location"].endswith(f"#region-{quanzhou.region.pk}")
    row = Population.objects.get(region=quanzhou.region, year=2026)
    assert (row.value, row.source, row.is_demo) == (Decimal("887.9"), source, False)
    record = row.history.first()
    assert (record.history_user, record.history_change_reason) == (reviewer, f"设定常住人口：{REASON}")
    # Only the per-capita indicator of the plans counting the region: every year of its plan.
    assert _queued() == [("hv-invention-patents-per-10k", year) for year in (2024, 2025, 2026)]


def test_a_county_figure_queues_the_plan_it_lies_in_and_a_year_outside_every_plan_nothing(
    reviewer_client, quanzhou
):
    jinjiang = Region.objects.get(code="quanzhou-jinjiang")
    data = {"value": "206.5", "source": "晋江市统计公报", "reason": REASON}
    assert reviewer_client.post(_population_url(QZ, jinjiang, 2025), data).status_code == 302
    assert _queued() == [("hv-invention-patents-per-10k", year) for year in (2024, 2025, 2026)]
    RollupPending.objects.all().delete()
    assert reviewer_client.post(_population_url(QZ, jinjiang, 2021), data).status_code == 302
    assert Population.objects.get(region=jinjiang, year=2021).value == Decimal("206.5")
    assert not RollupPending.objects.exists()
    # Saving the same figure again changes nothing and queues nothing.
    assert reviewer_client.post(_population_url(QZ, jinjiang, 2021), data).status_code == 302
    assert Population.objects.get(region=jinjiang, year=2021).history.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": "8e1"}, "常住人口（万人）：“8e1”不是有效的数字：不能使用科学计数法"),
        ({"value": "3,5"}, "常住人口（万人）：“3,5”不是有效的数字：千位分隔符只能每三位一组"),
        ({"value": "887.9万人"}, "“887.9万人”不是数字"),
        ({"value": ""}, "请填写常住人口（万人）"),
        ({"value": "0"}, "常住人口应大于0"),
        ({"value": "-5"}, "常住人口应大于0"),
        ({"value": "887.12345"}, "常住人口最多保留4位小数"),
        ({"value": "123456789"}, "常住人口数值过大"),
        ({"source": "  "}, "请填写数据来源"),
        ({"reason": ""}, "请填写修改原因"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(reviewer_client, quanzhou, changes, message):
    data = {"value": "887.9", "source": "统计公报", "reason": REASON} | changes
    response = reviewer_client.post(_population_url(QZ, quanzhou.region, 2026), data)
    assert response.status_code == 200 and message in seen(response).text
    assert not Population.objects.exists() and not RollupPending.objects.exists()


def test_a_region_or_year_outside_the_plan_is_not_found(reviewer_client, quanzhou, zhenjiang):
    assert reviewer_client.get(_population_url(QZ, zhenjiang.region, 2026)).status_code == 404
    assert reviewer_client.get(_population_url(QZ, quanzhou.region, 2020)).status_code == 404
    assert reviewer_client.get(_population_url(QZ, quanzhou.region, 2027)).status_code == 404


def test_the_population_service_is_the_offices_only(reporter_a, quanzhou):
    with pytest.raises(PermissionDenied):
        population_set(region=quanzhou.region, year=2026, data=PopulationInput(Decimal(900), "公报"),
                       by=reporter_a, reason=REASON)  # fmt: skip
    assert not Population.objects.exists()


# Milestones -----------------------------------------------------------------------------------------------


def test_it_shows_every_indicators_targets_by_year_with_their_origin(
    reviewer_client, plans, django_assert_max_num_queries
):
    url = f"{PLANS}{QZ}/milestones/"
    with django_assert_max_num_queries(7):  # the top bar's bell (unread notifications) is one
        page = seen(reviewer_client.get(url))
    trademarks = page.find("tr", data_indicator="trademarks")
    derived, document = (trademarks.find("td", data_year=str(year)) for year in (2024, 2026))
    assert derived.attrs["data-origin"] == "derived" and "推算" in derived.text and "调整" in derived.text
    assert document.attrs["data-origin"] == "document" and "文件原文" in document.text
    assert "调整" not in document.text  # nothing to change there
    assert len(page.find_all("tr", data_indicator=True)) == Indicator.objects.filter(plan__slug=QZ).count()
    # More indicators with targets cost no more queries.
    quanzhou = plans[QZ]
    for number in range(5):
        indicator = factories.IndicatorFactory(
            plan=quanzhou, code=f"extra-{number}", name=f"新增指标{number}"
        )
        for year in quanzhou.years:
            factories.TargetFactory(indicator=indicator, year=year)
        factories.BaselineFactory(indicator=indicator, year=2023)
    with django_assert_max_num_queries(7):  # the top bar's bell (unread notifications) is one
        page = seen(reviewer_client.get(url))
    assert "新增指标4" in page.text


def test_the_office_sets_a_milestone_audited_queued_and_kept_by_the_loader(reviewer_client, reviewer, plans):
    trademarks = _indicator("trademarks")
    derived = trademarks.targets.get(year=2024)
    assert derived.origin == "derived"
    url = _milestone_url(trademarks, 2024)
    assert seen(reviewer_client.get(url)).fields()["min"] == str(derived.min.normalize())
    response = reviewer_client.post(
        url, {"comparator": "gte", "min": "80", "max": "", "reason": "按年度工作要点"}
    )
    assert response.status_code == 302
    target = trademarks.targets.get(year=2024)
    assert (target.comparator, target.min, target.origin) == ("gte", Decimal(80), "office")
    assert target.source == "办公室设定：按年度工作要点"
    record = target.history.first()
    assert (record.history_user, record.history_change_reason) == (reviewer, "设定年度目标：按年度工作要点")
    assert _queued() == [("trademarks", 2024), ("trademarks", 2025), ("trademarks", 2026)]
    plans_load_all()  # the loader leaves the office's target alone
    assert trademarks.targets.get(year=2024).origin == "office"
    row = seen(reviewer_client.get(f"{PLANS}{QZ}/milestones/")).find("tr", data_indicator="trademarks")
    assert "办公室设定" in row.find("td", data_year="2024").text


def test_restoring_brings_back_the_derived_milestone(reviewer_client, reviewer, plans):
    trademarks = _indicator("trademarks")
    before = _targets(trademarks)
    url = _milestone_url(trademarks, 2025)
    assert (
        reviewer_client.post(
            url, {"comparator": "between", "min": "80", "max": "82", "reason": "调整"}
        ).status_code
        == 302
    )
    assert _targets(trademarks)[2025] == ("between", Decimal(80), Decimal(82), "office")
    RollupPending.objects.all().delete()
    response = reviewer_client.post(url, {"action": "restore", "reason": "按推算执行"})
    assert response.status_code == 302
    assert _targets(trademarks) == before
    record = trademarks.targets.get(year=2025).history.first()
    assert (record.history_user, record.history_change_reason) == (reviewer, "恢复推算目标：按推算执行")
    assert _queued() == [("trademarks", 2024), ("trademarks", 2025), ("trademarks", 2026)]


def test_a_year_nothing_derives_has_no_target_after_restoring(reviewer_client, plans):
    copyright_ = _indicator("copyright-registrations")
    url = _milestone_url(copyright_, 2025)
    data = {"comparator": "gte", "min": "68", "reason": "阶段目标"}
    assert reviewer_client.post(url, data).status_code == 302
    assert reviewer_client.post(url, {"action": "restore", "reason": "取消"}).status_code == 302
    assert set(_targets(copyright_)) == {2026}


def test_a_document_target_is_refused_and_stays(reviewer_client, plans):
    trademarks = _indicator("trademarks")
    before = _targets(trademarks)
    url = _milestone_url(trademarks, 2026)
    page = seen(reviewer_client.get(url))
    assert "不能在此修改" in page.text and "min" not in page.fields()
    response = reviewer_client.post(url, {"comparator": "gte", "min": "90", "reason": "提高目标"})
    assert response.status_code == 200
    assert "“商标有效注册量”2026年的目标是文件原文（≥88万件），不能在此修改" in seen(response).text
    response = reviewer_client.post(url, {"action": "restore", "reason": "恢复"})
    assert response.status_code == 200 and "是文件原文" in seen(response).text
    assert _targets(trademarks) == before and not RollupPending.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min": ""}, "比较方式为“达到（≥）”时须填写下限"),
        ({"min": "1_0"}, "下限：“1_0”不是有效的数字：数字中不能有下划线"),
        ({"min": "80万件"}, "下限：“80万件”不是数字"),
        ({"min": "-3"}, "下限不能为负数"),
        ({"min": "80.123456"}, "下限最多保留4位小数"),
        ({"max": "90"}, "比较方式为“达到（≥）”时不填上限"),
        ({"comparator": "between", "min": "82", "max": "80"}, "上限不能小于下限"),
        ({"comparator": "lte", "min": "80"}, "比较方式为“控制在（≤）”时须填写上限"),
        ({"comparator": "done", "min": ""}, "是数值指标，年度目标不能是“完成（定性）”"),
        ({"comparator": "sometimes"}, "选择一个有效的选项"),
        ({"reason": " "}, "请填写设定理由"),
    ],
)
def test_bad_milestones_are_refused_in_chinese_and_nothing_changes(reviewer_client, plans, changes, message):
    trademarks = _indicator("trademarks")
    before = _targets(trademarks)
    data = {"comparator": "gte", "min": "80", "max": "", "reason": "按年度工作要点"} | changes
    response = reviewer_client.post(_milestone_url(trademarks, 2024), data)
    assert response.status_code == 200 and message in seen(response).text
    assert _targets(trademarks) == before and not RollupPending.objects.exists()


def test_restoring_a_derived_milestone_is_refused(reviewer_client, plans):
    trademarks = _indicator("trademarks")
    response = reviewer_client.post(_milestone_url(trademarks, 2024), {"action": "restore", "reason": "恢复"})
    assert response.status_code == 200 and "不是办公室设定的，无需恢复" in seen(response).text
    assert trademarks.targets.get(year=2024).origin == "derived" and not RollupPending.objects.exists()


def test_a_qualitative_indicator_takes_only_done(reviewer_client, plans):
    city = _indicator("demonstration-city")
    response = reviewer_client.post(
        _milestone_url(city, 2024), {"comparator": "gte", "min": "1", "reason": "x"}
    )
    assert "是定性指标，年度目标只能是“完成”" in seen(response).text
    response = reviewer_client.post(
        _milestone_url(city, 2024), {"comparator": "done", "reason": "年度完成方案"}
    )
    assert response.status_code == 302 and _targets(city)[2024] == ("done", None, None, "office")


def test_a_year_or_indicator_outside_the_plan_is_not_found(reviewer_client, plans):
    trademarks = _indicator("trademarks")
    assert reviewer_client.get(_milestone_url(trademarks, 2023)).status_code == 404
    assert reviewer_client.get(_milestone_url(trademarks, 2027)).status_code == 404
    other = Indicator.objects.filter(plan__slug=ZJ).first()
    assert reviewer_client.get(f"{PLANS}{QZ}/milestones/{other.pk}/2024/").status_code == 404


def test_the_milestone_service_is_the_offices_only(reporter_a, plans):
    trademarks = _indicator("trademarks")
    with pytest.raises(PermissionDenied):
        milestone_set(indicator=trademarks, year=2024, data=MilestoneInput("gte", Decimal(80)), by=reporter_a,
                      reason="x")  # fmt: skip
    assert trademarks.targets.get(year=2024).origin == Target.Origin.DERIVED


# Two people at once ---------------------------------------------------------------------------------------


def test_a_population_saved_meanwhile_wins_and_the_stale_form_is_told(reviewer_client, quanzhou):
    url = _population_url(QZ, quanzhou.region, 2026)
    stale = seen(reviewer_client.get(url)).fields()["seen"]
    first = {"value": "887.9", "source": "公报甲", "reason": REASON, "seen": stale}
    assert reviewer_client.post(url, first).status_code == 302
    response = reviewer_client.post(url, first | {"value": "890", "source": "公报乙"})
    assert response.status_code == 200 and "泉州市2026年常住人口已被他人修改" in seen(response).text
    assert Population.objects.get(region=quanzhou.region, year=2026).value == Decimal("887.9")


def test_a_milestone_saved_meanwhile_wins_and_a_stale_form_or_restore_is_told(reviewer_client, plans):
    trademarks = _indicator("trademarks")
    url = _milestone_url(trademarks, 2024)
    stale = seen(reviewer_client.get(url)).fields()["seen"]
    data = {"comparator": "gte", "min": "80", "reason": "甲", "seen": stale}
    assert reviewer_client.post(url, data).status_code == 302
    response = reviewer_client.post(url, data | {"min": "81", "reason": "乙"})
    assert "“商标有效注册量”2024年的目标已被他人修改" in seen(response).text
    response = reviewer_client.post(url, {"action": "restore", "reason": "丙", "seen": stale})
    assert "已被他人修改" in seen(response).text
    assert _targets(trademarks)[2024] == ("gte", Decimal(80), None, "office")
    # The restore form carries the version it was drawn from.
    fresh = seen(reviewer_client.get(url)).find("form", cls="restore").fields()["seen"]
    assert reviewer_client.post(url, {"action": "restore", "reason": "丙", "seen": fresh}).status_code == 302
    assert _targets(trademarks)[2024][3] == "derived"


def test_a_population_changed_in_the_admin_queues_the_same_roll_up(admin_client_, quanzhou):
    row = factories.PopulationFactory(region=quanzhou.region, year=2025, value=Decimal(880), is_demo=True)
    response = change(admin_client_, row, value="887.9", change_reason="按公报更正")
    assert response.status_code == 302
    assert Population.objects.get(pk=row.pk).value == Decimal("887.9")
    assert _queued() == [("hv-invention-patents-per-10k", year) for year in (2024, 2025, 2026)]
