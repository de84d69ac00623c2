"""目标考核: a small world ranked by hand (issue 14, item 4); weights the office sets change it."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.test import Client

from assessment.models import RankingWeights
from assessment.selectors import ranking
from assessment.services import ranking_weights_set
from audit.models import AuditRecord
from indicators.models import Indicator
from progress.models import Progress, Timeliness
from reporting.models import ReviewState, Submission
from reporting.services.review import review_return
from tests import factories

TODAY = datetime.date(2024, 5, 1)  # 2024 Q1 is due (10 April), Q2 is not
APPROVED, SUBMITTED = ReviewState.APPROVED, ReviewState.SUBMITTED
SENT = datetime.datetime(2024, 4, 5, tzinfo=datetime.UTC)


class World:
    """Five units of one plan, reporting 2024 Q1:

    甲: I1 approved, shared, on track → 100; I2 approved, lead of lead-only, behind → 0; T1 done → 100;
        3 owed, 3 on time; nothing returned.
    乙: I1 approved, shared → 100 (returned once before); T1 lagging → 0; 2 owed, 1 on time + 1 late;
        1 of 2 returned.
    丙: I2 approved, co of lead-only → not counted; T2 not started → 50; 2 owed, 2 on time; none returned.
    丁: I3 not sent → 0; T2 in progress → 100; 2 owed, 1 late; 0 of 1 returned.
    戊: I3 submitted, awaiting review → not ranked.
    """

    def __init__(self, reviewer):
        self.plan = factories.PlanFactory(slug="rank-test")
        region = self.plan.region
        names = ("甲", "乙", "丙", "丁", "戊")
        self.units = {name: factories.UnitFactory(region=region, name=f"{name}局") for name in names}
        self.period = factories.PeriodFactory(year=2024, quarter=1)
        factories.PeriodFactory(year=2024, quarter=2)
        make = factories.IndicatorFactory
        i1 = make(plan=self.plan, name="合计指标")
        i2 = make(plan=self.plan, name="牵头指标", combine=Indicator.Combine.LEAD)
        i3 = make(plan=self.plan, name="丁戊指标")
        u = self.units
        for indicator, unit, lead in [
            (i1, u["甲"], False), (i1, u["乙"], False), (i2, u["甲"], True), (i2, u["丙"], False),
            (i3, u["丁"], False), (i3, u["戊"], False),
        ]:  # fmt: skip
            factories.AssignmentFactory(indicator=indicator, unit=unit, is_lead=lead)
        for indicator, status in [(i1, "on_track"), (i2, "behind"), (i3, "at_risk")]:
            factories.ProgressFactory(indicator=indicator, year=2024, quarter=1, status=status)
        section = factories.SectionFactory(plan=self.plan)
        t1, t2 = factories.TaskFactory(section=section), factories.TaskFactory(section=section)
        for task, unit, position in [(t1, u["甲"], 0), (t1, u["乙"], 1), (t2, u["丙"], 0), (t2, u["丁"], 1)]:
            factories.TaskUnitFactory(task=task, unit=unit, position=position)
        sent = {"period": self.period, "submitted_at": SENT}
        for indicator, unit, state in [
            (i1, u["甲"], APPROVED), (i2, u["甲"], APPROVED), (i2, u["丙"], APPROVED),
            (i3, u["戊"], SUBMITTED),
        ]:  # fmt: skip
            factories.SubmissionFactory(indicator=indicator, unit=unit, state=state, **sent)
        returned = factories.SubmissionFactory(indicator=i1, unit=u["乙"], state=SUBMITTED, **sent)
        review_return(row=returned, by=reviewer, reason="数值与佐证不符")
        Submission.objects.filter(pk=returned.pk).update(state=APPROVED)  # corrected, resubmitted, approved
        for task, unit, status in [
            (t1, u["甲"], "done"), (t1, u["乙"], "lagging"), (t2, u["丙"], "not_started"),
            (t2, u["丁"], "in_progress"),
        ]:  # fmt: skip
            factories.TaskReportFactory(task=task, unit=unit, status=status, state=APPROVED, **sent)
        for unit, owed, on_time, late in [
            (u["甲"], 3, 3, 0), (u["乙"], 2, 1, 1), (u["丙"], 2, 2, 0), (u["丁"], 2, 0, 1),
            (u["戊"], 1, 1, 0),
        ]:  # fmt: skip
            factories.TimelinessFactory(
                plan=self.plan, unit=unit, period=self.period, expected=owed, on_time=on_time, late=late,
                submitted=on_time + late, status=Timeliness.Status.ON_TIME,
            )  # fmt: skip


@pytest.fixture
def world(db, reviewer):
    return World(reviewer)


def table(result):
    return [(unit.unit, unit.rank, unit.score) for unit in result.units]


@time_machine.travel(TODAY, tick=False)
def test_it_ranks_the_small_world_as_computed_by_hand(world):
    result = ranking(world.plan, 2024, 1)
    by_name = {unit.unit: unit for unit in result.units}
    # The parts: results, tasks, timeliness, quality (None: does not apply).
    parts = {name: list(unit.parts.values()) for name, unit in by_name.items()}
    assert parts["甲局"] == [D(50), D(100), D(100), D(100)]
    assert parts["乙局"] == [D(100), D(0), D(75), D(50)]
    assert parts["丙局"] == [None, D(50), D(100), D(100)]
    assert parts["丁局"] == [D(0), D(100), D(25), D(100)]
    assert by_name["甲局"].results.own == 1 and by_name["甲局"].results.shared == 1
    assert by_name["丙局"].results.unjudged == 1
    # Default weights 40/20/25/15:
    # 甲 (40·50 + 20·100 + 25·100 + 15·100) / 100 = 80.0
    # 乙 (40·100 + 0 + 25·75 + 15·50) / 100 = 66.25 → 66.3
    # 丙 (20·50 + 25·100 + 15·100) / 60 = 83.33… → 83.3 (no figure of its own counts: results do not apply)
    # 丁 (0 + 20·100 + 25·25 + 15·100) / 100 = 41.25 → 41.3
    assert table(result) == [
        ("丙局", 1, D("83.3")), ("甲局", 2, D("80.0")), ("乙局", 3, D("66.3")), ("丁局", 4, D("41.3")),
        ("戊局", None, None),
    ]  # fmt: skip
    pending = by_name["戊局"]
    assert pending.state == "pending" and pending.state_label == "1项待审核或已退回，暂不排名"
    assert "1个单位尚有数据待审核或已退回，暂不排名" in result.basis


@time_machine.travel(TODAY, tick=False)
def test_weights_the_office_sets_change_the_ranking_and_are_audited(world, reviewer):
    weights = {"results": 70, "tasks": 10, "timeliness": 10, "quality": 10}
    ranking_weights_set(plan=world.plan, weights=weights, by=reviewer, reason="突出成效", seen=None)
    # 甲 (70·50 + 10·100·3) / 100 = 65.0; 乙 (7000 + 0 + 750 + 500) / 100 = 82.5
    # 丙 (10·50 + 1000 + 1000) / 30 = 83.3; 丁 (0 + 1000 + 250 + 1000) / 100 = 22.5
    assert table(ranking(world.plan, 2024, 1))[:4] == [
        ("丙局", 1, D("83.3")), ("乙局", 2, D("82.5")), ("甲局", 3, D("65.0")), ("丁局", 4, D("22.5")),
    ]  # fmt: skip
    row = RankingWeights.objects.get(plan=world.plan)
    record = AuditRecord.objects.filter(model="assessment.rankingweights", object_id=str(row.pk)).first()
    assert record.history_user == reviewer and record.history_change_reason == "设定考核权重：突出成效"


@time_machine.travel(TODAY, tick=False)
def test_equal_scores_share_a_rank(world):
    Progress.objects.filter(indicator__name="牵头指标").update(status="on_track")
    ranking_weights_set(
        plan=world.plan, weights={"results": 100, "tasks": 0, "timeliness": 0, "quality": 0},
        by=factories.UserFactory(role="reviewer"), reason="只看成效", seen=None,
    )  # fmt: skip
    # 甲 and 乙 both 100 on results; 丙 has no weighted part; 丁 0.
    assert table(ranking(world.plan, 2024, 1)) == [
        ("乙局", 1, D(100)), ("甲局", 1, D(100)), ("丁局", 3, D(0)), ("丙局", None, None),
        ("戊局", None, None),
    ]  # fmt: skip


@time_machine.travel(TODAY, tick=False)
def test_a_quarter_not_yet_due_is_not_ranked_and_a_year_stands_on_its_due_quarters(world):
    assert ranking(world.plan, 2024, 2).units == []
    assert "尚未到报送截止日" in ranking(world.plan, 2024, 2).basis
    year = ranking(world.plan, 2024)
    assert table(year) == table(ranking(world.plan, 2024, 1)) and year.label == "2024年度"


@time_machine.travel(TODAY, tick=False)
def test_its_queries_do_not_grow_with_units(world, django_assert_num_queries):
    with django_assert_num_queries(10):
        ranking(world.plan, 2024, 1)
    indicator = world.plan.indicators.first()
    for _ in range(5):
        unit = factories.UnitFactory(region=world.plan.region)
        factories.AssignmentFactory(indicator=indicator, unit=unit)
        factories.TimelinessFactory(plan=world.plan, unit=unit, period=world.period, status="missing")
    with django_assert_num_queries(10):
        assert len(ranking(world.plan, 2024, 1).units) == 10


def test_the_weights_service_refuses_bad_weights_and_a_stale_version(world, reviewer):
    from django.core.exceptions import ValidationError

    from audit.services import Conflict

    zero = {"results": 0, "tasks": 0, "timeliness": 0, "quality": 0}
    with pytest.raises(ValidationError, match="不能全部为0"):
        ranking_weights_set(plan=world.plan, weights=zero, by=reviewer, reason="试", seen=None)
    with pytest.raises(ValidationError) as error:
        ranking_weights_set(plan=world.plan, weights=zero | {"results": 101}, by=reviewer, reason="试",
                            seen=None)  # fmt: skip
    assert error.value.message_dict["results"] == ["指标成效权重须为0—100的整数。"]
    with pytest.raises(ValidationError, match="请填写修改原因"):
        ranking_weights_set(plan=world.plan, weights=zero | {"results": 1}, by=reviewer, reason=" ",
                            seen=None)  # fmt: skip
    one = zero | {"results": 1}
    ranking_weights_set(plan=world.plan, weights=one, by=reviewer, reason="一", seen=None)
    with pytest.raises(Conflict):
        ranking_weights_set(plan=world.plan, weights=zero | {"results": 2}, by=reviewer, reason="二",
                            seen=0)  # fmt: skip
    assert RankingWeights.objects.get(plan=world.plan).results == 1


# Pages and the API ----------------------------------------------------------------------------------------

API = "/api/plans/rank-test/ranking/"


@time_machine.travel(TODAY, tick=False)
def test_the_api_gives_each_unit_with_rank_score_and_parts(world, leader_client):
    rows = leader_client.get(API, {"year": 2024, "quarter": 1}).json()
    assert [(row["unit"], row["rank"], row["score"], row["state"]) for row in rows] == [
        ("丙局", 1, "83.3000", "ranked"), ("甲局", 2, "80.0000", "ranked"), ("乙局", 3, "66.3000", "ranked"),
        ("丁局", 4, "41.3000", "ranked"), ("戊局", None, None, "pending"),
    ]  # fmt: skip
    parts = rows[0]["parts"]
    assert parts["results"] == {"weight": 40, "score": None, "basis": "已审核计分0项指标，无目标不计1项"}
    assert rows[3]["parts"]["results"]["basis"] == "已审核计分0项指标，未报送1项"
    assert rows[4]["parts"]["tasks"] == {"weight": 20, "score": None, "basis": "本期无应报任务"}
    timeliness = {"weight": 25, "score": "100.0000", "basis": "应报2项：按时2，逾期0，未报送0"}
    assert parts["timeliness"] == timeliness
    assert rows[2]["parts"]["quality"]["basis"] == "已报送2项，被退回1项"
    year = leader_client.get(API, {"year": 2024}).json()
    assert [row["unit"] for row in year] == [row["unit"] for row in rows]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "请提供年度（year），例如 year=2025。"),
        ({"year": "x"}, "年度（year）须为整数，例如 2025。"),
        ({"year": 2023}, "年度（year）须在方案实施期 2024—2026 年之内。"),
        ({"year": 2024, "quarter": 5}, "季度（quarter）须为 1—4 的整数；不填即为全年。"),
        ({"year": 2024, "quarter": "一"}, "季度（quarter）须为 1—4 的整数；不填即为全年。"),
    ],
)
def test_the_api_refuses_a_bad_year_or_quarter_in_chinese(world, leader_client, query, message):
    response = leader_client.get(API, query)
    assert response.status_code == 400
    assert message in str(response.json())


def test_the_api_and_page_are_not_for_reporters(world, reporter_a_client):
    assert reporter_a_client.get(API, {"year": 2024}).status_code == 403
    assert reporter_a_client.get("/plans/rank-test/ranking/").status_code == 403


@time_machine.travel(TODAY, tick=False)
def test_the_page_shows_each_part_with_what_it_stands_on(world, leader_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        response = leader_client.get("/plans/rank-test/ranking/", {"year": 2024, "quarter": 1})
    text = response.content.decode()
    assert response.status_code == 200 and "2024年第一季度" in text
    order = [text.index(name) for name in ("丙局", "甲局", "乙局", "丁局", "戊局")]
    assert order == sorted(order)
    assert "应报3项：按时3，逾期0，未报送0" in text and "1项待审核或已退回，暂不排名" in text
    assert "本单位数据1项，多单位合计1项" in text
    assert "调整权重" not in text  # the leader reads; the office sets weights
    year = leader_client.get("/plans/rank-test/ranking/", {"year": 2024})
    assert year.context["result"].label == "2024年度"
    bad = leader_client.get("/plans/rank-test/ranking/", {"year": 2030})
    assert bad.status_code == 400 and "年度须在方案实施期2024—2026年之内。" in bad.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_the_office_sets_weights_on_its_page_with_a_reason(world, reviewer_client, leader):
    leader_client = Client()
    leader_client.force_login(leader)
    url = "/office/plans/rank-test/ranking-weights/"
    page = reviewer_client.get(url)
    assert "默认值，办公室尚未设定" in page.content.decode()
    bad = reviewer_client.post(url, {"results": 120, "tasks": 10, "timeliness": 10, "quality": 10, "seen": 0})
    assert "权重须为0—100的整数。" in bad.content.decode() and "请填写修改原因。" in bad.content.decode()
    data = {"results": 70, "tasks": 10, "timeliness": 10, "quality": 10, "reason": "突出成效", "seen": 0}
    response = reviewer_client.post(url, data)
    assert response.status_code == 302 and response["Location"] == "/plans/rank-test/ranking/"
    rows = leader_client.get(API, {"year": 2024, "quarter": 1}).json()
    assert [row["unit"] for row in rows[:4]] == ["丙局", "乙局", "甲局", "丁局"]
    stale = reviewer_client.post(url, data | {"results": 60})  # drawn before the first save
    assert "已被他人" in stale.content.decode()
    assert RankingWeights.objects.get(plan=world.plan).results == 70
    assert leader_client.get(url).status_code == 403
    nav = reviewer_client.get("/plans/rank-test/ranking/").content.decode().split("</nav>")[0]
    assert 'class="active">进度看板' in nav and 'class="active">方案维护' not in nav
