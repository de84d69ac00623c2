"""The permission matrix: every URL the site serves × every role × the caller's own and the other unit's
objects, checked against one table of expected outcomes written once, keyed by URL name.

The URL conf is walked, so a URL added without a row fails `test_it_has_a_row_for_every_url`; the admin's
pages of each registered model follow that model's line in ADMIN_MODELS; the API's rows are matched with the
operations of the OpenAPI schema. Each URL is asked with every method it serves and probed with those it
must refuse (PUT, PATCH, DELETE, and GET or POST where it serves only the other): the role gate answers
first (login / 401 / 403), then the method (405).

Each request runs in a savepoint that is rolled back, so every request meets the same world
(tests/matrix_world.py) and one approval does not change what the next request sees.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import matrix_world
from tests.matrix_world import ROLES, SIDES

# Outcomes: a status code, or a redirect (to the site's login page, the admin's, or anywhere else).
LOGIN, ADMIN_LOGIN, MOVED = "→login", "→admin-login", "→moved"
OK, CREATED, BAD, UNAUTHENTICATED, DENIED, MISSING, NOT_ALLOWED = 200, 201, 400, 401, 403, 404, 405
PROBES = ("GET", "POST", "PUT", "PATCH", "DELETE")
REFUSALS = {LOGIN, ADMIN_LOGIN, UNAUTHENTICATED, DENIED}


@dataclass(frozen=True)
class Side:
    """A cell that differs with whose object it is: the caller's own unit's (or own job) and the other's."""

    own: Any
    other: Any


COLUMNS = {"anonymous": 0, "reporter_a": 1, "reporter_b": 1, "reviewer": 2, "leader": 3, "admin": 4}


def row(anonymous, reporter, reviewer, leader, admin) -> tuple:
    """One method of one URL, by role: both reporters share the reporter column (own/other via Side)."""
    return (anonymous, reporter, reviewer, leader, admin)


@dataclass
class Url:
    """A URL name's row: how to fill its path (`fill(world, role, side)` → kwargs, None when it takes none),
    whether it speaks to programs (token auth), the outcome of each method it serves, what it answers to the
    methods it refuses when that is not derived from the gate, and the bodies it is sent."""

    methods: dict[str, tuple]
    fill: Any = None
    api: bool = False
    refused: tuple | None = None
    bodies: dict[str, Any] = field(default_factory=dict)  # a dict, or `body(world, role, side)` → dict
    query: str = ""
    probe: bool = True
    path: str = ""  # for a pattern without a name (keyed by its route)

    @property
    def sided(self) -> bool:
        return any(getattr(part, "sided", False) for part in (self.fill, *self.bodies.values()))

    def body(self, method: str, world, role: str, side: str) -> dict:
        body = self.bodies.get(method, {})
        return body(world, role, side) if callable(body) else body

    def expected(self, method: str) -> tuple:
        if method in self.methods:
            return self.methods[method]
        if self.refused is not None:
            return self.refused
        # The gate of a write (else of the read) answers first; whoever passes it is told 405. The API lets
        # anyone with a token read, so its GET probes meet the reading gate.
        gate = next((self.methods[m] for m in ("POST", "PATCH", "PUT") if m in self.methods), None)
        if gate is None or (self.api and method == "GET"):
            gate = self.methods.get("GET", API_READ if self.api else None) or next(
                iter(self.methods.values())
            )
        return tuple(cell if cell in REFUSALS else NOT_ALLOWED for cell in gate)


def sided(fill):
    fill.sided = True
    return fill


# Fills: the path's arguments for a role looking at its own side or the other's ----------------------------


def pk_of(attribute: str):
    return sided(lambda w, role, side: {"pk": getattr(w.row(role, side), attribute).pk})


def item_of(attribute: str):
    return sided(lambda w, role, side: {"pk": getattr(w.supervision[w.letter(role, side)], attribute).pk})


@sided
def note_of(w, role, side):
    """The caller's own notification, or someone else's."""
    note = w.notes.get(role) if side == "own" else None
    return {"pk": (note or w.notes["someone"]).pk}


def job_of():
    return sided(lambda w, role, side: {"pk": w.job(role, side).pk})


PERIOD = "2026-4"
QZ = "quanzhou-2024-2026"


