"""The office's review pages: one queue of everything awaiting review across quarters (or one quarter's
units), a unit's quarter with an action on each item, 全部审核通过 with the count confirmed, and 催报."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import REVIEWERS, role_required
from audit.services import Conflict
from indicators.rollup_queue import CATCH_UP
from plans.models import Plan, Unit
from reporting.forms import ReasonForm, VersionForm
from reporting.models import Period, Submission, TaskReport
from reporting.queue import QUEUE_STATES, next_awaiting, pending_queue
from reporting.queue import review_queue as queue_rows
from reporting.reminders import urge_unit, urged_on
from reporting.selectors import period_get, unit_quarter
from reporting.services.review import review_approve, review_reopen, review_return
from reporting.services.review import review_approve_all as approve_all
from reporting.views import _back, _flat, _period_param

ROW_STATES = {
    "submitted": "待审核",
    "returned": "退回待修改",
    "missing": "未报送",
    "partial": "部分报送",
    "approved": "已全部审核",
}


class QueueForm(forms.Form):
    """The queue's filters: a plan, a state, and a quarter (none: every quarter's items awaiting review)."""

    plan = forms.ModelChoiceField(
        queryset=Plan.objects.order_by("slug"),
        to_field_name="slug",
        required=False,
        empty_label="全部方案",
        label="方案",
        error_messages={"invalid_choice": "没有这个方案，请从列表中选择。"},
    )
    state = forms.CharField(required=False, label="状态")
    period = forms.CharField(required=False, label="季度")

    def clean(self):
        data = super().clean()
        state = data.get("state") or ""
        allowed = ROW_STATES if data.get("period") else QUEUE_STATES
        if state and state not in allowed:
            raise forms.ValidationError(
                f"状态只能是：{'、'.join(allowed.values())}"
                + ("（未报送、部分报送等请先选择季度）" if not data.get("period") else "")
                + "。"
            )
        return data


def _queue_url(plan: Plan | None = None, **params) -> str:
    query = "&".join(
        f"{key}={value}" for key, value in ({"plan": plan and plan.slug} | params).items() if value
    )
    return f"{reverse('review')}?{query}" if query else reverse("review")


@role_required(*REVIEWERS)
@require_GET
def review_queue(request):
    """Without `period`: every quarter's units with items awaiting review (or returned), oldest quarter first
    and the longest waiting unit first, with counts per quarter. With it: that quarter's every unit."""
    form = QueueForm(request.GET)
    if not form.is_valid():
        return render(request, "reporting/review_queue.html", {"form": form}, status=400)
    plan, state = form.cleaned_data["plan"], form.cleaned_data["state"]
    today = timezone.localdate()
    period = period_get(form.cleaned_data["period"]) if form.cleaned_data["period"] else None
    context = {
        "form": form,
        "plan": plan,
        "state": state,
        "plans": Plan.objects.order_by("slug"),
        "today": today,
        "periods": Period.objects.filter(opens_on__lte=today).order_by("-year", "-quarter"),
        "counts": pending_queue(plan=plan, state="all").quarters,
        "next": request.get_full_path(),
    }
    if period is None:
        context |= {"queue": pending_queue(plan=plan, state=state or "submitted"), "states": QUEUE_STATES}
        return render(request, "reporting/review_queue.html", context)
    rows = queue_rows(period, plan)
    totals = {
        name: sum(getattr(row, name) for row in rows)
        for name in ("expected", "submitted", "returned", "approved", "draft", "missing", "late")
    }
    if state:
        rows = [row for row in rows if row.status == state]
    context |= {
        "period": period,
        "period_param_value": _period_param(period),
        "rows": rows,
        "totals": totals,
        "states": ROW_STATES,
        "urgeable": today > period.due_on,
        "urged": urged_on(period, today),
    }
    return render(request, "reporting/review_queue.html", context)


@role_required(*REVIEWERS)
@require_GET
def review_unit(request, period: str, unit_id: int):
    """One unit's quarter for review: every figure with its context, every task report, and the actions."""
    period_ = period_get(period)
    unit = get_object_or_404(Unit.objects.exclude(kind=Unit.Kind.GROUP), pk=unit_id)
    quarter = unit_quarter(unit, period_, timezone.localdate())
    return render(
        request,
        "reporting/review_unit.html",
        {"quarter": quarter, "period_param": _period_param(period_), "next": request.get_full_path()},
    )


