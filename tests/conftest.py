from __future__ import annotations

import pytest
from django.db import connection

from plans.models import Plan
from plans.services import plans_load_all
from tests import factories


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds both plans from the start, loaded once per session as `make run` loads them."""
    with django_db_blocker.unblock():
        plans_load_all()


@pytest.fixture
def plans(db):
    """Both plans. A transactional test flushes the database when it ends; the next one reloads them."""
    if not Plan.objects.exists():
        plans_load_all()
    return {plan.slug: plan for plan in Plan.objects.all()}


@pytest.fixture
def quanzhou(plans):
    return plans["quanzhou-2024-2026"]


@pytest.fixture
def zhenjiang(plans):
    return plans["zhenjiang-edz-2024-2026"]


@pytest.fixture
def leader(db):
    return factories.UserFactory(role="leader", username="leader")


@pytest.fixture
def reviewer(db):
    return factories.UserFactory(role="reviewer", username="reviewer")


@pytest.fixture
def leader_client(client, leader):
    client.force_login(leader)
    return client


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


# The standing cast: reporters of two Quanzhou units, the office (reviewer), a leader, an admin.
@pytest.fixture
def unit_a(plans):
    from plans.models import Unit

    return Unit.objects.get(name="市知识产权局")


@pytest.fixture
def unit_b(plans):
    from plans.models import Unit

    return Unit.objects.get(name="市科技局")


@pytest.fixture
def reporter_a(unit_a):
    return factories.UserFactory(role="reporter", unit=unit_a, username="reporter_a")


@pytest.fixture
def reporter_b(unit_b):
    return factories.UserFactory(role="reporter", unit=unit_b, username="reporter_b")


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(role="admin", username="admin", is_staff=True, is_superuser=True)


def _logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def reporter_a_client(client, reporter_a):
    return _logged_in(client, reporter_a)


@pytest.fixture
def reporter_b_client(client, reporter_b):
    return _logged_in(client, reporter_b)


@pytest.fixture
def reviewer_client(client, reviewer):
    return _logged_in(client, reviewer)


@pytest.fixture
def admin_client_(client, admin_user):
    return _logged_in(client, admin_user)


# The reporting desk: what the reporting pages, the API and the reminders are tested against -----------------
REPORTING_TODAY = (2026, 11, 21)  # 2026 Q3 locked on 10-30, 2026 Q4 open (due 2027-01-10)


@pytest.fixture
def desk(plans, unit_a, unit_b, settings, tmp_path):
    """Today is 2026-11-21 (Asia/Shanghai). 市知识产权局 (unit_a) reports four indicators —
    商标有效注册量 (a stock, 2 decimals), 地理标志 (a stock), 示范城市 (a milestone), 结案率 (a ratio) — and
    progress on the 17 Quanzhou tasks it is named on; 市科技局 (unit_b) reports 地理标志 too. Quarters
    2024–2027 exist; evidence files go to a temporary media directory."""
    import datetime
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    import time_machine

    from indicators.models import Assignment, Indicator, Period
    from indicators.services import periods_ensure

    when = datetime.datetime(*REPORTING_TODAY, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(when, tick=False):
        settings.MEDIA_ROOT = tmp_path / "media"
        indicators = {
            code: Indicator.objects.get(code=code, plan__slug=slug)
            for code, slug in (
                ("trademarks", "quanzhou-2024-2026"),
                ("geographical-indications", "quanzhou-2024-2026"),
                ("demonstration-city", "quanzhou-2024-2026"),
                ("case-closure-rate", "zhenjiang-edz-2024-2026"),
            )
        }
        for position, indicator in enumerate(indicators.values()):
            Assignment.objects.create(indicator=indicator, unit=unit_a, is_lead=position < 3)
        Assignment.objects.create(indicator=indicators["geographical-indications"], unit=unit_b)
        periods_ensure(years=range(2024, 2028))
        yield SimpleNamespace(
            today=when.date(),
            unit_a=unit_a,
            unit_b=unit_b,
            period=Period.objects.get(year=2026, quarter=4),
            locked=Period.objects.get(year=2026, quarter=3),
            stock=indicators["trademarks"],
            count=indicators["geographical-indications"],
            milestone=indicators["demonstration-city"],
            ratio=indicators["case-closure-rate"],
        )
