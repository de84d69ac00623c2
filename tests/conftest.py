from __future__ import annotations

import datetime
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from indicators.services import plans_load_all
from plans.models import Plan
from tests import factories


def pytest_configure(config):
    """Under pytest-xdist (`make test`) each worker keeps uploads and exports in a media folder of its own, as
    pytest-django gives it a database of its own (test_…_gw0): a test that clears expired uploads or lists a
    folder must not see another worker's files."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        from django.conf import settings

        media = Path(settings.MEDIA_ROOT)
        settings.MEDIA_ROOT = media.with_name(f"{media.name}-{worker}")


DB_BLOCKER = pytest.StashKey[object]()


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    """The test database holds both plans from the start, loaded once per session as `make run` loads them."""
    with django_db_blocker.unblock():
        plans_load_all()
    request.config.stash[DB_BLOCKER] = django_db_blocker


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (live server, real worker) empties the database when it ends: the plans are
    loaded again at once, so that whatever runs next in this process finds them, in whatever order
    pytest-xdist hands out the tests."""
    result = yield
    blocker = item.config.stash.get(DB_BLOCKER, None)
    used_db = "_django_db_helper" in item.fixturenames or item.get_closest_marker("django_db")
    if nextitem is not None and blocker is not None and used_db:
        with blocker.unblock():
            if not Plan.objects.exists():
                plans_load_all()
    return result


@pytest.fixture
def plans(db):
    """Both plans, as the session loaded them (and loads them again after a transactional test)."""
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


# Reports branch: one rolled-up quarter of Quanzhou (see tests/report_scenario.py).
@pytest.fixture
def report_scenario(quanzhou):
    from tests import report_scenario

    return report_scenario.build(quanzhou)


# The Excel import (tests/test_excel_template.py, tests/test_excel_hostile.py): unit_a reports five indicators
# of two plans covering every input kind; unit_b reports one. Time stands inside 2025 Q3's reporting window.
XL_ASSIGNED = {
    "quanzhou-2024-2026": [
        "trademarks",
        "geographical-indications",
        "copyright-registrations",
        "strong-counties",
    ],
    "zhenjiang-edz-2024-2026": ["case-closure-rate"],
}
XL_NOW = datetime.datetime(2025, 8, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def xl_now():
    with time_machine.travel(XL_NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def xl_period(xl_now, db):
    return factories.PeriodFactory(year=2025, quarter=3)


@pytest.fixture
def xl_indicators(plans, unit_a, unit_b):
    """unit_a's assigned indicators by name, in template order."""
    from indicators.models import Indicator

    indicators = {}
    for slug, codes in XL_ASSIGNED.items():
        for indicator in Indicator.objects.filter(plan__slug=slug, code__in=codes).order_by("position"):
            factories.AssignmentFactory(indicator=indicator, unit=unit_a)
            indicators[indicator.name] = indicator
    factories.AssignmentFactory(indicator=indicators["商标有效注册量"], unit=unit_b)
    return indicators


# ---- Dashboards (reports app) ----


@pytest.fixture
def dashboard_sample(plans):
    """Both plans with the demo data of 2024 Q1–2026 Q3, rolled up by the real engine, as `make run` shows
    them: for the browser tests and for looking at the pages."""
    from devdata.demo import demo_load
    from progress.rollup import rollup_full

    demo_load()
    rollup_full()
    return plans


@pytest.fixture
def dashboard_world(quanzhou, unit_a, unit_b):
    """A small Quanzhou world built with factories: roll-up rows for 2024 Q1–Q4 of every indicator,
    市知识产权局 (unit_a) reporting 商标有效注册量 with a second unit, 市科技局 (unit_b) reporting 版权登记量,
    task reports and timeliness of both units. `grow(n)` adds n more units with their rows."""
    from tests.dashboard_world import World

    return World.build(quanzhou, unit_a, unit_b)


@pytest.fixture
def progress_rows():
    """progress_rows(indicator, region=None) → {(year, quarter): Progress} of the plan's region or another."""
    from progress.models import Progress

    def read(indicator, region=None):
        region_id = region.pk if region is not None else indicator.plan.region_id
        rows = Progress.objects.filter(indicator=indicator, region_id=region_id)
        return {(row.year, row.quarter): row for row in rows}

    return read


# The reporting desk: what the reporting pages, the API and the reminders are tested against -----------------
REPORTING_TODAY = (2026, 11, 21)  # 2026 Q3 locked on 10-30, 2026 Q4 open (due 2027-01-10)


@pytest.fixture
def desk(plans, unit_a, unit_b, settings, tmp_path):
    """Today is 2026-11-21 (Asia/Shanghai). 市知识产权局 (unit_a) reports four indicators —
    商标有效注册量 (a stock, 2 decimals), 地理标志 (a stock), 示范城市 (a milestone), 结案率 (a ratio) — and
    progress on the 17 Quanzhou tasks it is named on; 市科技局 (unit_b) reports 地理标志 too. Quarters
    2024–2027 exist; evidence files go to a temporary media directory."""
    import time_machine

    with time_machine.travel(REPORTING_NOW, tick=False):
        settings.MEDIA_ROOT = tmp_path / "media"
        yield desk_build(unit_a, unit_b)


REPORTING_NOW = datetime.datetime(*REPORTING_TODAY, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def small_unit(desk):
    """A unit of the desk that owes one figure a quarter (地理标志) and no task report, with its reporter: a
    locked quarter can be completed on its own, and what it misses is counted exactly."""
    unit = factories.UnitFactory(name="测试补报单位")
    factories.AssignmentFactory(indicator=desk.count, unit=unit)
    user = factories.UserFactory(role="reporter", unit=unit, username="small")
    return unit, user


def desk_build(unit_a, unit_b):
    """The `desk` world, for a fixture that has already frozen time at REPORTING_NOW (tests/matrix_world.py
    builds it once per module)."""
    from types import SimpleNamespace

    from indicators.models import Assignment, Indicator
    from reporting.models import Period
    from reporting.services.calendar import periods_ensure

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
    return SimpleNamespace(
        today=REPORTING_NOW.date(),
        unit_a=unit_a,
        unit_b=unit_b,
        period=Period.objects.get(year=2026, quarter=4),
        locked=Period.objects.get(year=2026, quarter=3),
        stock=indicators["trademarks"],
        count=indicators["geographical-indications"],
        milestone=indicators["demonstration-city"],
        ratio=indicators["case-closure-rate"],
    )
