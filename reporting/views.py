"""Reporting pages: 本季度填报 for reporters; the review queue, a unit's quarter and each item's history
for the office; the office's calendar and assignments; evidence downloads. Each view validates, calls one
service or selector, and renders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import READERS, REPORTERS, REVIEWERS, is_reviewer, role_required
from audit.services import Conflict
from indicators.models import Assignment, Indicator
from indicators.services import assignments_set
from plans.models import Plan, Task, TaskUnit, Unit
from plans.services import task_units_set
from reporting.evidence import attachment, max_bytes, size_text
from reporting.forms import ExceptionForm, PeriodDatesForm, QuarterForm
from reporting.models import Period, PeriodException, Submission
from reporting.queue import row_history
from reporting.selectors import (
    default_period,
    evidence_visible,
    period_get,
    periods_missed,
    submissions_visible,
    task_reports_visible,
    unit_period_counts,
    unit_periods,
    unit_quarter,
)
from reporting.services.calendar import exception_grant, period_update
from reporting.services.entry import TASK_TEXTS
from reporting.services.quarter import quarter_save


def _period_param(period: Period) -> str:
    return period.at.param


def _errors(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}


def _flat(error: ValidationError) -> str:
    return " ".join(error.messages)


def _back(request, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


# 本季度填报 ------------------------------------------------------------------------------------------------


@role_required(*REPORTERS)
@require_http_methods(["GET", "POST"])
def report(request):
    """The reporter's quarter: every assigned indicator and every task of the unit, saved as drafts and
    submitted all at once. `?period=2026-4` opens another quarter (read-only once it takes no figures)."""
    unit, today = request.user.unit, timezone.localdate()
    choices = unit_periods(unit, today)
    period = period_get(request.GET["period"]) if "period" in request.GET else default_period(choices)
    missed = periods_missed(choices)
    if period is None:
        return render(request, "reporting/report.html", {"choices": choices, "quarter": None, **missed})
    quarter = unit_quarter(unit, period, today)
    url = f"{reverse('report')}?period={_period_param(period)}"
    form = QuarterForm(quarter)
    status = 200
    if request.method == "POST" and not quarter.editable:
        quarter, form = _refused(request, quarter)
        # 409 Conflict, not 403: the reporter may report for the unit; the quarter's state (locked, or
        # everything submitted meanwhile) is what refuses this save, as a colleague's newer version does.
        status = 409
    elif request.method == "POST":
        form = QuarterForm(quarter, request.POST, request.FILES)
        form.is_valid()
        carry = form.carry_tasks() if form.carry_asked else False
        try:
            saved = quarter_save(
                unit=unit,
                period=period,
                figures=form.figures,
                tasks=form.tasks,
                evidence=form.evidence,
                removed_evidence=form.removed_evidence,
                problems=form.row_errors,
                submit=form.submit,
                expected=form.cleaned_data.get("expected"),
                carry=carry,
                carry_overwrite=form.carry_overwrite,
                by=request.user,
                today=today,
            )
        except ValidationError as error:  # the whole quarter refused: nothing was written
            form.add_service_errors(_errors(error))
            if request.FILES:
                form.row_errors.setdefault(NON_FIELD_ERRORS, []).append(
                    "所选佐证材料也未上传：请修正后重新选择文件。"
                )
        except Conflict as conflict:
            quarter, form = _after_conflict(request, unit, period, today)
            messages.error(
                request,
                f"{conflict} 您刚才填写的内容仍保留在下方（标为“有冲突”的项显示了他人保存的值）。",
            )
        else:
            if saved.carried is not None:
                _say_carried(request, saved.carried, quarter)
            if saved.complete and saved.carried is not None:
                return redirect(f"{url}#{f'task-{carry[0]}' if carry else 'tasks'}")
            if saved.complete:
                if saved.submitted is None:
                    messages.success(request, "已保存草稿。报送前仍可修改。")
                else:
                    late = "（已超过截止日期，记为逾期报送）" if saved.submitted.late else ""
                    messages.success(
                        request,
                        f"已报送{saved.submitted.figures}项指标、{saved.submitted.tasks}项任务进展，"
                        f"等待办公室审核{late}。",
                    )
                return redirect(url)
            quarter, form = _after_partial(request, unit, period, today, saved)
    return render(
        request,
        "reporting/report.html",
        {
            "choices": choices,
            "quarter": quarter,
            "form": form,
            "figures": form.views(quarter.figures),
            "tasks": form.views(quarter.tasks),
            "url": url,
            "max_upload": size_text(max_bytes()),
            **missed,
            "refused": status == 409,
        },
        status=status,
    )


def _refused(request, quarter):
    """A save into a quarter that takes nothing any more stores nothing, and the page comes back with what the
    user typed (in the rows they sent) and no save button, so the text can be copied, not lost."""
    sent = {name.rsplit("-", 1)[0] for name in request.POST}
    typed = replace(
        quarter,
        figures=[replace(row, editable=row.key in sent) for row in quarter.figures],
        tasks=[replace(row, editable=row.key in sent) for row in quarter.tasks],
    )
    form = QuarterForm(typed, request.POST)
    form.is_valid()
    files = "，所选佐证材料也未上传" if request.FILES else ""
    form.row_errors = {
        NON_FIELD_ERRORS: [
            f"{quarter.period}已没有可修改的内容（已锁定或已全部报送），本次提交未保存{files}。"
            "您填写的内容保留在下方，可复制留存；如确需补报，请联系办公室开放例外。"
        ]
    }
    return typed, form


def _say_carried(request, carried, quarter) -> None:
    """What 沿用上季度 did, item by item, in the reporter's words."""
    names = {row.key: f"任务“{row.task.title}”" for row in quarter.tasks}
    if carried.copied:
        sources = "、".join(sorted(set(carried.copied.values())))
        messages.success(
            request,
            f"已沿用{sources}的进展填入{len(carried.copied)}项任务的本季度草稿，请逐项核改后再报送。"
            "页面上已填写的内容已一并保存。",
        )
    if carried.kept:
        messages.info(
            request,
            f"{len(carried.kept)}项任务本季度已填写，未覆盖："
            f"{'、'.join(names[key] for key in carried.kept)}。"
            "如需以上季度内容替换，请勾选“覆盖本季度已填写的内容”后再沿用。",
        )
    by_reason: dict[str, list[str]] = {}
    for key, why in carried.skipped.items():
        by_reason.setdefault(why, []).append(names.get(key, key))
    for why, skipped in by_reason.items():
        messages.warning(request, f"{'、'.join(skipped)}未沿用：{why}")


