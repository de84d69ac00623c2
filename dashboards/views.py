"""Leaders' dashboards. Each view validates the query string, calls one selector, builds its charts, renders.

Every role may open them; what a reporter sees is narrowed by the selectors to its own unit (another unit's
indicator drill-down is a 404)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import READERS, REPORTERS, role_required
from dashboards import charts
from dashboards.selectors.common import PeriodChoice, period_choose, progress_quarters
from dashboards.selectors.compare import comparison, comparison_quarters
from dashboards.selectors.indicator import indicator_page
from dashboards.selectors.overview import CARD_UNITS, plan_overview, plans_at_a_glance
from dashboards.selectors.tasks import task_board
from dashboards.selectors.units import units_page
from indicators.selectors import indicators_with_targets
from ipcity.quarters import Quarter
from plans.selectors import plan_get, plan_list, plans_with_tasks
from progress.models import Progress


@login_required
@require_GET
def home(request):
    """Both plans as encoded — sections, tasks with their units, indicators with targets by year — for
    checking the encoding against the documents."""
    plans = plans_with_tasks().prefetch_related(Prefetch("indicators", queryset=indicators_with_targets()))
    return render(request, "dashboards/home.html", {"plans": plans})


EVERY_ROLE = (*REPORTERS, *READERS)


YEAR_ERROR = "年度应为四位数字的年份，如2026。"
QUARTER_ERROR = "季度应为1至4之间的数字。"


class QuarterForm(forms.Form):
    year = forms.IntegerField(
        label="年度",
        min_value=2000,
        max_value=2100,
        required=False,
        error_messages={"invalid": YEAR_ERROR, "min_value": YEAR_ERROR, "max_value": YEAR_ERROR},
    )
    quarter = forms.IntegerField(
        label="季度",
        min_value=1,
        max_value=4,
        required=False,
        error_messages={"invalid": QUARTER_ERROR, "min_value": QUARTER_ERROR, "max_value": QUARTER_ERROR},
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if (data.get("year") is None) != (data.get("quarter") is None):
            raise forms.ValidationError("请同时选择年度和季度。")
        return data

    @property
    def requested(self) -> Quarter | None:
        year, quarter = self.cleaned_data.get("year"), self.cleaned_data.get("quarter")
        return Quarter(year, quarter) if year is not None else None


class OverviewForm(QuarterForm):
    status = forms.ChoiceField(
        label="状态",
        choices=[("", "全部"), *Progress.Status.choices],
        required=False,
        error_messages={"invalid_choice": "没有“%(value)s”这种状态，请从列表中选择。"},
    )
    unit = forms.IntegerField(
        label="责任单位", min_value=1, required=False, error_messages={"invalid": "请从列表中选择责任单位。"}
    )
    # Plans with more units than a list can hold (a national plan's counties) ask for the unit's name.
    unit_name = forms.CharField(label="责任单位名称", max_length=64, required=False)


def _bad_request(request, form: forms.Form):
    return render(request, "dashboards/bad_request.html", {"form": form}, status=400)


def _period(plan, form: QuarterForm) -> PeriodChoice:
    return period_choose(progress_quarters(plan), form.requested)


@role_required(*EVERY_ROLE)
@require_GET
def index(request):
    glances = plans_at_a_glance(list(plan_list()))
    return render(request, "dashboards/index.html", {"glances": glances})


@role_required(*EVERY_ROLE)
@require_GET
def overview(request, slug: str):
    plan = plan_get(slug)
    form = OverviewForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form)
    period = _period(plan, form)
    page = plan_overview(
        plan,
        period,
        request.user,
        status=form.cleaned_data["status"],
        unit_id=form.cleaned_data["unit"],
        unit_name=form.cleaned_data["unit_name"],
    )
    keep = [(name, value) for name, value in (("status", page.status), ("unit", page.unit_id)) if value]
    context = {"plan": plan, "period": period, "page": page, "keep": keep, "card_units": CARD_UNITS}
    return render(request, "dashboards/overview.html", context)


@role_required(*EVERY_ROLE)
@require_GET
def indicator(request, slug: str, code: str):
    plan = plan_get(slug)
    form = QuarterForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form)
    period = _period(plan, form)
    page = indicator_page(plan, code, period, request.user)
    chart = charts.figure_data(charts.indicator_chart(page))
    return render(
        request, "dashboards/indicator.html", {"plan": plan, "period": period, "page": page, "chart": chart}
    )


@role_required(*EVERY_ROLE)
@require_GET
def units(request, slug: str):
    plan = plan_get(slug)
    form = QuarterForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form)
    period = _period(plan, form)
    page = units_page(plan, period, request.user)
    chart = charts.figure_data(charts.timeliness_heatmap(page))
    context = {"plan": plan, "period": period, "page": page, "chart": chart}
    return render(request, "dashboards/units.html", context)


@role_required(*EVERY_ROLE)
@require_GET
def tasks(request, slug: str):
    plan = plan_get(slug)
    form = QuarterForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form)
    period = _period(plan, form)
    board = task_board(plan, period, request.user)
    return render(request, "dashboards/tasks.html", {"plan": plan, "period": period, "board": board})


@role_required(*EVERY_ROLE)
@require_GET
def compare(request):
    form = QuarterForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form)
    plans = list(plan_list())
    period = period_choose(comparison_quarters(plans), form.requested)
    page = comparison(plans, period)
    completion = charts.figure_data(charts.completion_chart(page))
    themes = [(theme, charts.figure_data(charts.theme_chart(theme, page))) for theme in page.themes]
    return render(
        request,
        "dashboards/compare.html",
        {"period": period, "page": page, "completion": completion, "themes": themes},
    )
