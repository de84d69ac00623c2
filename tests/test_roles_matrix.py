"""Every role against every reporting page and API endpoint, on the own unit's objects (reporter A) and on
another unit's (reporter B): who gets in, who is refused (403), who is told nothing exists (404)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from plans.models import Task
from reporting.models import Evidence
from tests import factories
from tests.factories import api_key

ROLES = ["anonymous", "reporter_a", "reporter_b", "reviewer", "leader", "admin"]
SENT = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)

LOGIN, OK, MOVED, CREATED, REFUSED, UNAUTHENTICATED, DENIED, MISSING = 302, 200, 302, 201, 400, 401, 403, 404


def row(*codes):
    return dict(zip(ROLES, codes, strict=True))


#                     anonymous reporter_a reporter_b reviewer leader admin
REPORTER_PAGE = row(LOGIN, OK, OK, DENIED, DENIED, DENIED)
OFFICE_PAGE = row(LOGIN, DENIED, DENIED, OK, DENIED, OK)
OFFICE_POST = row(LOGIN, DENIED, DENIED, MOVED, DENIED, MOVED)
UNIT_ITEM = row(LOGIN, OK, MISSING, OK, OK, OK)
API_READ = row(UNAUTHENTICATED, OK, OK, OK, OK, OK)
API_ITEM = row(UNAUTHENTICATED, OK, MISSING, OK, OK, OK)
API_FILL = row(UNAUTHENTICATED, OK, MISSING, DENIED, DENIED, DENIED)
API_REVIEW = row(UNAUTHENTICATED, DENIED, DENIED, OK, DENIED, OK)

PAGES = {
    ("GET", "/report/"): REPORTER_PAGE,
    ("GET", "/report/history/"): REPORTER_PAGE,
    ("GET", "/review/"): OFFICE_PAGE,
    ("GET", "/review/2026-4/{unit_a}/"): OFFICE_PAGE,
    ("POST", "/review/submission/{sent}/approve/"): OFFICE_POST,
    ("POST", "/review/submission/{sent}/return/"): OFFICE_POST,
    ("POST", "/review/submission/{approved}/reopen/"): OFFICE_POST,
    ("POST", "/review/task-report/{report}/approve/"): OFFICE_POST,
    ("POST", "/review/2026-4/{unit_a}/approve-all/"): OFFICE_POST,
    ("GET", "/submissions/{draft}/"): UNIT_ITEM,
    ("GET", "/task-reports/{report}/"): UNIT_ITEM,
    ("GET", "/evidence/{evidence}/"): UNIT_ITEM,
    ("GET", "/office/periods/"): OFFICE_PAGE,
    ("GET", "/office/periods/2026-4/"): OFFICE_PAGE,
    ("GET", "/office/assignments/"): OFFICE_PAGE,
    ("GET", "/office/assignments/indicator/{indicator}/"): OFFICE_PAGE,
    ("GET", "/office/assignments/task/{zj_task}/"): OFFICE_PAGE,
}
API = {
    ("GET", "/api/submissions/"): API_READ,
    # Reporter B is not assigned unit A's milestone: refused as bad input, nothing written.
    ("POST", "/api/submissions/"): row(UNAUTHENTICATED, CREATED, REFUSED, DENIED, DENIED, DENIED),
    ("GET", "/api/submissions/{draft}/"): API_ITEM,
    ("PATCH", "/api/submissions/{draft}/"): API_FILL,
    ("POST", "/api/submissions/{draft}/submit/"): API_FILL,
    ("POST", "/api/submissions/{sent}/approve/"): API_REVIEW,
    ("POST", "/api/submissions/{sent}/return/"): API_REVIEW,
    ("POST", "/api/submissions/{approved}/reopen/"): API_REVIEW,
}
CASES = [(kind, method, path, role, codes[role]) for kind, table in (("page", PAGES), ("api", API))
         for (method, path), codes in table.items() for role in ROLES]  # fmt: skip


@pytest.fixture
def objects(desk, zhenjiang):
    """Unit A's draft (地理标志, 70), submitted (商标, 88) and approved (结案率) figures, a submitted task
    report and an evidence file on the draft."""
    draft = factories.SubmissionFactory(
        indicator=desk.count, unit=desk.unit_a, period=desk.period, value=Decimal(70)
    )
    sent = factories.SubmissionFactory(
        indicator=desk.stock, unit=desk.unit_a, period=desk.period, value=Decimal(88), state="submitted",
        submitted_at=SENT,
    )  # fmt: skip
    approved = factories.SubmissionFactory(
        indicator=desk.ratio, unit=desk.unit_a, period=desk.period, value=None, numerator=Decimal(9),
        denominator=Decimal(10), state="approved", submitted_at=SENT,
    )  # fmt: skip
    report = factories.TaskReportFactory(
        task=desk.unit_a.tasks.first(),
        unit=desk.unit_a,
        period=desk.period,
        state="submitted",
        submitted_at=SENT,
    )
    evidence = Evidence.objects.create(
        submission=draft, name="通知.pdf", size=9, uploaded_by=factories.UserFactory(username="uploader"),
        file=ContentFile(b"%PDF-1.4\n", name="e.pdf"),
    )  # fmt: skip
    return {
        "draft": draft.pk, "sent": sent.pk, "approved": approved.pk, "report": report.pk,
        "evidence": evidence.pk, "unit_a": desk.unit_a.pk, "indicator": desk.count.pk,
        "zj_task": Task.objects.get(section__plan=zhenjiang, number=1).pk,
    }  # fmt: skip


BODIES = {
    "/api/submissions/": {"plan": "quanzhou-2024-2026", "indicator": "demonstration-city", "year": 2026,
                          "quarter": 4, "done": True},
    "/api/submissions/{draft}/": {"value": "71", "version": 1},
    "/review/submission/{sent}/return/": {"reason": "请核实"},
    "/review/submission/{approved}/reopen/": {"reason": "更正"},
    "/api/submissions/{sent}/return/": {"reason": "请核实"},
    "/api/submissions/{approved}/reopen/": {"reason": "更正"},
}  # fmt: skip


@pytest.mark.parametrize(("kind", "method", "path", "role", "expected"), CASES)
def test_each_role_on_each_endpoint(request, objects, kind, method, path, role, expected):
    user = None if role == "anonymous" else request.getfixturevalue(role if role != "admin" else "admin_user")
    body = BODIES.get(path, {}) if method != "GET" else {}  # a GET's data would become query parameters
    url = path.format(**objects)
    if kind == "page":
        client = request.getfixturevalue("client")
        if user:
            client.force_login(user)
        response = client.get(url) if method == "GET" else client.post(url, body)
    else:
        client = APIClient()
        if user:
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
        response = getattr(client, method.lower())(url, body, format="json")
    assert response.status_code == expected, (role, method, url, getattr(response, "content", b"")[:300])
    if expected == LOGIN and role == "anonymous":
        assert response["Location"].startswith("/login/")


def test_the_matrix_covers_every_role_on_every_endpoint():
    assert len(CASES) == len(ROLES) * (len(PAGES) + len(API)) == 150