def plan(w, role, side):
    return {"slug": QZ}


@sided
def unit_quarter(w, role, side):
    return {"period": PERIOD, "unit_id": w.unit(role, side).pk}


@sided
def review_act(w, role, side):
    return {"kind": "submission", "pk": w.row(role, side).sent.pk, "action": "approve"}


@sided
def indicator_page(w, role, side):
    return {"slug": QZ, "code": w.indicator_codes[w.letter(role, side)]}


@sided
def upload(w, role, side):
    return {"token": w.row(role, side).token}


# The table -------------------------------------------------------------------------------------------------
#                          anonymous        reporter               reviewer  leader             admin
PUBLIC = row(OK, OK, OK, OK, OK)
PAGE_ALL = row(LOGIN, OK, OK, OK, OK)
REPORTER_PAGE = row(LOGIN, OK, DENIED, DENIED, DENIED)
REPORTER_ITEM = row(LOGIN, Side(OK, MISSING), DENIED, DENIED, DENIED)
REPORTER_POST = row(LOGIN, Side(MOVED, MISSING), DENIED, DENIED, DENIED)
OFFICE_PAGE = row(LOGIN, DENIED, OK, DENIED, OK)
OFFICE_POST = row(LOGIN, DENIED, MOVED, DENIED, MOVED)
READER_PAGE = row(LOGIN, DENIED, OK, OK, OK)
READER_POST = row(LOGIN, DENIED, MOVED, MOVED, MOVED)
UNIT_ITEM = row(LOGIN, Side(OK, MISSING), OK, OK, OK)
ISSUER_PAGE = row(LOGIN, DENIED, OK, OK, OK)
OWN_JOB = row(LOGIN, DENIED, OK, Side(OK, MISSING), OK)
API_READ = row(UNAUTHENTICATED, OK, OK, OK, OK)
API_ITEM = row(UNAUTHENTICATED, Side(OK, MISSING), OK, OK, OK)
API_FILL = row(UNAUTHENTICATED, Side(OK, MISSING), DENIED, DENIED, DENIED)
API_REVIEW = row(UNAUTHENTICATED, DENIED, OK, DENIED, OK)
ADMIN_ONLY = row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK)
ALL_405 = row(*[NOT_ALLOWED] * 5)


@sided
def create_body(w, role, side):
    """A figure of an indicator the caller's unit reports (own), or one only the other unit reports."""
    code = {"a": "demonstration-city", "b": "patent-pledge-financing"}[w.letter(role, side)]
    return {"plan": QZ, "indicator": code, "year": 2026, "quarter": 4, "value": "5", "done": True}


def item_body(w, role, side):
    return {
        "title": "推进地理标志", "action": "制定措施", "criteria": "提交文件", "deadline": "2026-12-31",
        "lead_unit": w.units["a"].pk, "co_units": [w.units["b"].pk], "indicator": w.desk.count.pk,
    }  # fmt: skip


def indicator_units_body(w, role, side):
    return {"units": [w.units["a"].pk], "lead": w.units["a"].pk, "reason": "按职责调整"}


def definition_body(w, role, side):
    indicator = w.desk.stock
    return {
        "confirmed": "confirmed", "definition": indicator.definition or "年末数量",
        "counts_from": indicator.counts_from or "时点值", "measure": indicator.measure, "reason": "经核实",
    }  # fmt: skip


def task_units_body(w, role, side):
    return {f"order-{w.units['a'].pk}": "1", "reason": "按职责指定"}


