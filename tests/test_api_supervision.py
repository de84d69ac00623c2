"""The 督办事项 API (issue 14): `GET/POST /api/supervision-items/`, `GET /api/supervision-items/{id}/`,
`POST …/respond|close|return/` — allowed, forbidden (another unit's item is a 404), bad input in Chinese,
a stale version 409, the whole cycle audited."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import AuditRecord
from supervision.models import SupervisionItem
from tests import factories
from tests.factories import api_key

pytestmark = pytest.mark.django_db
DEADLINE = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
    return client


@pytest.fixture
def body(unit_a, unit_b, quanzhou):
    trademarks = quanzhou.indicators.get(code="trademarks")
    return {
        "title": "推进商标注册", "action": "制定措施", "criteria": "提交文件", "deadline": DEADLINE,
        "lead_unit": unit_a.pk, "co_units": [unit_b.pk], "indicator": trademarks.pk,
    }  # fmt: skip


def test_it_runs_the_whole_cycle_through_the_api(leader, reporter_a, reviewer, body, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    created = api(leader).post("/api/supervision-items/", body, format="json")
    assert created.status_code == 201, created.content
    item = created.json()
    assert item["state"] == "issued" and item["lead_unit_name"] == "市知识产权局" and item["overdue"] is False
    url = f"/api/supervision-items/{item['id']}/"
    answer = api(reporter_a).post(
        f"{url}respond/",
        {"text": "已制定", "version": 1, "files": [SimpleUploadedFile("措施.pdf", b"%PDF-1.4\n")]},
        format="multipart",
    )
    assert answer.status_code == 200 and answer.json()["state"] == "answered"
    assert answer.json()["responses"][0]["files"][0]["name"] == "措施.pdf"
    stale = api(reviewer).post(f"{url}close/", {"version": 1}, format="json")
    assert stale.status_code == 409 and "旧版本" in stale.json()["detail"]
    closed = api(reviewer).post(f"{url}close/", {"version": 2}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    reasons = AuditRecord.objects.filter(model="supervision.supervisionitem", object_id=str(item["id"]))
    assert sorted(reasons.values_list("history_change_reason", flat=True)) == [
        "下达督办",
        "办结",
        "反馈办理情况",
    ]


def test_another_units_item_is_404_and_roles_are_kept(leader, reporter_a, reviewer, body, unit_b):
    item = api(leader).post("/api/supervision-items/", {**body, "co_units": []}, format="json").json()
    url = f"/api/supervision-items/{item['id']}/"
    outsider = factories.UserFactory(role="reporter", unit=unit_b, username="outsider")
    assert api(outsider).get(url).status_code == 404
    assert api(outsider).post(f"{url}respond/", {"text": "x"}, format="json").status_code == 404
    assert [row["id"] for row in api(outsider).get("/api/supervision-items/").json()["results"]] == []
    assert api(reporter_a).post("/api/supervision-items/", body, format="json").status_code == 403
    assert api(leader).post(f"{url}close/", {}, format="json").status_code == 403
    assert api(reviewer).post(f"{url}respond/", {"text": "x"}, format="json").status_code == 403
    refused = api(reviewer).post(f"{url}close/", {}, format="json")
    assert refused.status_code == 400 and "已下达" in refused.json()["detail"]


def test_bad_input_is_told_in_chinese_and_nothing_is_written(leader, reporter_a, body):
    bad = api(leader).post(
        "/api/supervision-items/", {**body, "deadline": "2020-01-01", "title": " "}, format="json"
    )
    assert bad.status_code == 400
    assert not SupervisionItem.objects.exists()
    both = api(leader).post("/api/supervision-items/", {**body, "task": 1}, format="json")
    assert both.status_code == 400
    item = api(leader).post("/api/supervision-items/", body, format="json").json()
    fake = api(reporter_a).post(
        f"/api/supervision-items/{item['id']}/respond/",
        {"text": "附件", "files": [SimpleUploadedFile("假.pdf", b"MZ")]},
        format="multipart",
    )
    assert fake.status_code == 400 and "不是有效的PDF" in fake.json()["detail"]
    not_a_file = api(reporter_a).post(
        f"/api/supervision-items/{item['id']}/respond/", {"text": "附件", "files": "x"}, format="json"
    )
    assert not_a_file.status_code == 400 and "multipart" in str(not_a_file.json())
    missing = api(leader).post(f"/api/supervision-items/{item['id']}/return/", {}, format="json")
    assert missing.status_code in (400, 403)


def test_the_list_query_count_does_not_grow(leader, body, django_assert_max_num_queries, unit_a):
    client = api(leader)
    client.post("/api/supervision-items/", body, format="json")
    with CaptureQueriesContext(connection) as first:
        client.get("/api/supervision-items/")
    count = len(first.captured_queries)  # read now: the next request clears Django's query log
    assert 0 < count <= 12
    for _ in range(4):
        client.post("/api/supervision-items/", body, format="json")
    with django_assert_max_num_queries(count):
        assert len(client.get("/api/supervision-items/").json()["results"]) == 5
