"""Every way a figure, a target, an assignment or a calendar changes leaves exactly its audit records, each
with the user who made the change and the reason: one table of mutation paths, each asserting the records it
adds across every history table (model, kind of change, user, reason)."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.urls import reverse

from audit.guard import history_models, tracked_label
from audit.services import admin_change
from indicators.models import Indicator, Target
from plans.models import Unit
from plans.services import LOAD_REASON
from tests import factories
from tests.excel_files import fill
from tests.quarter import quarter_post
from tests.test_admin_audit import change, form_data
from tests.test_excel_template import FILLED, download, upload

SENT = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)
SUBMISSION, TARGET, ASSIGNMENT, PERIOD, EXCEPTION = (
    "reporting.submission", "indicators.target", "indicators.assignment", "reporting.period",
    "reporting.periodexception",
)  # fmt: skip


def trail() -> dict[type, int]:
    """Where each history table stands now."""
    return {model: model.objects.order_by("-history_id").values_list("history_id", flat=True).first() or 0
            for model in history_models()}  # fmt: skip


def added_since(marks: dict[type, int]) -> Counter:
    """The records written since `marks`: (model, kind, username or None for the system, reason)."""
    added: Counter = Counter()
    for model, last in marks.items():
        for record in model.objects.filter(history_id__gt=last).select_related("history_user"):
            user = record.history_user.username if record.history_user else None
            added[tracked_label(model), record.history_type, user, record.history_change_reason] += 1
    return added


def draft(desk, indicator=None, **values):
    return factories.SubmissionFactory(
        indicator=indicator or desk.stock, unit=desk.unit_a, period=desk.period, **({"value": D(88)} | values)
    )


def sent(desk, indicator=None, **values):
    return draft(desk, indicator, **({"state": "submitted", "submitted_at": SENT} | values))


# Each path: set up with the fixtures it asks for, return (the change, the records it must leave).
Path = Callable[[pytest.FixtureRequest], tuple[Callable[[], object], list[tuple]]]


def page_save(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("reporter_a_client")
    data = quarter_post(
        desk.unit_a,
        desk.period,
        desk.today,
        figures={desk.stock: {"value": "88.1"}, desk.count: {"value": "7"}},
    )
    return lambda: client.post("/report/?period=2026-4", data), [
        (SUBMISSION, "+", "reporter_a", "新建草稿")
    ] * 2


def api_create(request):
    request.getfixturevalue("desk")
    client = request.getfixturevalue("reporter_a_client")
    body = {
        "plan": "quanzhou-2024-2026",
        "indicator": "trademarks",
        "year": 2026,
        "quarter": 4,
        "value": "88",
    }
    return lambda: client.post("/api/submissions/", body, content_type="application/json"), [
        (SUBMISSION, "+", "reporter_a", "新建草稿")
    ]


def api_patch(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("reporter_a_client")
    row = draft(desk)
    body = {"value": "89", "version": row.version}
    return lambda: client.patch(f"/api/submissions/{row.pk}/", body, content_type="application/json"), [
        (SUBMISSION, "~", "reporter_a", "修改草稿")
    ]


def api_submit(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("reporter_a_client")
    row = draft(desk)
    return lambda: client.post(f"/api/submissions/{row.pk}/submit/", {}, content_type="application/json"), [
        (SUBMISSION, "~", "reporter_a", "报送")
    ]


def _review_api(action: str, body: dict, reason: str, state: str = "submitted") -> Path:
    def path(request):
        desk, client = request.getfixturevalue("desk"), request.getfixturevalue("reviewer_client")
        row = sent(desk, state=state)
        url = f"/api/submissions/{row.pk}/{action}/"
        return lambda: client.post(url, body, content_type="application/json"), [
            (SUBMISSION, "~", "reviewer", reason)
        ]

    return path


def excel_import(request):
    client = request.getfixturevalue("reporter_a_client")
    period = request.getfixturevalue("xl_period")
    request.getfixturevalue("xl_indicators")
    request.getfixturevalue("settings").MEDIA_ROOT = request.getfixturevalue("tmp_path") / "media"
    uploaded = upload(client, fill(download(client, period), FILLED), period, name="三季度.xlsx")
    token = uploaded["Location"].rstrip("/").rsplit("/", 1)[-1]
    return lambda: client.post(reverse("import-confirm", args=[token])), [
        (SUBMISSION, "+", "reporter_a", "Excel导入（三季度.xlsx）")
    ] * 5


def review_page_approve(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("reviewer_client")
    row = sent(desk)
    return lambda: client.post(f"/review/submission/{row.pk}/approve/", {"version": row.version}), [
        (SUBMISSION, "~", "reviewer", "审核通过")
    ]


def review_page_approve_all(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("reviewer_client")
    for indicator in (desk.stock, desk.count):
        sent(desk, indicator)
    return lambda: client.post(f"/review/2026-4/{desk.unit_a.pk}/approve-all/"), [
        (SUBMISSION, "~", "reviewer", "审核通过")
    ] * 2


def admin_figure_change(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("admin_client_")
    row = sent(desk, state="approved")
    return lambda: change(client, row, value="72", change_reason="统计局更正"), [
        (SUBMISSION, "~", "admin", "管理后台修改：统计局更正")
    ]


def admin_bulk_approve(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("admin_client_")
    rows = [sent(desk, indicator) for indicator in (desk.stock, desk.count)]
    data = {"action": "approve_selected", "_selected_action": [row.pk for row in rows]}
    return lambda: client.post("/admin/reporting/submission/", data), [
        (SUBMISSION, "~", "admin", "审核通过")
    ] * 2


def admin_target_change(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("admin_client_")
    target = Target.objects.get(indicator=desk.stock, year=2026)
    return lambda: change(client, target, min="90", origin="office", change_reason="市政府调高目标"), [
        (TARGET, "~", "admin", "管理后台修改：市政府调高目标")
    ]


def admin_period_change(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("admin_client_")
    return lambda: change(client, desk.period, due_on="2027-01-12", change_reason="顺延"), [
        (PERIOD, "~", "admin", "管理后台修改：顺延")
    ]


def admin_assignment_inline_delete(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("admin_client_")
    url = f"/admin/indicators/indicator/{desk.count.pk}/change/"

    def act():
        data = form_data(client.get(url))
        index = next(
            i
            for i in range(int(data["assignments-TOTAL_FORMS"]))
            if data[f"assignments-{i}-unit"] == desk.unit_b.pk
        )
        data.update({f"assignments-{index}-DELETE": "on", "change_reason": "不再填报"})
        return client.post(url, data)

    return act, [(ASSIGNMENT, "-", "admin", "管理后台修改：不再填报")]


def office_period_dates(request):
    request.getfixturevalue("desk")
    client = request.getfixturevalue("reviewer_client")
    data = {"form": "dates", "due_on": "2027-01-15", "locks_on": "2027-02-05", "reason": "春节假期顺延"}
    return lambda: client.post("/office/periods/2026-4/", data), [
        (PERIOD, "~", "reviewer", "调整填报期：春节假期顺延")
    ]


def office_exception(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("reviewer_client")
    data = {"form": "exception", "unit": desk.unit_b.pk, "until": "2026-11-30", "reason": "系统故障"}
    return lambda: client.post("/office/periods/2026-3/", data), [
        (EXCEPTION, "+", "reviewer", "开放例外：系统故障")
    ]


def office_assignments(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("reviewer_client")
    indicator = Indicator.objects.get(code="service-outlets")
    jinjiang = Unit.objects.get(name="晋江市人民政府")
    data = {"units": [desk.unit_a.pk, jinjiang.pk], "lead": desk.unit_a.pk, "reason": "按部门职责分工"}
    return lambda: client.post(f"/office/assignments/indicator/{indicator.pk}/", data), [
        (ASSIGNMENT, "+", "reviewer", "调整填报分工：按部门职责分工")
    ] * 2


def office_population(request):
    desk, client = request.getfixturevalue("desk"), request.getfixturevalue("reviewer_client")
    region = desk.unit_a.region
    data = {"value": "887.9", "source": "统计公报", "reason": "按公报录入"}
    url = f"/office/plans/{desk.stock.plan.slug}/population/{region.pk}/2026/"
    return lambda: client.post(url, data), [
        ("indicators.population", "+", "reviewer", "设定常住人口：按公报录入")
    ]


def _office_milestone(restore: bool) -> Path:
    def path(request):
        desk, client = request.getfixturevalue("desk"), request.getfixturevalue("reviewer_client")
        url = f"/office/plans/{desk.stock.plan.slug}/milestones/{desk.stock.pk}/2024/"
        data = {"comparator": "gte", "min": "80", "reason": "按年度要点"}
        if not restore:
            return lambda: client.post(url, data), [(TARGET, "~", "reviewer", "设定年度目标：按年度要点")]
        client.post(url, data)
        # The office's target goes; the derived one comes back as a new row.
        return lambda: client.post(url, {"action": "restore", "reason": "按推算"}), [
            (TARGET, "-", "reviewer", "恢复推算目标：按推算"),
            (TARGET, "+", "reviewer", "恢复推算目标：按推算"),
        ]

    return path


def load_plans_restores(request):
    desk, reviewer = request.getfixturevalue("desk"), request.getfixturevalue("reviewer")
    target = Target.objects.get(indicator=desk.stock, year=2026)
    document_min = target.min
    target.min = document_min + 1
    admin_change(row=target, by=reviewer, reason="误改")
    return lambda: call_command("load_plans", verbosity=0), [(TARGET, "~", None, LOAD_REASON)]


PATHS: dict[str, Path] = {
    "page form save": page_save,
    "API create": api_create,
    "API PATCH": api_patch,
    "API submit": api_submit,
    "API approve": _review_api("approve", {}, "审核通过"),
    "API return": _review_api("return", {"reason": "数据有误"}, "退回：数据有误"),
    "API reopen": _review_api("reopen", {"reason": "需更正"}, "重新打开：需更正", state="approved"),
    "Excel import confirm": excel_import,
    "review page approve": review_page_approve,
    "review page approve all": review_page_approve_all,
    "admin figure change": admin_figure_change,
    "admin bulk approve": admin_bulk_approve,
    "admin target change": admin_target_change,
    "admin period change": admin_period_change,
    "admin assignment removed inline": admin_assignment_inline_delete,
    "office period dates": office_period_dates,
    "office exception": office_exception,
    "office assignments": office_assignments,
    "office population": office_population,
    "office milestone set": _office_milestone(restore=False),
    "office milestone restored": _office_milestone(restore=True),
    "load_plans restoring a target": load_plans_restores,
}


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
def test_every_mutation_path_leaves_exactly_its_audit_records(
    db, request, path, django_capture_on_commit_callbacks
):
    act, expected = path(request)
    marks = trail()
    with django_capture_on_commit_callbacks(execute=True):  # roll-ups dispatched after commit run too
        response = act()
    assert getattr(response, "status_code", 302) in (200, 201, 302), getattr(response, "content", b"")[:500]
    assert added_since(marks) == Counter(expected)