URLS: dict[str, Url] = {
    "healthz": Url({"GET": PUBLIC}),
    "home": Url({"GET": PAGE_ALL}),
    "favicon": Url({"GET": row(*[MOVED] * 5)}),  # to the static file
    # Logged-in users are sent on from the login page whatever they send (redirect_authenticated_user);
    # Django's form views take a PUT as a POST.
    "login": Url(
        {"GET": row(OK, *[MOVED] * 4), "POST": row(OK, *[MOVED] * 4), "PUT": row(OK, *[MOVED] * 4)},
        refused=row(NOT_ALLOWED, *[MOVED] * 4),
    ),
    "logout": Url({"POST": row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)}, refused=ALL_405),
    # Everyone changes their own password; an empty POST is the form again with its errors.
    "password_change": Url({"GET": PAGE_ALL, "POST": PAGE_ALL, "PUT": PAGE_ALL}),
    "password_change_done": Url({"GET": PAGE_ALL}),
    # Reporting (reporting/views.py)
    "report": Url({"GET": REPORTER_PAGE, "POST": REPORTER_PAGE}),
    "report-history": Url({"GET": REPORTER_PAGE}),
    "review": Url({"GET": OFFICE_PAGE}),
    "review-unit": Url({"GET": OFFICE_PAGE}, fill=unit_quarter),
    "review-approve-all": Url({"POST": OFFICE_POST}, fill=unit_quarter),
    "review-urge": Url({"POST": OFFICE_POST}, fill=unit_quarter),
    "review-act": Url({"POST": OFFICE_POST}, fill=review_act),
    "submission-detail": Url({"GET": UNIT_ITEM}, fill=pk_of("draft")),
    "task-report-detail": Url({"GET": UNIT_ITEM}, fill=pk_of("report")),
    "evidence-download": Url({"GET": UNIT_ITEM}, fill=pk_of("evidence")),
    "office-periods": Url({"GET": OFFICE_PAGE}),
    "office-period": Url(
        {"GET": OFFICE_PAGE, "POST": OFFICE_POST},
        fill=lambda w, role, side: {"period": PERIOD},
        bodies={
            "POST": {"form": "dates", "due_on": "2027-01-12", "locks_on": "2027-02-01", "reason": "顺延"}
        },
    ),
    "office-assignments": Url({"GET": OFFICE_PAGE}),
    # Login locks (audit/views.py): an empty POST is the page again with what was missing.
    "office-lockouts": Url({"GET": OFFICE_PAGE, "POST": row(LOGIN, DENIED, OK, DENIED, OK)}),
    "office-indicator-units": Url(
        {"GET": OFFICE_PAGE, "POST": OFFICE_POST},
        fill=lambda w, role, side: {"pk": w.desk.stock.pk},
        bodies={"POST": indicator_units_body},
    ),
    "office-task-units": Url(
        {"GET": OFFICE_PAGE, "POST": OFFICE_POST},
        fill=lambda w, role, side: {"pk": w.zj_task.pk},
        bodies={"POST": task_units_body},
    ),
    # Definitions (口径): the office confirms or changes a reading (reporting/definition_views.py)
    "office-definitions": Url({"GET": OFFICE_PAGE}),
    "office-definition": Url(
        {"GET": OFFICE_PAGE, "POST": OFFICE_POST},
        fill=lambda w, role, side: {"pk": w.desk.stock.pk},
        bodies={"POST": definition_body},
    ),
    # 方案维护: population and milestones no document states (reporting/plan_views.py)
    "office-plans": Url({"GET": OFFICE_PAGE}),
    "office-plan": Url({"GET": OFFICE_PAGE}, fill=plan),
    "office-population": Url({"GET": OFFICE_PAGE}, fill=plan),
    "office-population-edit": Url(
        {"GET": OFFICE_PAGE, "POST": OFFICE_POST},
        fill=lambda w, role, side: {"slug": QZ, "region_id": w.desk.unit_a.region_id, "year": 2026},
        bodies={"POST": {"value": "887.9", "source": "统计公报", "reason": "按公报更正"}},
    ),
    "office-milestones": Url({"GET": OFFICE_PAGE}, fill=plan),
    "office-milestone": Url(
        {"GET": OFFICE_PAGE, "POST": OFFICE_POST},
        fill=lambda w, role, side: {"slug": QZ, "pk": w.desk.stock.pk, "year": 2024},
        bodies={"POST": {"comparator": "gte", "min": "80", "reason": "按年度工作要点"}},
    ),
    # The Excel import: a token another session uploaded is a 404 (reporting/import_views.py)
    "import-start": Url({"GET": REPORTER_PAGE}),
    "import-template": Url({"GET": REPORTER_PAGE}, fill=lambda w, role, side: {"year": 2026, "quarter": 4}),
    # The size limit wraps the whole view (CSRF included), so the method is refused before the role gate.
    "import-upload": Url({"POST": row(LOGIN, BAD, DENIED, DENIED, DENIED)}, refused=ALL_405),
    "import-preview": Url({"GET": REPORTER_ITEM}, fill=upload),
    "import-confirm": Url({"POST": REPORTER_POST}, fill=upload),
    "import-cancel": Url({"POST": REPORTER_POST}, fill=upload),
    # Plan documents (planimport/views.py): the office uploads, reviews and publishes
    "plan-import": Url(
        {"GET": OFFICE_PAGE, "POST": OFFICE_POST},
        bodies={
            "POST": {"pasted": "示例市知识产权工作方案（2025—2027年）\n一、重点任务\n1.建机制。建立制度。"}
        },
    ),
    "plan-draft": Url({"GET": OFFICE_PAGE}, fill=lambda w, role, side: {"pk": w.plan_draft}),
    "plan-draft-edit": Url(
        {"POST": OFFICE_POST},
        fill=lambda w, role, side: {"pk": w.plan_draft},
        bodies={"POST": {"action": "plan", "title": "示例市方案"}},
    ),
    "plan-draft-publish": Url({"POST": OFFICE_POST}, fill=lambda w, role, side: {"pk": w.plan_draft}),
    "plan-draft-revise": Url({"POST": OFFICE_POST}, fill=lambda w, role, side: {"pk": w.plan_draft}),
    # Dashboards (dashboards/views.py): a reporter drills into its own unit's indicators only
    "reports:index": Url({"GET": PAGE_ALL}),
    "reports:overview": Url({"GET": PAGE_ALL}, fill=plan),
    "reports:indicator": Url({"GET": UNIT_ITEM}, fill=indicator_page),
    "reports:units": Url({"GET": PAGE_ALL}, fill=plan),
    "reports:tasks": Url({"GET": PAGE_ALL}, fill=plan),
    "reports:compare": Url({"GET": PAGE_ALL}),
    # 目标考核 (assessment): the ranking names every unit, so readers only; the office sets the weights
    "reports:ranking": Url({"GET": READER_PAGE}, fill=plan),
    "office-ranking-weights": Url(
        {"GET": OFFICE_PAGE, "POST": OFFICE_POST},
        fill=plan,
        bodies={
            "POST": {"results": 50, "tasks": 20, "timeliness": 20, "quality": 10, "reason": "年度考核办法"}
        },
    ),
    # Excel reports and bulletins (exports/views.py): readers; a leader may start an export (a read)
    "reports:exports": Url({"GET": READER_PAGE}),
    "reports:export-start": Url(
        {"POST": READER_POST}, bodies={"POST": {"kind": "report", "plan": QZ, "year": 2026, "quarter": 3}}
    ),
    "reports:export-job": Url({"GET": OWN_JOB}, fill=job_of()),
    "reports:export-status": Url({"GET": OWN_JOB}, fill=job_of()),
    "reports:export-download": Url({"GET": OWN_JOB}, fill=job_of()),
    "reports:bulletin": Url({"GET": READER_PAGE}, fill=plan),
    # The office releases a bulletin as 正式 (a reason, since the world's quarter has figures pending)
    "reports:bulletin-release": Url(
        {"POST": OFFICE_POST},
        fill=plan,
        bodies={"POST": {"year": 2026, "quarter": 4, "reason": "领导同意先行印发"}},
    ),
    # The office's settings and wording of an outgoing document (公文): the office only
    "reports:document": Url(
        {"GET": OFFICE_PAGE, "POST": OFFICE_POST},
        fill=lambda w, role, side: {"slug": QZ, "kind": "bulletin"},
        query="?year=2026&quarter=3",
        bodies={"POST": {"year": 2026, "quarter": 3, "number": "泉知领办〔2026〕9号", "version": 0}},
    ),
    # The API (token auth): no or a bad token is 401; another unit's figure is a 404 before any role check
    "api-plan-list": Url({"GET": API_READ}, api=True),
    "api-plan-detail": Url({"GET": API_READ}, fill=plan, api=True),
    "api-plan-indicators": Url({"GET": API_READ}, fill=plan, api=True),
    "api-plan-progress": Url({"GET": API_READ}, fill=plan, api=True, query="?year=2026&quarter=3"),
    "api-plan-ranking": Url(
        {"GET": row(UNAUTHENTICATED, DENIED, OK, OK, OK)}, fill=plan, api=True, query="?year=2026&quarter=3"
    ),
    "api-submission-list": Url(
        {"GET": API_READ, "POST": row(UNAUTHENTICATED, Side(CREATED, BAD), DENIED, DENIED, DENIED)},
        api=True,
        bodies={"POST": create_body},
    ),
    "api-submission-detail": Url(
        {"GET": API_ITEM, "PATCH": API_FILL},
        fill=pk_of("draft"),
        api=True,
        bodies={"PATCH": {"value": "71", "version": 1}},
    ),
    "api-submission-submit": Url({"POST": API_FILL}, fill=pk_of("draft"), api=True),
    "api-submission-approve": Url({"POST": API_REVIEW}, fill=pk_of("sent"), api=True),
    "api-submission-return": Url(
        {"POST": API_REVIEW}, fill=pk_of("sent"), api=True, bodies={"POST": {"reason": "请核实"}}
    ),
    "api-submission-reopen": Url(
        {"POST": API_REVIEW}, fill=pk_of("approved"), api=True, bodies={"POST": {"reason": "更正"}}
    ),
    # 督查督办 (supervision/): a unit's items and files are a 404 to another unit; leaders and office issue
    "start": Url({"GET": row(LOGIN, MOVED, MOVED, MOVED, MOVED)}),
    "supervision-items": Url({"GET": PAGE_ALL}),
    "supervision-new": Url({"GET": ISSUER_PAGE, "POST": row(LOGIN, DENIED, BAD, BAD, BAD)}),
    "supervision-item": Url({"GET": UNIT_ITEM}, fill=item_of("issued")),
    "supervision-respond": Url(
        {"POST": REPORTER_POST}, fill=item_of("issued"), bodies={"POST": {"text": "已办"}}
    ),
    "supervision-close": Url({"POST": OFFICE_POST}, fill=item_of("answered")),
    "supervision-return": Url({"POST": OFFICE_POST}, fill=item_of("answered")),
    "supervision-file": Url(
        {"GET": UNIT_ITEM},
        fill=sided(lambda w, role, side: {"pk": w.supervision[w.letter(role, side)].file.pk}),
    ),
    "instructions": Url({"GET": PAGE_ALL}),
    # Without a subject the 批示 form is a 400 naming what is missing; an empty POST the same
    "instruction-new": Url(
        {"GET": row(LOGIN, DENIED, BAD, BAD, BAD), "POST": row(LOGIN, DENIED, BAD, BAD, BAD)}
    ),
    "reports:board": Url({"GET": READER_PAGE}),
    # The bell (notifications/): each person's own; another's is a 404
    "notifications": Url({"GET": PAGE_ALL}),
    "notifications-read-all": Url({"POST": row(LOGIN, MOVED, MOVED, MOVED, MOVED)}),
    "notification-read": Url({"POST": row(LOGIN, *[Side(MOVED, MISSING)] * 4)}, fill=note_of),
    # An empty form for a platform is the page again with what is missing
    "office-webhooks": Url(
        {"GET": OFFICE_PAGE, "POST": row(LOGIN, DENIED, OK, DENIED, OK)},
        bodies={"POST": {"platform": "wecom"}},
    ),
    "api-supervision-list": Url(
        {"GET": API_READ, "POST": row(UNAUTHENTICATED, DENIED, CREATED, CREATED, CREATED)},
        api=True,
        bodies={"POST": item_body},
    ),
    "api-supervision-detail": Url({"GET": API_ITEM}, fill=item_of("issued"), api=True),
    "api-supervision-respond": Url(
        {"POST": API_FILL}, fill=item_of("issued"), api=True, bodies={"POST": {"text": "已办"}}
    ),
    "api-supervision-close": Url({"POST": API_REVIEW}, fill=item_of("answered"), api=True),
    "api-supervision-return": Url(
        {"POST": API_REVIEW}, fill=item_of("answered"), api=True, bodies={"POST": {"reason": "不具体"}}
    ),
    # The schema needs a token or a session; the docs page sends a person without a session to log in.
    "schema": Url({"GET": API_READ}, api=True),
    "api-docs": Url({"GET": PAGE_ALL}),
    # The Django admin's own pages (its models' pages follow ADMIN_MODELS below); methods are not probed.
    "admin:index": Url({"GET": ADMIN_ONLY}, probe=False),
    "admin:login": Url({"GET": row(OK, OK, OK, OK, MOVED), "POST": row(OK, OK, OK, OK, OK)}, probe=False),
    # Whoever is not staff is sent to the admin's index (and from there to its login page).
    "admin:logout": Url({"POST": row(MOVED, MOVED, MOVED, MOVED, LOGIN)}, probe=False),
    "admin:password_change": Url({"GET": ADMIN_ONLY}, probe=False),
    "admin:password_change_done": Url({"GET": ADMIN_ONLY}, probe=False),
    "admin:autocomplete": Url(
        {"GET": ADMIN_ONLY}, probe=False, query="?app_label=indicators&model_name=assignment&field_name=unit"
    ),
    "admin:jsi18n": Url({"GET": ADMIN_ONLY}, probe=False),
    # No model has a page on the site (get_absolute_url): the admin's "view on site" finds nothing.
    "admin:view_on_site": Url(
        {"GET": row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, MISSING)},
        fill=lambda w, role, side: {"content_type_id": w.submission_type, "object_id": w.rows["a"].draft.pk},
        probe=False,
    ),
    # The admin's catch-all: whoever is not staff is sent to log in, so nothing tells what exists.
    "admin/(?P<url>.*)$": Url(
        {"GET": row(*[ADMIN_LOGIN] * 4, MISSING)}, path="/admin/no-such-page/", probe=False
    ),
    "admin:app_list": Url(
        {"GET": ADMIN_ONLY}, fill=lambda w, role, side: {"app_label": "indicators"}, probe=False
    ),
}