def _after_partial(request, unit, period, today, saved):
    """Some items were kept and some not: the page comes back with what is stored now, what the user typed in
    every row (nothing typed is lost), and for each item whether it was saved. The rows this save wrote carry
    their new versions, so saving again does not conflict with itself; a row someone else changed meanwhile
    is marked and takes their version, as after a conflict."""
    quarter = unit_quarter(unit, period, today)
    data = request.POST.copy()
    carried = set(saved.carried.copied) if saved.carried else set()
    moved = {*saved.saved, *saved.holders, *saved.conflicts, *carried}
    for row in quarter.rows:
        if row.row is not None and row.key in moved:
            data[f"{row.key}-version"] = str(row.row.version)
        if row.key in carried:  # the page shows what was copied in, not what it had sent
            for name in ("status", *TASK_TEXTS):
                data[f"{row.key}-{name}"] = getattr(row.row, name)
    form = QuarterForm(quarter, data)
    form.is_valid()
    form.row_errors = {key: list(messages) for key, messages in saved.errors.items()}
    for key, message in saved.conflicts.items():
        form.row_errors.setdefault(key, []).append(message)
    form.conflicts = set(saved.conflicts)
    form.outcome = saved
    return quarter, form


def _after_conflict(request, unit, period, today):
    """Someone saved first: reload what is stored, keep everything the user typed, mark the rows that moved
    and take their new versions, so a second save is a deliberate choice made with the other value in view."""
    quarter = unit_quarter(unit, period, today)
    data = request.POST.copy()
    moved = set()
    for row in quarter.rows:
        name = f"{row.key}-version"
        if row.row is not None and name in data and data.get(name) != str(row.row.version):
            data[name] = str(row.row.version)
            moved.add(row.key)
    form = QuarterForm(quarter, data)
    form.is_valid()
    form.conflicts = moved
    return quarter, form


@role_required(*REPORTERS)
@require_GET
def report_history(request):
    """The unit's quarters so far, each with its items by state; each opens read-only on the report page."""
    unit, today = request.user.unit, timezone.localdate()
    counts = unit_period_counts(unit)
    rows = [(choice, counts.get(choice.period.pk, {})) for choice in unit_periods(unit, today)]
    return render(request, "reporting/report_history.html", {"rows": rows})


# Review ----------------------------------------------------------------------------------------------------


