"""Leaders' dashboards. Each view validates the query string, calls one selector, builds its charts, renders.

Every role may open them; what a reporter sees is narrowed by the selectors to its own unit (another unit's
indicator drill-down is a 404)."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import READERS, REPORTERS, role_required
from assessment.selectors import part_rows, ranking, weight_list
from dashboards import charts
from dashboards.forms import OverviewForm, QuarterForm, RankingForm
from dashboards.selectors.board import supervision_board
from dashboards.selectors.common import PeriodChoice, period_choose, progress_quarters, ranking_default
from dashboards.selectors.compare import comparison, comparison_quarters
from dashboards.selectors.indicator import indicator_page
from dashboards.selectors.overview import CARD_UNITS, plan_overview, plans_at_a_glance
from dashboards.selectors.tasks import task_board
from dashboards.selectors.units import units_page
from indicators.selectors import indicators_with_targets
from ipcity.quarters import Quarter, quarter_name
from plans.selectors import plan_get, plan_list, plans_with_tasks
from supervision.selectors import instructions_listed

INSTRUCTIONS_SHOWN = 20


@login_required
@require_GET
def home(request):
    """Both plans as encoded — sections, tasks with their units, indicators with targets by year — for
    checking the encoding against the documents."""
    plans = plans_with_tasks().prefetch_related(Prefetch("indicators", queryset=indicators_with_targets()))
    return render(request, "dashboards/home.html", {"plans": plans})


EVERY_ROLE = (*REPORTERS, *READERS)


def _bad_request(request, form: forms.Form):
    return render(request, "dashboards/bad_request.html", {"form": form}, status=400)


def _period(plan, form: QuarterForm) -> PeriodChoice:
    return period_choose(progress_quarters(plan), form.requested)


def plan_page(form_class: type[QuarterForm] = QuarterForm):
    """A dashboard page of one plan at one quarter, for every role, read with GET: the view gets the plan,
    its valid query form and the quarter to show; a bad query string is a 400 page naming what is wrong."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, slug: str, **kwargs):
            plan = plan_get(slug)
            form = form_class(request.GET)
            if not form.is_valid():
                return _bad_request(request, form)
            return view(request, plan, form, _period(plan, form), **kwargs)

        return role_required(*EVERY_ROLE)(require_GET(wrapped))

    return decorator


@role_required(*READERS)
@require_GET
def board(request):
    """督办看板, where a leader lands: what is behind across the plans, most serious first, each row one click
    from a 批示 or a 督办."""
    page = supervision_board(list(plan_list()))
    return render(request, "dashboards/board.html", {"board": page})


@role_required(*EVERY_ROLE)
@require_GET
def index(request):
    glances = plans_at_a_glance(list(plan_list()))
    return render(request, "dashboards/index.html", {"glances": glances})


@plan_page(OverviewForm)
def overview(request, plan, form, period):
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


@plan_page()
def indicator(request, plan, form, period, code: str):
    page = indicator_page(plan, code, period, request.user)
    chart = charts.figure_data(charts.indicator_chart(page))
    # 批示 on the indicator, to the office, leaders and the units that report it (the page is theirs only).
    notes = instructions_listed(request.user, indicator_id=page.indicator.pk)[:INSTRUCTIONS_SHOWN]
    context = {"plan": plan, "period": period, "page": page, "chart": chart, "instructions": list(notes)}
    return render(request, "dashboards/indicator.html", context)


@plan_page()
def units(request, plan, form, period):
    page = units_page(plan, period, request.user)
    chart = charts.figure_data(charts.timeliness_heatmap(page))
    context = {"plan": plan, "period": period, "page": page, "chart": chart}
    return render(request, "dashboards/units.html", context)


@plan_page()
def tasks(request, plan, form, period):
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


@role_required(*READERS)
@require_GET
def ranking_page(request, slug: str):
    """目标考核: the plan's units ranked for a quarter or a year, each part of the score shown."""
    plan = plan_get(slug)
    form = RankingForm(request.GET, plan=plan)
    if not form.is_valid():
        return _bad_request(request, form)
    year, quarter = ranking_default(plan, form.cleaned_data["year"], form.cleaned_data["quarter"])
    result = ranking(plan, year, quarter)
    rows = [(unit, part_rows(result, unit)) for unit in result.units]
    at = Quarter(year, quarter) if quarter else None
    context = {
        "plan": plan, "result": result, "rows": rows, "period": PeriodChoice(at, []),
        "weights": weight_list(result.weights),
        "quarter_choices": [(q, quarter_name(q)) for q in (1, 2, 3, 4)],
    }  # fmt: skip
    return render(request, "dashboards/ranking.html", context)