DUMP = os.environ.get("MATRIX_DUMP")  # print the outcomes met instead of asserting (for writing rows)


# The admin: one line per registered model ------------------------------------------------------------------


PROTECTED = "protected"  # deletable, but the standing row is kept by PROTECT references: the page says so


@dataclass(frozen=True)
class Can:
    """What the admin (a superuser) may do with a model's rows in the Django admin; everyone else is sent to
    the admin's login page. Viewing the list, a row and its history is always allowed."""

    add: bool = False
    change: bool = False
    delete: bool | str = False
    all_read_only: bool = False  # every field shown read-only: an empty change form saves (nothing changes)


EDIT = Can(add=True, change=True, delete=True)
AUDITED = Can(add=True, change=True)  # saved through services.admin_change with a reason; never deleted
REVIEWED = Can(change=True)  # content corrected with a reason; arrives and is reviewed elsewhere
LOG = Can()  # written by the system (reminder log, roll-up tables, run log, export jobs): looked at only
AXES = Can(change=True, delete=True, all_read_only=True)  # django-axes' login records

# One line per model registered in the admin: test_it_has_a_rule_for_every_admin_model fails on a new one.
ADMIN_MODELS: dict[str, Can] = {
    "accounts.user": Can(add=True, change=True),  # deactivated, never deleted: the audit trail names users
    "audit.auditrecord": Can(),
    "auth.group": EDIT,
    "accounts.apitoken": Can(add=True, delete=True),  # issued (key shown once) or revoked, never edited
    "axes.accessattempt": AXES,
    "axes.accessfailurelog": AXES,
    "axes.accesslog": AXES,
    "django_celery_beat.clockedschedule": EDIT,
    "django_celery_beat.crontabschedule": EDIT,
    "django_celery_beat.intervalschedule": EDIT,
    "django_celery_beat.periodictask": EDIT,
    "django_celery_beat.solarschedule": EDIT,
    "indicators.assignment": AUDITED,
    "indicators.baseline": AUDITED,
    "reporting.evidence": Can(),  # added and removed by its unit on the reporting page, read here
    "indicators.indicator": AUDITED,
    "reporting.period": AUDITED,
    "reporting.periodexception": AUDITED,
    "progress.progress": LOG,
    "reporting.reminder": LOG,
    "indicators.rolluppending": LOG,
    "progress.rolluprun": LOG,
    "reporting.submission": REVIEWED,
    "indicators.target": AUDITED,
    "reporting.taskreport": REVIEWED,
    "progress.timeliness": LOG,
    "plans.plan": AUDITED,
    "indicators.population": AUDITED,
    "plans.region": AUDITED,
    "plans.section": AUDITED,
    "plans.task": AUDITED,
    "plans.taskunit": AUDITED,
    "plans.unit": AUDITED,
    "exports.exportjob": LOG,
    "notifications.notification": LOG,
    "supervision.supervisionitem": LOG,  # issued, answered, closed through the 督办 pages and API
    "supervision.instruction": LOG,  # written on the 批示 page, never edited
}


