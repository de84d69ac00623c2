"""GET /api/plans/, /api/plans/{slug}/, /api/plans/{slug}/indicators/ — the field names of PRODUCT.md."""

from __future__ import annotations

import pytest

from tests import factories
from tests.factories import api_key

QZ = "/api/plans/quanzhou-2024-2026/"
ZJ = "/api/plans/zhenjiang-edz-2024-2026/"


@pytest.fixture
def api(client, plans):
    client.force_login(factories.UserFactory(role="leader"))
    return client


def test_it_lists_both_plans(api):
    body = api.get("/api/plans/").json()
    assert [plan["slug"] for plan in body] == ["quanzhou-2024-2026", "zhenjiang-edz-2024-2026"]
    assert body[0] == {
        "slug": "quanzhou-2024-2026",
        "title": "泉州市国家知识产权强市建设示范城市工作方案(2024-2026年)",
        "region": "泉州市",
        "start_year": 2024,
        "end_year": 2026,
        "issuer": "泉州市人民政府",
        "issued_on": "2024-02-28",
    }
    assert body[1]["issued_on"] is None


def test_it_shows_a_plan_with_sections_tasks_and_units(api):
    body = api.get(QZ).json()
    assert len(body["sections"]) == 5
    assert sum(len(section["tasks"]) for section in body["sections"]) == 18
    finance = body["sections"][1]["tasks"][0]
    assert (finance["number"], finance["title"]) == (1, "强化金融力量支撑")
    assert finance["units"] == [
        {"name": "市知识产权局", "role": "lead"},
        {"name": "市金融监管局", "role": "co"},
        {"name": "中国人民银行泉州市分行", "role": "co"},
        {"name": "国家金融监督管理总局泉州监管分局", "role": "co"},
    ]
    zhenjiang = api.get(ZJ).json()
    assert [len(section["tasks"]) for section in zhenjiang["sections"]] == [2, 3, 4, 3, 2, 3]
    assert zhenjiang["sections"][0]["tasks"][0]["units"] == []


def test_it_lists_indicators_with_baseline_and_targets(api):
    body = {row["code"]: row for row in api.get(QZ + "indicators/").json()}
    trademarks = body["trademarks"]
    assert set(trademarks) == {
        "code", "name", "unit", "measure", "category", "baseline", "targets", "definition",
    }  # fmt: skip
    assert trademarks["baseline"]["year"] == 2021
    assert trademarks["baseline"]["value"] == "64.2800"
    assert [(t["year"], t["comparator"], t["min"], t["origin"]) for t in trademarks["targets"]] == [
        (2024, "gte", "78.5100", "derived"),
        (2025, "gte", "83.2600", "derived"),
        (2026, "gte", "88.0000", "document"),
    ]
    assert body["hv-invention-patents-per-10k"]["baseline"] is None
    assert body["patent-pledge-financing"]["targets"][0]["comparator"] == "growth"


def test_it_gives_each_indicator_its_definition(api):
    body = {row["code"]: row for row in api.get(QZ + "indicators/").json()}
    copyright_ = body["copyright-registrations"]["definition"]
    assert copyright_["pending"] is True and "从哪一年开始累计" in copyright_["counts_from"]
    assert "自哪一年起累计" in copyright_["question"]
    assert "版权登记量达到70万件" in copyright_["source"]
    trademarks = body["trademarks"]["definition"]
    assert (trademarks["pending"], trademarks["question"]) == (False, "")
    assert (
        body["hv-invention-patents-per-10k"]["definition"]["comparable_key"] == "hv-invention-patents-owned"
    )


def test_it_states_cumulative_targets_cumulatively(api):
    body = {row["code"]: row for row in api.get(ZJ + "indicators/").json()}
    trademarks = body["new-trademarks"]
    assert trademarks["measure"] == "cumulative"
    assert [t["min"] for t in trademarks["targets"]] == ["150.0000", "350.0000", "500.0000"]
    meetings = body["pledge-matchmaking-events"]["targets"][0]
    assert (meetings["comparator"], meetings["min"], meetings["max"]) == ("between", "1.0000", "2.0000")


def test_it_answers_404_for_an_unknown_plan(api):
    assert api.get("/api/plans/nowhere/").status_code == 404
    assert api.get("/api/plans/nowhere/indicators/").status_code == 404


@pytest.mark.parametrize("url", ["/api/plans/", QZ, QZ + "indicators/"])
def test_it_refuses_anonymous_callers(client, plans, url):
    assert client.get(url).status_code in (401, 403)


def test_it_accepts_a_token(client, plans):

    key = api_key(factories.UserFactory(role="leader"))
    response = client.get("/api/plans/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


@pytest.mark.parametrize(("url", "queries"), [("/api/plans/", 3), (QZ, 7), (QZ + "indicators/", 7)])
def test_it_pins_query_counts(api, django_assert_max_num_queries, url, queries):
    with django_assert_max_num_queries(queries):
        assert api.get(url).status_code == 200


def test_the_schema_describes_the_plan_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    assert {"/api/plans/", "/api/plans/{slug}/", "/api/plans/{slug}/indicators/"} <= set(schema["paths"])
    indicator = schema["components"]["schemas"]["IndicatorOutput"]["properties"]
    assert set(indicator) == {
        "code", "name", "unit", "measure", "category", "baseline", "targets", "definition",
    }  # fmt: skip
    definition = schema["components"]["schemas"]["DefinitionOutput"]["properties"]
    assert set(definition) == {"text", "counts_from", "source", "pending", "question", "comparable_key"}


def test_the_docs_page_loads_its_assets_from_our_own_static_files(api):
    html = api.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