# One item and its history ----------------------------------------------------------------------------------


@role_required(*REPORTERS, *READERS)
@require_GET
def submission_detail(request, pk: int):
    row = get_object_or_404(submissions_visible(request.user), pk=pk)
    return _detail(request, row, evidence=row.evidence.all())


@role_required(*REPORTERS, *READERS)
@require_GET
def task_report_detail(request, pk: int):
    row = get_object_or_404(task_reports_visible(request.user), pk=pk)
    return _detail(request, row, evidence=row.evidence.all())


def _detail(request, row, *, evidence):
    kind = "submission" if isinstance(row, Submission) else "task-report"
    return render(
        request,
        "reporting/row_detail.html",
        {
            "row": row,
            "kind": kind,
            "history": row_history(row),
            "evidence": evidence,
            "can_review": is_reviewer(request.user),
            "next": request.get_full_path(),
            "period_param": _period_param(row.period),
        },
    )


@role_required(*REPORTERS, *READERS)
@require_GET
def evidence_download(request, pk: int):
    """An evidence file, to those who may see its figure or task report only (404 to anyone else), always as
    an attachment so a browser never renders it in our origin."""
    item = get_object_or_404(evidence_visible(request.user), pk=pk)
    return attachment(item.file, item.name)


# The office: calendar and assignments ----------------------------------------------------------------------


@role_required(*REVIEWERS)
@require_GET
def office_periods(request):
    periods = Period.objects.prefetch_related(
        Prefetch("exceptions", queryset=PeriodException.objects.select_related("unit").order_by("unit__name"))
    ).order_by("-year", "-quarter")
    return render(
        request, "reporting/office_periods.html", {"periods": periods, "today": timezone.localdate()}
    )


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def office_period(request, period: str):
    """Move a period's due and lock dates; grant a unit an exception to report into it after it locks."""
    period_ = period_get(period)
    units = (
        Unit.objects.exclude(kind=Unit.Kind.GROUP).select_related("region").order_by("region__code", "name")
    )
    dates = PeriodDatesForm(initial={"due_on": period_.due_on, "locks_on": period_.locks_on})
    grant = ExceptionForm(units=units, period=period_)
    saved = None
    if request.method == "POST" and request.POST.get("form") == "dates":
        dates = PeriodDatesForm(request.POST)
        saved = _write(dates, lambda data: period_update(period=period_, by=request.user, **data))
        done = f"{period_}的截止日期和锁定日期已保存。"
    elif request.method == "POST" and request.POST.get("form") == "exception":
        grant = ExceptionForm(request.POST, units=units, period=period_)
        saved = _write(grant, lambda data: exception_grant(period=period_, by=request.user, **data))
        done = f"已为{grant.cleaned_data.get('unit')}开放{period_}的填报。" if saved else ""
    if saved:
        messages.success(request, done)
        return redirect("office-period", period=period)
    exceptions = period_.exceptions.select_related("unit", "granted_by").order_by("unit__name")
    return render(
        request,
        "reporting/office_period.html",
        {"period": period_, "dates": dates, "grant": grant, "exceptions": exceptions},
    )


def _write(form, write) -> bool:
    """Hand a valid form's data to a service; its refusal goes onto the form. True when it was saved."""
    if not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except ValidationError as error:
        _to_form(form, error)
        return False
    return True


def posted(request):
    """What an office page's form is bound to: the POST data, or None on a GET (an unbound form)."""
    return request.POST if request.method == "POST" else None


def office_save(
    request, form, write: Callable[..., object], *, done: str, back: str
) -> HttpResponseRedirect | None:
    """An office page's audited write from its form, when one was posted and is valid: `write` is called
    with who writes, the form's reason and the version the person saw (`by`, `reason`, `seen`). A refusal
    lands on the form (by field), a conflict (someone saved the row meanwhile) at its top; on success `done`
    is said and the page goes back to `back`. None when the page is to be shown (a GET, or the form again)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        write(by=request.user, reason=form.cleaned_data["reason"], seen=form.cleaned_data.get("seen"))
    except ValidationError as error:
        _to_form(form, error)
    except Conflict as conflict:
        form.add_error(None, str(conflict))
    else:
        messages.success(request, done)
        return redirect(back)
    return None


def _to_form(form, error: ValidationError) -> None:
    for name, messages_ in _errors(error).items():
        for message in messages_:
            form.add_error(name if name in form.fields else None, message)


def _saved_in_assignments(plan: Plan, anchor: str) -> HttpResponseRedirect:
    """Back to the plan's assignments page, at the row just saved."""
    return redirect(f"{reverse('office-assignments')}?plan={plan.slug}#{anchor}")


