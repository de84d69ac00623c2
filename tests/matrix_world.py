"""The standing world of the permission matrix (tests/test_permission_matrix.py): the six roles, and for each
of the two units the same set of objects, so every URL can be filled with the caller's own unit's object and
with the other unit's.

On the reporting desk (tests/conftest.py `desk`, 2026-11-21): 市知识产权局 (unit A) and 市科技局 (unit B) each
have a draft figure with an evidence file, a submitted figure, an approved figure, a submitted task report and
an uploaded Excel template waiting in its reporter's session. The office, the leader and the admin each have a
finished export job; a second leader has one too (someone else's job). Every model registered in the admin
has at least one row.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, override_settings
from rest_framework.test import APIClient

from indicators.models import Assignment, Indicator
from plans.models import Plan, Task, Unit
from reporting.excel.preview import template_read
from reporting.excel.template import template_write
from reporting.excel.upload import upload_dumps
from reporting.import_views import SESSION_KEY
from reporting.models import Evidence, Period, Submission
from tests import factories
from tests.conftest import REPORTING_NOW, desk_build
from tests.factories import api_key

ROLES = ("anonymous", "reporter_a", "reporter_b", "reviewer", "leader", "admin")
SIDES = ("own", "other")
SENT = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)
QZ = "quanzhou-2024-2026"


@dataclass
class World:
    desk: SimpleNamespace
    users: dict[str, object]
    units: dict[str, Unit]  # "a", "b"
    rows: dict[str, SimpleNamespace] = field(default_factory=dict)  # by unit letter
    jobs: dict[str, object] = field(default_factory=dict)  # by role; "someone" is the second leader's
    indicator_codes: dict[str, str] = field(
        default_factory=dict
    )  # a Quanzhou indicator only that unit reports
    zj_task: Task | None = None
    plan_draft: int = 0  # a plan document's draft waiting for the office's review (planimport)
    # 督查督办 by unit letter: an item waiting for the unit's answer, one answered (a file) for the office
    supervision: dict[str, SimpleNamespace] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)  # a notification per role; "someone" another's
    submission_type: int = 0  # the content type id, for the admin's "view on site"

    def letter(self, role: str, side: str) -> str:
        """Whose object a role is shown: a reporter's own unit's or the other's; anyone else A's, then B's."""
        own = "b" if role == "reporter_b" else "a"
        return own if side == "own" else ("a" if own == "b" else "b")

    def row(self, role: str, side: str) -> SimpleNamespace:
        return self.rows[self.letter(role, side)]

    def unit(self, role: str, side: str) -> Unit:
        return self.units[self.letter(role, side)]

    def job(self, role: str, side: str):
        """An export job: the caller's own, or someone else's (the second leader's)."""
        return self.jobs.get(role, self.jobs["someone"]) if side == "own" else self.jobs["someone"]

    def client(self, role: str, *, api: bool):
        """A page client logged in by session, or an API client carrying the role's token."""
        user = self.users[role]
        if api:
            client = APIClient()
            if user is not None:
                client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
            return client
        client = Client()
        if user is not None:
            client.force_login(user)
            if role.startswith("reporter"):
                _keep_upload(client, self.rows[self.letter(role, "own")])
        return client


@contextmanager
def standing(media_root: Path):
    """The world, at 2026-11-21 10:00 with evidence and uploads under `media_root`, in a transaction that is
    rolled back when the block ends."""
    from indicators.services import plans_load_all

    frozen = time_machine.travel(REPORTING_NOW, tick=False)
    with frozen, override_settings(MEDIA_ROOT=media_root), transaction.atomic():
        if not Plan.objects.exists():  # a transactional test flushed them
            plans_load_all()
        unit_a, unit_b = Unit.objects.get(name="市知识产权局"), Unit.objects.get(name="市科技局")
        users = {
            "anonymous": None,
            "reporter_a": factories.UserFactory(role="reporter", unit=unit_a, username="reporter_a"),
            "reporter_b": factories.UserFactory(role="reporter", unit=unit_b, username="reporter_b"),
            "reviewer": factories.UserFactory(role="reviewer", username="reviewer"),
            "leader": factories.UserFactory(role="leader", username="leader"),
            "admin": factories.UserFactory(role="admin", username="admin", is_staff=True, is_superuser=True),
        }
        try:
            yield build(desk_build(unit_a, unit_b), users)
        finally:
            transaction.set_rollback(True)


