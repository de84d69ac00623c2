"""The submissions API: GET/POST /api/submissions/, GET/PATCH /api/submissions/{id}/,
POST /api/submissions/{id}/submit|approve|return|reopen/ — token and session auth, scoped as the pages are."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from reporting.models import Submission
from tests import factories
from tests.factories import api_key

D = Decimal
LIST = "/api/submissions/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
    return client


@pytest.fixture
def api_a(reporter_a):
    return client_for(reporter_a)


@pytest.fixture
def api_b(reporter_b):
    return client_for(reporter_b)


@pytest.fixture
def api_office(reviewer):
    return client_for(reviewer)


@pytest.fixture
def api_leader(leader):
    return client_for(leader)


def draft(desk, indicator=None, unit=None, **values):
    return factories.SubmissionFactory(
        indicator=indicator or desk.count, unit=unit or desk.unit_a, period=desk.period, **values
    )


def sent(desk, **values):
    return draft(
        desk, state="submitted", submitted_at=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC), **values
    )


CREATE = {"plan": "quanzhou-2024-2026", "indicator": "trademarks", "year": 2026, "quarter": 4}


def test_it_answers_token_and_session_auth_and_nobody_else(desk, reporter_a, client):
    # 401 with the scheme to use, so a program knows to authenticate (403 would say "you may not").
    anonymous = APIClient().get(LIST)
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Token"
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get(LIST).status_code == 401
    assert client_for(reporter_a).get(LIST).status_code == 200
    client.force_login(reporter_a)
    assert client.get(LIST).status_code == 200


def test_a_reporter_lists_its_own_units_figures_only(desk, api_a, api_office):
    mine = draft(desk, value=D("70"))
    draft(desk, unit=desk.unit_b, value=D("12"))
    body = api_a.get(LIST).json()
    assert body["count"] == 1 and [row["id"] for row in body["results"]] == [mine.pk]
    assert api_office.get(LIST).json()["count"] == 2


def test_a_figure_reads_with_decimals_as_strings(desk, api_a):
    row = draft(desk, indicator=desk.stock, value=D("88.12"))
    assert api_a.get(f"{LIST}{row.pk}/").json() == {
        "id": row.pk,
        "plan": "quanzhou-2024-2026",
        "indicator": "trademarks",
        "indicator_name": "商标有效注册量",
        "measure": "stock",
        "unit": desk.unit_a.pk,
        "unit_name": "市知识产权局",
        "year": 2026,
        "quarter": 4,
        "value": "88.1200",
        "numerator": None,
        "denominator": None,
        "done": None,
        "note": "",
        "state": "draft",
        "version": 1,
        "is_late": False,
        "submitted_at": None,
        "reviewed_at": None,
        "return_reason": "",
    }


def test_it_filters_by_period_plan_indicator_unit_and_state(desk, api_office):
    draft(desk, value=D(1))
    sent(desk, indicator=desk.stock, value=D(2))
    draft(desk, unit=desk.unit_b, value=D(3))
    factories.SubmissionFactory(indicator=desk.count, unit=desk.unit_a, period=desk.locked, value=D(4))

    def ids(query):
        return sorted(row["value"] for row in api_office.get(f"{LIST}?{query}").json()["results"])

    assert ids("year=2026&quarter=3") == ["4.0000"]
    assert ids("indicator=trademarks") == ["2.0000"]
    assert ids(f"unit={desk.unit_b.pk}") == ["3.0000"]
    assert ids("state=submitted") == ["2.0000"]
    assert ids("plan=zhenjiang-edz-2024-2026") == []
    assert api_office.get(f"{LIST}?state=nonsense").status_code == 400


def test_the_list_reads_a_fixed_number_of_queries(desk, api_office):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_office.get(LIST).status_code == 200
        return len(queries)

    draft(desk, value=D(1))
    few = count()
    for year in (2024, 2025):
        for quarter in (1, 2, 3, 4):
            period = factories.PeriodFactory(year=year, quarter=quarter)
            for indicator in (desk.stock, desk.count):
                factories.SubmissionFactory(indicator=indicator, unit=desk.unit_a, period=period)
    assert count() == few <= 5


def test_a_reporter_creates_a_draft_then_updates_it_with_the_version_it_saw(desk, api_a, reporter_a):
    response = api_a.post(LIST, {**CREATE, "value": "88.1", "note": "含马德里"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["state"], body["value"], body["version"], body["note"]) == (
        "draft",
        "88.1000",
        1,
        "含马德里",
    )
    row = Submission.objects.get()
    assert row.history.first().history_user == reporter_a

    again = api_a.post(LIST, {**CREATE, "value": "88.2"}, format="json")
    assert again.status_code == 409 and "请提供 version" in again.json()["detail"]
    updated = api_a.post(LIST, {**CREATE, "value": "88.2", "version": 1}, format="json")
    assert updated.status_code == 200 and updated.json()["version"] == 2
    assert updated.json()["note"] == "含马德里"  # parts not sent are kept


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"value": "八十八"}, "“八十八”不是数字"),
        ({"value": "-3"}, "数值不能为负数"),
        ({"value": "88.123"}, "最多保留2位小数"),
        ({"value": 88.125}, "最多保留2位小数"),
        ({"value": {"x": 1}}, "不是有效的字符串"),
    ],
)
def test_a_bad_figure_is_refused_in_chinese_and_nothing_is_stored(desk, api_a, body, message):
    response = api_a.post(LIST, {**CREATE, **body}, format="json")
    assert response.status_code == 400
    assert message in str(response.json())
    assert not Submission.objects.exists()


RAW = '{"plan": "quanzhou-2024-2026", "indicator": "trademarks", "year": 2026, "quarter": 4, "value": %s}'
EXPONENT = "不是有效的数字：不能使用科学计数法（e），请写出完整的数字。"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"3,5"', "“3,5”不是有效的数字：千位分隔符只能每三位一组（如 3,500）。"),
        ('"8e1"', f"“8e1”{EXPONENT}"),
        ('"1_0"', "“1_0”不是有效的数字：数字中不能有下划线。"),
        ("8e1", f"“8e1”{EXPONENT}"),  # a JSON number, as sent
        ("8.5E+1", f"“8.5E+1”{EXPONENT}"),
        ("NaN", "“NaN”不是有效的数字，请填写具体数值。"),
        ("-Infinity", "“-Infinity”不是有效的数字，请填写具体数值。"),
    ],
)
def test_a_malformed_number_is_refused_quoting_what_was_sent(desk, api_a, value, message):
    """The body as a client writes it: JSON numbers are judged as sent, not as the float they would be."""
    response = api_a.post(LIST, RAW % value, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": f"商标有效注册量：数值：{message}"}
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("value", "stored"),
    [('"3,500"', "3500.0000"), ('"1,234.5"', "1234.5000"), ('"１２．５"', "12.5000"), ("88.25", "88.2500"),
     ("88", "88.0000"), ('" 7 "', "7.0000")],
)  # fmt: skip
def test_a_well_formed_number_is_stored_as_written(desk, api_a, value, stored):
    response = api_a.post(LIST, RAW % value, content_type="application/json")
    assert response.status_code == 201 and response.json()["value"] == stored


def test_a_patch_refuses_a_malformed_number_and_keeps_the_stored_one(desk, api_a):
    row = draft(desk, indicator=desk.stock, value=D("88.1"))
    response = api_a.patch(
        f"{LIST}{row.pk}/", '{"value": "35,00", "version": 1}', content_type="application/json"
    )
    assert response.status_code == 400 and "“35,00”不是有效的数字" in response.json()["detail"]
    row.refresh_from_db()
    assert (row.value, row.version) == (D("88.1"), 1)


def test_malformed_json_is_refused_in_chinese(desk, api_a):
    response = api_a.post(LIST, '{"value": ', content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"].startswith("JSON格式错误")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({**CREATE, "indicator": "no-such"}, "indicator", "该方案中没有此指标"),
        ({**CREATE, "quarter": 5}, "quarter", "请确保该值小于或者等于 4"),
        ({**CREATE, "year": 2031}, "quarter", "没有该填报期"),
        ({"value": "1"}, "plan", "该字段是必填项"),
    ],
)
def test_bad_create_input_gets_field_errors(desk, api_a, body, field, message):
    response = api_a.post(LIST, body, format="json")
    assert response.status_code == 400 and message in str(response.json()[field])


def test_an_unassigned_indicator_is_refused(desk, api_b):
    response = api_b.post(LIST, {**CREATE, "value": "1"}, format="json")
    assert response.status_code == 400 and "本单位未被分配填报该指标" in response.json()["detail"]


def test_an_empty_new_figure_is_refused_and_nothing_is_stored(desk, api_a):
    # Found by tests/test_api_fuzz.py: the service writes no empty row, and the view then looked it up (500).
    for body in (CREATE, {**CREATE, "indicator": "demonstration-city", "denominator": "9"}):
        response = api_a.post(LIST, body, format="json")
        assert response.status_code == 400 and response.json()["detail"].startswith("没有可保存的内容")
    assert not Submission.objects.exists()


def test_a_ratio_and_a_milestone_take_their_own_parts(desk, api_a):
    ratio = {"plan": "zhenjiang-edz-2024-2026", "indicator": "case-closure-rate", "year": 2026, "quarter": 4}
    assert (
        "不能大于"
        in api_a.post(LIST, {**ratio, "numerator": "11", "denominator": "10"}, format="json").json()["detail"]
    )
    assert (
        api_a.post(LIST, {**ratio, "numerator": "9", "denominator": "10"}, format="json").status_code == 201
    )
    milestone = {**CREATE, "indicator": "demonstration-city"}
    assert api_a.post(LIST, {**milestone, "done": True}, format="json").json()["done"] is True


def test_patch_needs_the_version_and_a_stale_one_is_a_409(desk, api_a):
    row = draft(desk, value=D(70))
    url = f"{LIST}{row.pk}/"
    missing = api_a.patch(url, {"value": "71"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()
    assert api_a.patch(url, {"value": "71", "version": 1}, format="json").json()["version"] == 2
    stale = api_a.patch(url, {"value": "72", "version": 1}, format="json")
    assert (
        stale.status_code == 409
        and "已被他人" in stale.json()["detail"]
        and "本次保存未生效" in stale.json()["detail"]
    )
    assert Submission.objects.get().value == D(71)


def test_patch_refuses_a_figure_already_submitted(desk, api_a):
    row = sent(desk, value=D(70))
    response = api_a.patch(f"{LIST}{row.pk}/", {"value": "71", "version": row.version}, format="json")
    assert response.status_code == 400 and "“已报送”，不能修改" in response.json()["detail"]


def test_a_reporter_submits_one_figure_with_the_checks_of_a_whole_quarter(desk, api_a):
    factories.SubmissionFactory(
        indicator=desk.count, unit=desk.unit_a, period=desk.locked, state="approved", value=D(75),
        submitted_at=datetime.datetime(2026, 10, 5, tzinfo=datetime.UTC),
    )  # fmt: skip
    row = draft(desk, value=D(70))
    url = f"{LIST}{row.pk}/submit/"
    falling = api_a.post(url, {}, format="json")
    assert falling.status_code == 400 and "较上期（75件）下降，请在说明中解释原因" in falling.json()["detail"]
    api_a.patch(f"{LIST}{row.pk}/", {"note": "2件被撤销", "version": 1}, format="json")
    assert api_a.post(url, {"version": 1}, format="json").status_code == 409
    response = api_a.post(url, {"version": 2}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    assert api_a.post(url, {}, format="json").json()["detail"].endswith("“已报送”，不能重复报送。")


def test_an_empty_figure_cannot_be_submitted(desk, api_a):
    row = draft(desk, value=None)
    assert "请填写数值" in api_a.post(f"{LIST}{row.pk}/submit/", {}, format="json").json()["detail"]


def test_the_office_approves_returns_and_reopens(desk, api_office, reviewer):
    row = sent(desk, value=D(70))
    assert api_office.post(f"{LIST}{row.pk}/return/", {}, format="json").json()["reason"]
    returned = api_office.post(f"{LIST}{row.pk}/return/", {"reason": "请核实", "version": 1}, format="json")
    assert returned.status_code == 200
    assert (returned.json()["state"], returned.json()["return_reason"]) == ("returned", "请核实")
    assert "不能审核通过" in api_office.post(f"{LIST}{row.pk}/approve/", {}, format="json").json()["detail"]
    other = sent(desk, indicator=desk.stock, value=D(88))
    assert api_office.post(f"{LIST}{other.pk}/approve/", {}, format="json").json()["state"] == "approved"
    reopened = api_office.post(f"{LIST}{other.pk}/reopen/", {"reason": "统计局更正"}, format="json")
    assert reopened.json()["state"] == "returned"
    assert api_office.post(f"{LIST}{other.pk}/approve/", {"version": 1}, format="json").status_code == 409


def test_another_units_figure_is_a_404_everywhere(desk, api_b):
    row = sent(desk, value=D(70))
    assert api_b.get(f"{LIST}{row.pk}/").status_code == 404
    assert api_b.patch(f"{LIST}{row.pk}/", {"value": "1", "version": 1}, format="json").status_code == 404
    assert api_b.post(f"{LIST}{row.pk}/submit/", {}, format="json").status_code == 404


def test_the_leader_reads_and_writes_nothing(desk, api_leader):
    row = sent(desk, value=D(70))
    assert api_leader.get(f"{LIST}{row.pk}/").status_code == 200
    for method, url, body in (
        ("post", LIST, {**CREATE, "value": "1"}),
        ("patch", f"{LIST}{row.pk}/", {"value": "1", "version": 1}),
        ("post", f"{LIST}{row.pk}/submit/", {}),
        ("post", f"{LIST}{row.pk}/approve/", {}),
        ("post", f"{LIST}{row.pk}/return/", {"reason": "x"}),
    ):
        response = getattr(api_leader, method)(url, body, format="json")
        assert response.status_code == 403 and response.json()["detail"] == "您的角色无权执行此操作。"
    assert Submission.objects.get().state == "submitted"


def test_reporters_do_not_review_and_reviewers_do_not_fill_in(desk, api_a, api_office):
    row = sent(desk, value=D(70))
    assert api_a.post(f"{LIST}{row.pk}/approve/", {}, format="json").status_code == 403
    assert (
        api_office.patch(f"{LIST}{row.pk}/", {"value": "1", "version": 1}, format="json").status_code == 403
    )
    assert api_office.post(LIST, {**CREATE, "value": "1"}, format="json").status_code == 403


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    for path in (
        "/api/submissions/{id}/submit/",
        "/api/submissions/{id}/return/",
        "/api/submissions/{id}/reopen/",
    ):
        assert path in schema


def test_the_api_docs_say_what_to_enter_for_each_kind_as_the_form_does(db):
    from drf_spectacular.generators import SchemaGenerator

    from indicators.measures import MEASURES

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("SubmissionCreateInput", "PatchedSubmissionPatchInput"):
        fields = schemas[name]["properties"]
        value = fields["value"]["description"]
        for key in ("stock", "flow", "cumulative", "per_capita"):
            assert f"{key} {MEASURES[key].label}：{MEASURES[key].asks_for}" in value
        assert "本季度新增数（系统自动累计）" in value
        assert "系统按当年常住人口（万人）折算为每万人口数" in value
        assert "不接受科学计数法（8e1）、下划线（1_0）、不成组的逗号（3,5）" in value
        assert "分子和分母，系统按Σ分子/Σ分母计算比率" in fields["numerator"]["description"]
        assert "是否已完成" in fields["done"]["description"]


def test_a_save_into_a_locked_quarter_is_an_error_and_stores_nothing(desk, api_a):
    """Issue 17: the page's refusal looked like a success; the API's is an error too (400, the lock named)."""
    draft = factories.SubmissionFactory(
        indicator=desk.count, unit=desk.unit_a, period=desk.locked, value=D(4)
    )
    created = api_a.post(LIST, {**CREATE, "year": 2026, "quarter": 3, "value": "88"}, format="json")
    changed = api_a.patch(f"{LIST}{draft.pk}/", {"value": "5", "version": draft.version}, format="json")
    for response in (created, changed):
        assert response.status_code == 400
        assert "2026年第三季度已于2026年10月30日锁定，不能再填报" in response.json()["detail"]
    assert list(Submission.objects.values_list("value", flat=True)) == [D(4)]
