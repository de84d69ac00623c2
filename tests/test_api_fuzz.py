"""schemathesis against our own /api/schema/: every operation, as a reporter (token of unit A) and as the
office (a reviewer's token), with a bounded number of generated requests each. Zero server errors, and every
answer — status code, content type, headers, body — as the schema says.

The schema is the one /api/schema/ serves (`test_it_fuzzes_the_schema_the_app_serves`), generated when the
module is collected because schemathesis makes one test per operation then. The requests go to Django's WSGI
handler in-process: no server runs, and the app answers inside the test's transaction, on the standing world
of the permission matrix (tests/matrix_world.py: draft, submitted and approved figures of two units, task
reports, rolled-up progress). Each request runs in a savepoint rolled back afterwards, so examples do not
depend on one another.

IPCITY_FUZZ_EXAMPLES raises the number of generated requests per operation (default 25) for a deeper run.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from rest_framework.test import APIClient
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from plans.models import Plan
from progress.rollup import rollup_full
from reporting.models import Submission
from tests import matrix_world
from tests.factories import api_key

EXAMPLES = int(os.environ.get("IPCITY_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = ["reporter_a", "reviewer"]


def served_schema() -> dict:
    """What GET /api/schema/ answers, as JSON data."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(served_schema())


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), matrix_world.standing(tmp_path_factory.mktemp("media")) as built:
        rollup_full()  # progress rows for /api/plans/{slug}/progress/
        yield built


@pytest.fixture
def app():
    """Django's WSGI handler, answering inside the test's transaction. A real handler closes the database
    connection when a request starts and ends (close_old_connections), which would end that transaction;
    Django's test client holds these two receivers back in the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=ROLES)
def token(request, db, world):
    return api_key(world.users[request.param])


def test_it_fuzzes_the_schema_the_app_serves(token):
    response = APIClient().get("/api/schema/?format=json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and json.loads(response.content) == served_schema()


@pytest.fixture
def targets(world):
    """Real rows and values to aim generated requests at, so most of them get past the 404s into the rules."""
    return {
        "ids": sorted(Submission.objects.values_list("pk", flat=True)),
        "slugs": sorted(Plan.objects.values_list("slug", flat=True)),
        "indicators": [("quanzhou-2024-2026", "demonstration-city"), ("quanzhou-2024-2026", "trademarks"),
                       ("zhenjiang-edz-2024-2026", "case-closure-rate")],
    }  # fmt: skip


def _number(value) -> int | None:
    """A generated number as an int (the coverage phase sends path parameters as strings), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    return None


def aim(case, targets) -> None:
    """Point three generated values in four at what exists (a submission id, a plan slug, a plan year and
    quarter, an assigned indicator, the row's current version); the fourth, and anything that is not a
    number where one is expected, stays as generated, to miss."""
    path = case.path_parameters or {}
    if (n := _number(path.get("id"))) is not None and n % 4 != 3:
        path["id"] = targets["ids"][n % len(targets["ids"])]
    if isinstance(path.get("slug"), str) and len(path["slug"]) % 4 != 3:
        path["slug"] = targets["slugs"][len(path["slug"]) % len(targets["slugs"])]
    query = case.query or {}
    if (n := _number(query.get("year"))) is not None and n % 4 != 3:
        query["year"] = 2024 + n % 3
    if (n := _number(query.get("quarter"))) is not None and n % 4 != 3:
        query["quarter"] = 1 + n % 4
    body = case.body if isinstance(case.body, dict) else {}
    if isinstance(body.get("indicator"), str) and len(body["indicator"]) % 4 != 3:
        body["plan"], body["indicator"] = targets["indicators"][len(body["indicator"]) % 3]
        body["year"], body["quarter"] = 2026, 4
    if (n := _number(body.get("version"))) is not None and n % 4 != 3 and isinstance(path.get("id"), int):
        body["version"] = Submission.objects.filter(pk=path["id"]).values_list("version", flat=True).first()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run: CI fails on a finding, never on luck
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, app, token, targets):
    aim(case, targets)
    with transaction.atomic():
        case.call_and_validate(app=app, headers={"Authorization": f"Token {token}"}, checks=CHECKS)
        transaction.set_rollback(True)