def build(desk, users: dict[str, object]) -> World:
    world = World(desk=desk, users=users, units={"a": desk.unit_a, "b": desk.unit_b})
    indicators = {ind.code: ind for ind in Indicator.objects.filter(plan__slug=QZ)}
    copyright_ = indicators["copyright-registrations"]
    for indicator in (copyright_, desk.ratio, indicators["patent-pledge-financing"]):
        Assignment.objects.create(indicator=indicator, unit=desk.unit_b)
    world.indicator_codes = {"a": desk.stock.code, "b": copyright_.code}
    # (draft, submitted) indicators per unit; both approve a 结案率 (ratio) figure.
    figures = {"a": (desk.count, desk.stock), "b": (copyright_, desk.count)}
    for letter, unit in world.units.items():
        draft_on, sent_on = figures[letter]
        draft = factories.SubmissionFactory(
            indicator=draft_on, unit=unit, period=desk.period, value=Decimal(70)
        )
        sent = factories.SubmissionFactory(
            indicator=sent_on, unit=unit, period=desk.period, value=Decimal(88), state="submitted",
            submitted_at=SENT,
        )  # fmt: skip
        approved = factories.SubmissionFactory(
            indicator=desk.ratio, unit=unit, period=desk.period, value=None, numerator=Decimal(9),
            denominator=Decimal(10), state="approved", submitted_at=SENT,
        )  # fmt: skip
        report = factories.TaskReportFactory(
            task=unit.tasks.filter(section__plan__slug=QZ).first(), unit=unit, period=desk.period,
            state="submitted", submitted_at=SENT,
        )  # fmt: skip
        evidence = Evidence.objects.create(
            submission=draft, name="通知.pdf", size=9, uploaded_by=users["reviewer"],
            file=ContentFile(b"%PDF-1.4\n", name="e.pdf"),
        )  # fmt: skip
        world.rows[letter] = SimpleNamespace(
            unit=unit, draft=draft, sent=sent, approved=approved, report=report, evidence=evidence,
            token=f"upload-{letter}-0123456789abcdef",
        )  # fmt: skip
        _upload(unit, desk.period, world.rows[letter].token)
    someone = factories.UserFactory(role="leader", username="leader_2")
    for role in ("reviewer", "leader", "admin"):
        world.jobs[role] = _finished_job(users[role])
    world.jobs["someone"] = _finished_job(someone)
    world.zj_task = Task.objects.get(section__plan__slug="zhenjiang-edz-2024-2026", number=1)
    world.plan_draft = _plan_draft()
    world.submission_type = ContentType.objects.get_for_model(Submission).pk
    _supervision(world, someone)
    _admin_rows(world)
    return world


def _supervision(world: World, someone) -> None:
    """Per unit: an issued item it leads and an answered one with an evidence file; a 批示 on its quarter; a
    notification for each role and one for someone else."""
    from notifications.models import Notification
    from supervision.models import Instruction, Response, ResponseFile, SupervisionItem

    leader, deadline = world.users["leader"], datetime.date(2026, 12, 31)
    for letter, unit in world.units.items():
        issued = SupervisionItem.objects.create(
            title=f"督办{letter}", action="落实", criteria="提交材料", deadline=deadline, lead_unit=unit,
            issued_by=leader, indicator=world.desk.count,
        )  # fmt: skip
        answered = SupervisionItem.objects.create(
            title=f"已反馈{letter}", action="落实", criteria="提交材料", deadline=deadline, lead_unit=unit,
            issued_by=leader, state=SupervisionItem.State.ANSWERED,
        )  # fmt: skip
        response = Response.objects.create(item=answered, text="已落实", answered_by=leader)
        kept = ResponseFile.objects.create(
            response=response, name="落实.pdf", size=9, uploaded_by=leader,
            file=ContentFile(b"%PDF-1.4\n", name="s.pdf"),
        )  # fmt: skip
        Instruction.objects.create(author=leader, text="抓紧", unit=unit, year=2026, quarter=3)
        world.supervision[letter] = SimpleNamespace(issued=issued, answered=answered, file=kept)
    for role, user in [*world.users.items(), ("someone", someone)]:
        if user is not None:
            world.notes[role] = Notification.objects.create(recipient=user, kind="reminder", text="请报送")


