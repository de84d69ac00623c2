"""Every dashboard page × every role: readers see all, a reporter its own unit's drill-downs (others 404)."""

from __future__ import annotations

import pytest

PLAN = "/plans/quanzhou-2024-2026"
PAGES = {
    "index": "/plans/",
    "overview": f"{PLAN}/",
    "own indicator": f"{PLAN}/indicators/trademarks/",  # 市知识产权局's (reporter_a)
    "other indicator": f"{PLAN}/indicators/copyright-registrations/",  # 市科技局's (reporter_b)
    "unassigned indicator": f"{PLAN}/indicators/geographical-indications/",
    "units": f"{PLAN}/units/",
    "tasks": f"{PLAN}/tasks/",
    "compare": "/compare/",
}
REPORTER_A = {"other indicator": 404, "unassigned indicator": 404}
REPORTER_B = {"own indicator": 404, "unassigned indicator": 404}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("user", "refused"),
    [
        ("leader", {}),
        ("reviewer", {}),
        ("admin_user", {}),
        ("reporter_a", REPORTER_A),
        ("reporter_b", REPORTER_B),
    ],
)
def test_it_lets_each_role_see_what_it_may(client, request, dashboard_world, page, user, refused):
    client.force_login(request.getfixturevalue(user))
    assert client.get(PAGES[page]).status_code == refused.get(page, 200)


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_go_to_the_login_page(client, dashboard_world, page):
    response = client.get(PAGES[page])
    assert response.status_code == 302 and response["Location"] == f"/login/?next={PAGES[page]}"
