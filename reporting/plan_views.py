"""方案维护: the office's editor for what no plan document states — reporting assignments and definitions
(their own pages), the population per-capita indicators divide by, and the milestones of the years the
document sets no target for. Each write goes through `indicators.editing` with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import REVIEWERS, role_required
from audit.services import Conflict
from indicators.editing import milestone_restore, milestone_set, population_set, population_years
from indicators.models import Indicator, Population, Target
from indicators.selectors import indicators_with_milestones, population_grid
from plans.selectors import plan_get, plan_list, plan_regions
from reporting.forms import MilestoneForm, PopulationForm
from reporting.views import _to_form, office_save, posted


@role_required(*REVIEWERS)
@require_GET
def office_plans(request):
    return render(request, "reporting/office_plans.html", {"plans": plan_list()})


@role_required(*REVIEWERS)
@require_GET
def office_plan(request, slug: str):
    return render(request, "reporting/office_plan.html", {"plan": plan_get(slug)})


@role_required(*REVIEWERS)
@require_GET
def office_population(request, slug: str):
    plan = plan_get(slug)
    years = population_years(plan)
    grid = population_grid(plan, years)
    return render(request, "reporting/office_population.html", {"plan": plan, "years": years, "grid": grid})


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def office_population_edit(request, slug: str, region_id: int, year: int):
    plan = plan_get(slug)
    region = next((region for region in plan_regions(plan) if region.pk == region_id), None)
    if region is None or year not in population_years(plan):
        raise Http404("该地区或年度不在本方案的人口数据范围内。")
    current = Population.objects.filter(region=region, year=year).first()
    form = PopulationForm(posted(request), region=region, year=year, population=current)
    saved = office_save(
        request,
        form,
        lambda **audit: population_set(region=region, year=year, data=form.population_input(), **audit),
        done=f"{region.name}{year}年常住人口已保存；涉及的每万人口指标已安排重新汇总。",
        back=f"{reverse('office-population', args=[plan.slug])}#region-{region.pk}",
    )
    if saved:
        return saved
    context = {"plan": plan, "region": region, "year": year, "current": current, "form": form}
    return render(request, "reporting/office_population_edit.html", context)


@role_required(*REVIEWERS)
@require_GET
def office_milestones(request, slug: str):
    plan = plan_get(slug)
    indicators = indicators_with_milestones(plan)
    return render(request, "reporting/office_milestones.html", {"plan": plan, "indicators": indicators})


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def office_milestone(request, slug: str, pk: int, year: int):
    plan = plan_get(slug)
    indicator = get_object_or_404(Indicator.objects.select_related("plan"), pk=pk, plan=plan)
    if year not in plan.years:
        raise Http404("该年度不在方案实施期内。")
    current = Target.objects.filter(indicator=indicator, year=year).select_related("indicator").first()
    post = posted(request)
    restore = post is not None and post.get("action") == "restore"
    form = MilestoneForm(None if restore else post, indicator=indicator, year=year, target=current)
    restore_errors: list[str] = []
    if post is not None and (restore or form.is_valid()):
        try:
            if restore:
                seen = post.get("seen", "")
                reason = post.get("reason", "")
                milestone_restore(indicator=indicator, year=year, by=request.user, reason=reason,
                                  seen=int(seen) if seen.isdigit() else None)  # fmt: skip
            else:
                data, reason = form.milestone_input(), form.cleaned_data["reason"]
                milestone_set(indicator=indicator, year=year, data=data, by=request.user, reason=reason,
                              seen=form.cleaned_data.get("seen"))  # fmt: skip
        except (ValidationError, Conflict) as error:
            said = error.messages if isinstance(error, ValidationError) else [str(error)]
            if restore:
                restore_errors = said
            elif isinstance(error, ValidationError):
                _to_form(form, error)
            else:
                form.add_error(None, said[0])
        else:
            done = "已恢复推算目标" if restore else "已保存为办公室设定目标"
            messages.success(request, f"“{indicator.name}”{year}年{done}；已安排重新汇总本方案各年度。")
            return redirect(f"{reverse('office-milestones', args=[plan.slug])}#indicator-{indicator.pk}")
    context = {
        "plan": plan, "indicator": indicator, "year": year, "current": current, "form": form,
        "restore_errors": restore_errors, "restore_reason": post.get("reason", "") if restore else "",
    }  # fmt: skip
    return render(request, "reporting/office_milestone.html", context)