def _plan_draft() -> int:
    from planimport.services import draft_read, draft_save

    text = (settings.BASE_DIR / "tests" / "plan_documents" / "shili-city.txt").read_text(encoding="utf-8")
    return draft_save(draft=draft_read(pasted=text, slug="shili-2025-2027"), filename="", by=None).pk


def _upload(unit: Unit, period: Period, token: str) -> str:
    """A template's rows waiting for confirmation under MEDIA_ROOT/imports/, as import_upload leaves them;
    returns the kept file's SHA-256 (the session holds it)."""
    path = Path(settings.MEDIA_ROOT) / "imports" / f"{token}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook = io.BytesIO()
        template_write(unit=unit, period=period, out=workbook)
        path.write_bytes(upload_dumps(template_read(workbook, "模板.xlsx")))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _keep_upload(client: Client, row: SimpleNamespace) -> None:
    """The upload in the reporter's session, its file back in place if a confirm or cancel removed it (the
    file system is not rolled back with the database)."""
    digest = _upload(row.unit, row.draft.period, row.token)
    session = client.session
    session[SESSION_KEY] = {
        row.token: {
            "unit": row.unit.pk,
            "period": row.draft.period_id,
            "name": "模板.xlsx",
            "sha256": digest,
            "at": time.time(),
        }
    }
    session.save()


def _finished_job(user):
    job = factories.ExportJobFactory.build(plan=Plan.objects.get(slug=QZ), requested_by=user, rows=3)
    job.file.save(f"{job.pk}.xlsx", ContentFile(b"PK\x03\x04"), save=False)
    job.state = "done"
    job.save()
    return job


def _admin_rows(world: World) -> None:
    """Rows of the admin's models that the reporting desk does not make by itself."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    from indicators.models import Population, RollupPending
    from progress.models import RollupRun
    from reporting.models import PeriodException, Reminder

    desk, reviewer = world.desk, world.users["reviewer"]
    now = datetime.datetime(2026, 11, 21, 2, tzinfo=datetime.UTC)
    Group.objects.create(name="办公室")
    api_key(reviewer)  # a token row for the admin pages of API tokens
    interval = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    CrontabSchedule.objects.create(minute="30", hour="1")
    SolarSchedule.objects.create(event="sunrise", latitude=24.87, longitude=118.68)
    ClockedSchedule.objects.create(clocked_time=now)
    PeriodicTask.objects.create(name="rollup-pending", task="indicators.rollup_pending", interval=interval)
    AccessAttempt.objects.create(username="x", ip_address="127.0.0.1", failures_since_start=1)
    AccessLog.objects.create(username="reviewer", ip_address="127.0.0.1")
    AccessFailureLog.objects.create(username="x", ip_address="127.0.0.1")
    Population.objects.create(region=desk.unit_a.region, year=2026, value=Decimal(900), is_demo=True)
    PeriodException.objects.create(
        period=desk.locked, unit=desk.unit_a, until=datetime.date(2026, 12, 1), reason="系统故障",
        granted_by=reviewer,
    )  # fmt: skip
    Reminder.objects.create(
        unit=desk.unit_a,
        period=desk.period,
        kind="before",
        sent_on=desk.today,
        recipients="a@example.cn",
        owed=1,
    )
    RollupRun.objects.create(kind="full", started_at=now, finished_at=now, rows=1)
    RollupPending.objects.create(indicator=desk.stock, year=2026)
    factories.ProgressFactory(indicator=desk.stock, year=2026, quarter=3)
    factories.TimelinessFactory(plan=desk.stock.plan, unit=desk.unit_a, period=desk.locked)
    factories.BaselineFactory(indicator=desk.stock, year=2020)