def _admin_kind(name: str | None, model_key: str) -> str:
    app_label, model_name = model_key.split(".")
    prefix = f"{app_label}_{model_name}_"
    if name == "admin:auth_user_password_change":  # UserAdmin names it so whatever the user model
        return "password"
    return "redirect" if name is None else name.removeprefix("admin:").removeprefix(prefix)


def admin_expected(can: Can, kind: str, method: str) -> Any:
    """The admin's outcome on one of a model's pages: None where the method is not asked."""
    allowed = {
        "add": can.add, "change": can.change, "delete": bool(can.delete), "password": can.change,
    }  # fmt: skip
    if method == "GET":
        if kind in ("changelist", "history", "change", "simple_history"):
            return OK
        if kind == "redirect":
            return MOVED
        return OK if allowed[kind] else DENIED
    if kind == "change" and can.change and can.all_read_only:
        return MOVED
    if kind == "simple_history":
        return NOT_ALLOWED  # a past version is looked at, never saved back (audit.admin.HistoryAdmin)
    if kind in ("add", "change", "password"):
        return OK if allowed[kind] else DENIED  # an empty form is shown again with its errors
    if kind == "delete":
        return {True: MOVED, PROTECTED: OK, False: DENIED}[can.delete]
    return None


# Walking the URL conf --------------------------------------------------------------------------------------


