"""A request body declared larger than IPCITY_MAX_REQUEST_BYTES is refused by its Content-Length, before
anything reads it: 413 with a Chinese message, JSON on the API, and not one byte of the body read."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.test import RequestFactory

from ipcity.body_limit import BodyLimitMiddleware

HUGE = str(315 * 1024 * 1024)  # the evidence upload the attack sent


class Watched(io.BytesIO):
    """A request body that records whether anyone read it."""

    read_at_all = False

    def read(self, *args):
        self.read_at_all = True
        return super().read(*args)

    readline = read


def test_a_huge_declared_body_is_refused_without_reading_it():
    body = Watched(b"x")
    environ = RequestFactory().post("/report/").environ
    environ.update({"CONTENT_LENGTH": HUGE, "wsgi.input": body})
    response = BodyLimitMiddleware(lambda request: pytest.fail("the view ran"))(WSGIRequest(environ))
    assert response.status_code == 413 and not body.read_at_all
    assert "超过单次提交51MB的上限" in response.content.decode() and "315MB" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/report/?period=2026-4", "/imports/", "/admin/login/"])
def test_the_pages_answer_413_in_chinese(client, reporter_a, path):
    client.force_login(reporter_a)
    response = client.post(path, {"a": "b"}, CONTENT_LENGTH=HUGE)
    assert response.status_code == 413 and "提交内容过大" in response.content.decode()


@pytest.mark.django_db
def test_the_api_answers_413_json(client):
    response = client.post("/api/submissions/", {"value": "1"}, CONTENT_LENGTH=HUGE)
    assert response.status_code == 413 and "未被接收" in response.json()["detail"]


def test_a_body_within_the_limit_goes_through():
    request = RequestFactory().post("/report/", {"a": "b"})
    assert settings.IPCITY_MAX_REQUEST_BYTES >= 10 * settings.UPLOAD_MAX_BYTES
    assert BodyLimitMiddleware(lambda request: "view")(request) == "view"