def _plan_units(plan: Plan):
    """The units that may report in a plan: those of its region and the regions under it, groups excepted."""
    return (
        Unit.objects.filter(Q(region=plan.region_id) | Q(region__parent=plan.region_id))
        .exclude(kind=Unit.Kind.GROUP)
        .select_related("region")
        .order_by("region__code", "name")
    )


@role_required(*REVIEWERS)
@require_GET
def office_assignments(request):
    """Which unit reports which indicator of a plan, and which units carry each task."""
    plans = list(Plan.objects.order_by("slug"))
    plan = next((p for p in plans if p.slug == request.GET.get("plan")), plans[0] if plans else None)
    if plan is None:
        raise Http404("尚未装载工作方案。")
    indicators = (
        Indicator.objects.filter(plan=plan)
        .select_related("computed_from")
        .prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.select_related("unit").order_by("-is_lead"))
        )
        .order_by("position")
    )
    tasks = (
        Task.objects.filter(section__plan=plan)
        .select_related("section")
        .prefetch_related(Prefetch("task_units", queryset=TaskUnit.objects.select_related("unit")))
        .order_by("section__number", "number")
    )
    return render(
        request,
        "reporting/office_assignments.html",
        {"plans": plans, "plan": plan, "indicators": indicators, "tasks": tasks},
    )


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def office_indicator_units(request, pk: int):
    indicator = get_object_or_404(Indicator.objects.select_related("plan", "computed_from"), pk=pk)
    units = list(_plan_units(indicator.plan))
    current = {row.unit_id: row for row in indicator.assignments.all()}
    chosen = set(current)
    lead = next((unit_id for unit_id, row in current.items() if row.is_lead), None)
    errors: list[str] = []
    reason = ""
    if request.method == "POST":
        by_id = {unit.pk: unit for unit in units}
        chosen = {int(pk) for pk in request.POST.getlist("units") if pk.isdigit() and int(pk) in by_id}
        lead_text = request.POST.get("lead", "")
        lead = int(lead_text) if lead_text.isdigit() else None
        reason = request.POST.get("reason", "")
        try:
            assignments_set(
                indicator=indicator,
                units=[by_id[pk] for pk in sorted(chosen)],
                lead=by_id.get(lead) if lead else None,
                by=request.user,
                reason=reason,
            )
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, f"“{indicator.name}”的填报单位已保存。")
            return _saved_in_assignments(indicator.plan, f"indicator-{indicator.pk}")
    return render(
        request,
        "reporting/office_indicator_units.html",
        {
            "indicator": indicator,
            "units": units,
            "chosen": chosen,
            "lead": lead,
            "errors": errors,
            "reason": reason,
        },
    )


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def office_task_units(request, pk: int):
    """Name the units of a task whose document names none: an order number per unit, 1 being the lead."""
    task = get_object_or_404(Task.objects.select_related("section__plan"), pk=pk)
    if task.responsible_text:
        raise Http404("该任务的责任单位由文件原文列明。")
    units = list(_plan_units(task.section.plan))
    order = {row.unit_id: str(row.position + 1) for row in task.task_units.all()}
    errors: list[str] = []
    reason = ""
    if request.method == "POST":
        order = {unit.pk: request.POST.get(f"order-{unit.pk}", "").strip() for unit in units}
        order = {pk: text for pk, text in order.items() if text}
        reason = request.POST.get("reason", "")
        bad = [text for text in order.values() if not text.isdigit() or int(text) < 1]
        if bad:
            errors.append("排序请填写从1开始的整数（1为牵头单位），不参与的单位留空。")
        elif len(set(map(int, order.values()))) != len(order):
            errors.append("排序数字不能重复。")
        else:
            by_id = {unit.pk: unit for unit in units}
            ranked = [by_id[pk] for pk, _ in sorted(order.items(), key=lambda item: int(item[1]))]
            try:
                task_units_set(task=task, units=ranked, by=request.user, reason=reason)
            except ValidationError as error:
                errors = error.messages
            else:
                messages.success(request, f"任务“{task.title}”的责任单位已保存。")
                return _saved_in_assignments(task.section.plan, f"task-{task.pk}")
    return render(
        request,
        "reporting/office_task_units.html",
        {"task": task, "units": units, "order": order, "errors": errors, "reason": reason},
    )