REVIEW_ACTIONS = {
    "approve": (review_approve, VersionForm, "已审核通过。"),
    "return": (review_return, ReasonForm, "已退回，填报单位将看到退回理由。"),
    "reopen": (review_reopen, ReasonForm, "已重新打开，退回填报单位修改。"),
}
KINDS = {"submission": Submission, "task-report": TaskReport}


@role_required(*REVIEWERS)
@require_POST
def review_act(request, kind: str, pk: int, action: str):
    """Approve, return (with a reason) or reopen (with a reason) one figure or task report. Back to the page
    it came from (`next`), at the item just reviewed (its anchor), so the office keeps its place."""
    if kind not in KINDS or action not in REVIEW_ACTIONS:
        raise Http404
    row = get_object_or_404(KINDS[kind].objects.select_related("period", "unit"), pk=pk)
    service, form_class, done = REVIEW_ACTIONS[action]
    form = form_class(request.POST)
    fallback = reverse("review-unit", args=[_period_param(row.period), row.unit_id])
    if not form.is_valid():
        messages.error(request, "请填写理由。" if "reason" in form.errors else "请求无效，请刷新页面后重试。")
        return _back(request, fallback)
    extra = {"reason": form.cleaned_data["reason"]} if "reason" in form.cleaned_data else {}
    try:
        service(row=row, by=request.user, version=form.cleaned_data.get("version"), **extra)
    except ValidationError as error:
        messages.error(request, _flat(error))
    except Conflict as conflict:
        messages.error(request, str(conflict))
    else:
        messages.success(request, f"{row}：{done}")
    return _back(request, fallback)


class ApproveAllForm(forms.Form):
    expected = forms.IntegerField(required=False, min_value=0)


@role_required(*REVIEWERS)
@require_POST
def review_approve_all(request, period: str, unit_id: int):
    """Approve the unit's every item awaiting review, as many as the office confirmed (`expected`), then go
    on to the next unit awaiting review (its own quarter first), or back to the queue when none is left."""
    period_ = period_get(period)
    unit = get_object_or_404(Unit, pk=unit_id)
    form = ApproveAllForm(request.POST)
    expected = form.cleaned_data["expected"] if form.is_valid() else None
    try:
        count, rollup = approve_all(unit=unit, period=period_, by=request.user, expected=expected)
    except ValidationError as error:
        messages.error(request, _flat(error))
        return redirect("review-unit", period=period, unit_id=unit.pk)
    if rollup.sent is False:
        messages.warning(request, CATCH_UP)
    if not count:
        messages.info(request, "没有待审核的内容。")
        return redirect("review-unit", period=period, unit_id=unit.pk)
    following = next_awaiting(period_, unit)
    said = f"已审核通过{unit}{period_}的全部{count}项已报送内容。"
    if following is None:
        messages.success(request, f"{said}所有季度的待审核内容均已处理完毕。")
        return redirect(_queue_url())
    messages.success(request, f"{said}下一个待审核：{following.unit}（{following.period}）。")
    return redirect("review-unit", period=_period_param(following.period), unit_id=following.unit.pk)


@role_required(*REVIEWERS)
@require_POST
def review_urge(request, period: str, unit_id: int):
    """催报: email the unit what it still owes for a past-due quarter, at most once a day (urge_unit); back
    to the queue at the unit's row."""
    period_ = period_get(period)
    unit = get_object_or_404(Unit.objects.exclude(kind=Unit.Kind.GROUP), pk=unit_id)
    try:
        reminder = urge_unit(unit=unit, period=period_, by=request.user)
    except ValidationError as error:
        messages.error(request, _flat(error))
    else:
        messages.success(
            request, f"已向{unit}发送催报邮件（{reminder.recipients}），{reminder.owed}项未报送。"
        )
    return _back(request, f"{_queue_url(period=_period_param(period_))}#unit-{unit.pk}")