def url_patterns() -> list[tuple[str, str | None, str | None]]:
    """(route, name, admin model key or None) of every URL pattern, the admin's per-model ones included."""
    found = []
    model_prefixes = {
        f"admin/{model._meta.app_label}/{model._meta.model_name}/": model._meta.label_lower
        for model in admin.site._registry
    }

    def walk(resolver, prefix: str, namespace: str | None):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = ":".join(part for part in (namespace, pattern.namespace) if part) or None
                walk(pattern, route, inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
                model = next((key for start, key in model_prefixes.items() if prefix == start), None)
                found.append((route, name, model))

    walk(get_resolver(), "", None)
    return found


# The checks ------------------------------------------------------------------------------------------------


def outcome(response) -> Any:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        if location.startswith("/login/"):
            return LOGIN
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
        return MOVED
    return response.status_code


def ask(client, method: str, url: str, body: dict, *, api: bool):
    """One request in a savepoint rolled back afterwards: the world stays as it was built."""
    with transaction.atomic():
        send = getattr(client, method.lower())
        if api:
            response = send(url, body, format="json") if method != "GET" else send(url)
        else:
            response = send(url, body) if method in ("GET", "POST") else send(url)
        transaction.set_rollback(True)
    if response.streaming:  # read to the end: the test client then closes the file as a server would
        b"".join(response.streaming_content)
    return response


def check(world, requests) -> list[str]:
    """Run (label, role, method, url, body, api, expected) and list each mismatch."""
    clients: dict[tuple[str, bool], Any] = {}
    wrong = []
    for label, role, method, url, body, api, expected in requests:
        client = clients.get((role, api)) or clients.setdefault((role, api), world.client(role, api=api))
        got = outcome(ask(client, method, url, body, api=api))
        if DUMP:
            print(f"MATRIX {label} {method} {role} {url} {got}")
        elif got != expected:
            wrong.append(f"{label} {method} {url} as {role}: expected {expected}, got {got}")
    return wrong


def url_requests(world, name: str, spec: Url):
    for method in PROBES if spec.probe else tuple(spec.methods):
        expected_row = spec.expected(method)
        for role in ROLES:
            for side in SIDES if spec.sided else ("own",):
                kwargs = spec.fill(world, role, side) if spec.fill else {}
                url = (spec.path or reverse(name, kwargs=kwargs)) + spec.query
                cell = expected_row[COLUMNS[role]]
                expected = getattr(cell, side) if isinstance(cell, Side) else cell
                body = spec.body(method, world, role, side)
                yield (f"{name}[{side}]", role, method, url, body, spec.api, expected)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module inside a transaction rolled back at its end; each test's own transaction
    (pytest-django's `db`) nests in it, and each request in a savepoint of that."""
    with django_db_blocker.unblock(), matrix_world.standing(tmp_path_factory.mktemp("media")) as built:
        yield built


@pytest.mark.parametrize("name", sorted(URLS))
def test_each_role_on_each_url(db, world, name):
    wrong = check(world, url_requests(world, name, URLS[name]))
    assert not wrong, "\n".join(wrong)


def admin_requests(world, model_key: str):
    from django.apps import apps

    can = ADMIN_MODELS.get(model_key)
    assert can is not None, f"{model_key} is registered in the admin: add its line to ADMIN_MODELS"
    model = apps.get_model(model_key)
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the matrix world has no {model_key} row: add one in tests/matrix_world.py"
    version = None
    if hasattr(model, "history"):
        version = obj.history.order_by("-history_id").first()
        if version is None:
            obj.save()
            version = obj.history.order_by("-history_id").first()
    for _route, name, key in url_patterns():
        if key != model_key:
            continue
        kind = _admin_kind(name, model_key)
        app_label, model_name = model_key.split(".")
        base = f"/admin/{app_label}/{model_name}/"
        url = {
            "changelist": base, "add": f"{base}add/", "change": f"{base}{obj.pk}/change/",
            "delete": f"{base}{obj.pk}/delete/", "history": f"{base}{obj.pk}/history/",
            "simple_history": f"{base}{obj.pk}/history/{version.history_id if version else 0}/",
            "redirect": f"{base}{obj.pk}/", "password": f"{base}{obj.pk}/password/",
        }[kind]  # fmt: skip
        for method in ("GET", "POST"):
            expected = admin_expected(can, kind, method)
            if expected is None:
                continue
            body = {"post": "yes"} if kind == "delete" else {}
            for role in ROLES:
                yield (f"admin {model_key} {kind}", role, method, url, body, False,
                       expected if role == "admin" else ADMIN_LOGIN)  # fmt: skip


@pytest.mark.parametrize("model_key", sorted(model._meta.label_lower for model in admin.site._registry))
def test_each_role_on_each_admin_page(db, world, model_key):
    wrong = check(world, admin_requests(world, model_key))
    assert not wrong, "\n".join(wrong)


# The table covers the URL conf, the admin's registry and the API schema, and nothing else -----------------

ADMIN_KINDS = {"changelist", "add", "change", "delete", "history", "simple_history", "redirect", "password"}


def test_it_has_a_row_for_every_url():
    missing = []
    for route, name, model_key in url_patterns():
        if model_key is not None:
            if model_key not in ADMIN_MODELS or _admin_kind(name, model_key) not in ADMIN_KINDS:
                missing.append(f"admin page {route} ({name}) of {model_key}: add the model to ADMIN_MODELS")
        elif (name or route) not in URLS:
            missing.append(f"{route} ({name}): add a row to URLS")
    assert not missing, "\n".join(missing)


def test_every_row_names_a_url_that_exists():
    names = {name or route for route, name, model_key in url_patterns() if model_key is None}
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert set(URLS) - names == set()
    assert set(ADMIN_MODELS) - registered == set()


def test_it_has_a_rule_for_every_admin_model():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered - set(ADMIN_MODELS) == set(), "add a line to ADMIN_MODELS"


def test_the_api_rows_are_the_schemas_operations():
    from django.urls import resolve
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = set()
    for path, item in schema["paths"].items():
        name = resolve(re.sub(r"\{[^}]+\}", "1", path)).view_name
        operations |= {(name, method.upper()) for method in item if method != "parameters"}
    rows = {(name, method) for name, spec in URLS.items() if spec.api for method in spec.methods}
    assert operations - rows == set(), "schema operations without a row"
    assert rows - operations == {("schema", "GET")}, "rows the schema does not describe"
