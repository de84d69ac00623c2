"""What every API endpoint answers when something is wrong: 401 without a token, a 400 naming a query
parameter it does not read, Chinese JSON 404s, and a schema that documents each of these."""

from __future__ import annotations

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from ipcity.api import NOT_FOUND
from tests import factories
from tests.factories import api_key


@pytest.fixture
def api_a(reporter_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(reporter_a)}")
    return client


@pytest.mark.parametrize(
    "url", ["/api/plans/", "/api/submissions/", "/api/plans/quanzhou-2024-2026/progress/", "/api/schema/"]
)
def test_it_asks_for_a_token_with_401(db, url):
    response = APIClient().get(url)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_the_docs_page_sends_a_person_without_a_session_to_log_in(db):
    response = Client().get("/api/docs/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/api/docs/"


@pytest.mark.parametrize(
    ("url", "unknown"),
    [
        ("/api/submissions/?years=2025", "years"),
        ("/api/plans/?page=2", "page"),
        ("/api/plans/quanzhou-2024-2026/progress/?year=2025&quarter=3&unit=1", "unit"),
    ],
)
def test_it_refuses_a_query_parameter_it_does_not_read(desk, api_a, url, unknown):
    response = api_a.get(url)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"不支持的查询参数：{unknown}（本接口可用的参数：")


@pytest.mark.parametrize("size", ["abc", "0", "1001", "-5"])
def test_it_refuses_a_page_size_out_of_range(desk, api_a, size):
    response = api_a.get(f"/api/submissions/?page_size={size}")
    assert response.status_code == 400
    assert response.json() == {"page_size": ["每页条数（page_size）须为 1—1000 的整数。"]}


def test_it_says_not_found_in_chinese_whether_missing_or_another_units(desk, api_a):
    other = factories.SubmissionFactory(indicator=desk.count, unit=desk.unit_b, period=desk.period)
    for url in (f"/api/submissions/{other.pk}/", "/api/submissions/999999/", "/api/plans/no-such-plan/"):
        response = api_a.get(url)
        assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})


def test_an_unknown_api_path_is_a_json_404(db, api_a):
    response = api_a.get("/api/no-such-endpoint/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert "没有这个接口地址" in response.json()["detail"]


def test_the_schema_documents_every_error_an_operation_can_answer(db):
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            codes, where = set(operation["responses"]), (method, path)
            assert {"400", "401", "503"} <= codes, where
            assert ("415" in codes) == (method in ("post", "put", "patch")), where
            # the lists take a filter naming a row (a unit, an indicator) that may be missing or another's
            listed = (path, method) in {("/api/submissions/", "get"), ("/api/supervision-items/", "get")}
            assert ("404" in codes) == ("{" in path or listed), where
            # writes need a role; the ranking is not for reporters (it ranks other units)
            by_role = path.startswith(("/api/submissions/", "/api/supervision-items/")) and method != "get"
            assert ("403" in codes) == (by_role or path == "/api/plans/{slug}/ranking/"), where
    patch = paths["/api/submissions/{id}/"]["patch"]["responses"]
    assert set(patch) == {"200", "400", "401", "403", "404", "409", "415", "503"}


def test_it_refuses_a_body_it_cannot_read_with_415_in_chinese(desk, api_a):
    response = api_a.post("/api/submissions/", "value=1", content_type="text/plain")
    assert response.status_code == 415
    assert "text/plain" in response.json()["detail"] and "不支持" in response.json()["detail"]
