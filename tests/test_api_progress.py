"""GET /api/plans/{slug}/progress/?year=Y&quarter=Q — the fields of PRODUCT.md, read through progress_for."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
import time_machine

from progress.rollup import rollup_full
from progress.selectors import progress_for
from tests import factories

ZJ = "/api/plans/zhenjiang-edz-2024-2026/progress/"
FIELDS = {
    "indicator", "name", "year", "quarter", "actual", "target_min", "target_max", "completion", "expected",
    "status", "forecast", "needed_per_quarter", "forecast_basis", "coverage", "complete_through",
}  # fmt: skip
NOBODY_OWES = {"owed": 0, "approved": 0, "awaiting_review": 0, "returned": 0, "missing": 0}


@pytest.fixture
def rolled_up(zhenjiang):
    unit = factories.UnitFactory(region=zhenjiang.region)
    trademarks = zhenjiang.indicators.get(code="new-trademarks")
    for quarter, value in {1: 30, 2: 40}.items():
        factories.ApprovedSubmissionFactory(
            indicator=trademarks, unit=unit, period__year=2024, period__quarter=quarter, value=D(value)
        )
    rollup_full(plan=zhenjiang)
    return zhenjiang


def test_it_lists_every_indicator_s_progress_in_document_order(leader_client, rolled_up):
    body = leader_client.get(ZJ, {"year": 2024, "quarter": 2}).json()
    assert len(body) == 23 and all(set(row) == FIELDS for row in body)
    assert [row["indicator"] for row in body[:3]] == [
        "hv-invention-patents",
        "new-trademarks",
        "enforcement-actions",
    ]
    # 30 + 40 new trademarks by Q2 of a year aiming at 150: pace 75, 46.6667% of the target.
    assert body[1] == {
        "indicator": "new-trademarks",
        "name": "新增注册商标",
        "year": 2024,
        "quarter": 2,
        "actual": "70.0000",
        "target_min": "150.0000",
        "target_max": None,
        "completion": "46.6667",
        "expected": "75.0000",
        "status": "on_track",
        "forecast": "420.0000",
        "needed_per_quarter": "43.0000",
        "forecast_basis": 2,
        "coverage": NOBODY_OWES,  # the loaded plan assigns nobody: nothing is owed, nothing is partial
        "complete_through": {"year": 2024, "quarter": 2},
    }
    assert body[0]["status"] == "no_data" and body[0]["actual"] is None


@pytest.fixture
def partly_reported(zhenjiang):
    """New trademarks owed by two units: both approved 2024 Q1, only one sent Q2 (still awaiting review).
    Enforcement actions owed by a unit that never reported. Rolled up on 2024-08-01, after Q2 was due."""
    first, second = (factories.UnitFactory(region=zhenjiang.region) for _ in range(2))
    trademarks = zhenjiang.indicators.get(code="new-trademarks")
    for unit in (first, second):
        factories.AssignmentFactory(indicator=trademarks, unit=unit)
        factories.ApprovedSubmissionFactory(
            indicator=trademarks, unit=unit, period__year=2024, period__quarter=1, value=D(20)
        )
    factories.SubmissionFactory(
        indicator=trademarks, unit=first, period=factories.PeriodFactory(year=2024, quarter=2), value=D(30),
        state="submitted", submitted_at=datetime.datetime(2024, 7, 5, tzinfo=datetime.UTC),
    )  # fmt: skip
    factories.AssignmentFactory(indicator=zhenjiang.indicators.get(code="enforcement-actions"), unit=first)
    with time_machine.travel(datetime.datetime(2024, 8, 1, tzinfo=datetime.UTC), tick=False):
        rollup_full(plan=zhenjiang)
    return zhenjiang


def test_a_partial_row_says_what_it_stands_on(leader_client, partly_reported):
    body = {row["indicator"]: row for row in leader_client.get(ZJ, {"year": 2024, "quarter": 2}).json()}
    trademarks = body["new-trademarks"]
    assert trademarks["coverage"] == {
        "owed": 2,
        "approved": 0,
        "awaiting_review": 1,
        "returned": 0,
        "missing": 1,
    }
    assert trademarks["complete_through"] == {"year": 2024, "quarter": 1}
    # Q1's 40 of the two units, running towards 150 by the year's end: the forecast stands on one quarter.
    assert (trademarks["actual"], trademarks["forecast_basis"]) == ("40.0000", 1)
    q1 = {row["indicator"]: row for row in leader_client.get(ZJ, {"year": 2024, "quarter": 1}).json()}
    assert q1["new-trademarks"]["coverage"]["approved"] == 2
    assert q1["new-trademarks"]["complete_through"] == {"year": 2024, "quarter": 1}


def test_a_row_with_no_complete_quarter_has_no_complete_through(leader_client, partly_reported):
    body = {row["indicator"]: row for row in leader_client.get(ZJ, {"year": 2024, "quarter": 2}).json()}
    actions = body["enforcement-actions"]
    assert actions["complete_through"] is None and actions["forecast_basis"] is None
    assert actions["coverage"] == {**NOBODY_OWES, "owed": 1, "missing": 1}  # Q2 was due on 07-10
    # The total computed from it stands on the same figures.
    assert body["enforcement-actions-total"]["complete_through"] is None


def test_its_rows_are_the_progress_rows_the_dashboards_and_the_report_show(leader_client, rolled_up):
    """The overview and the exported report are tested against progress_for; this closes the chain."""
    body = leader_client.get(ZJ, {"year": 2024, "quarter": 2}).json()
    rows = list(progress_for(rolled_up, 2024, 2))
    assert [item["indicator"] for item in body] == [row.indicator.code for row in rows]
    for item, row in zip(body, rows, strict=True):
        assert item["status"] == row.status
        for field in ("actual", "target_min", "target_max", "completion", "expected", "forecast"):
            figure = getattr(row, field)
            assert item[field] == (None if figure is None else f"{figure:.4f}"), (row.indicator.code, field)


def test_any_signed_in_user_may_read_it(reporter_a_client, rolled_up):
    assert reporter_a_client.get(ZJ, {"year": 2024, "quarter": 2}).status_code == 200


def test_it_refuses_anonymous_callers(client, rolled_up):
    assert client.get(ZJ, {"year": 2024, "quarter": 2}).status_code in (401, 403)


def test_it_answers_404_for_an_unknown_plan(leader_client, plans):
    assert leader_client.get("/api/plans/nowhere/progress/", {"year": 2024, "quarter": 1}).status_code == 404


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"quarter": 1}, "year", "请提供年度（year），例如 year=2025。"),
        ({"year": "二〇二四", "quarter": 1}, "year", "年度（year）须为整数，例如 2025。"),
        ({"year": 2030, "quarter": 1}, "year", "年度（year）须在方案实施期 2024—2026 年之内。"),
        ({"year": 2024}, "quarter", "请提供季度（quarter），取值 1—4。"),
        ({"year": 2024, "quarter": 5}, "quarter", "季度（quarter）须为 1—4 的整数。"),
        ({"year": 2024, "quarter": 0}, "quarter", "季度（quarter）须为 1—4 的整数。"),
        ({"year": 2024, "quarter": "Q1"}, "quarter", "季度（quarter）须为 1—4 的整数。"),
    ],
)
def test_it_explains_a_bad_year_or_quarter_in_chinese(leader_client, plans, query, field, message):
    response = leader_client.get(ZJ, query)
    assert response.status_code == 400
    assert response.json()[field] == [message]


def test_a_quarter_not_rolled_up_yet_is_an_empty_list(leader_client, plans):
    assert leader_client.get(ZJ, {"year": 2026, "quarter": 4}).json() == []


def test_it_pins_its_query_count(leader_client, rolled_up, django_assert_max_num_queries):
    # session, user, plan, progress rows with their indicators
    with django_assert_max_num_queries(4):
        assert leader_client.get(ZJ, {"year": 2024, "quarter": 2}).status_code == 200


def test_the_schema_describes_it(leader_client, plans):
    schema = leader_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/plans/{slug}/progress/"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} >= {"slug", "year", "quarter"}
    schemas = schema["components"]["schemas"]
    assert set(schemas["ProgressOutput"]["properties"]) == FIELDS
    coverage = schemas["ProgressOutput"]["properties"]["coverage"]
    assert coverage["allOf"][0]["$ref"] == "#/components/schemas/CoverageOutput"
    assert set(schemas["CoverageOutput"]["properties"]) == set(NOBODY_OWES)
    assert all(field["type"] == "integer" for field in schemas["CoverageOutput"]["properties"].values())
    through = schemas["ProgressOutput"]["properties"]["complete_through"]
    assert through["nullable"] is True and set(schemas["QuarterOutput"]["properties"]) == {"year", "quarter"}
