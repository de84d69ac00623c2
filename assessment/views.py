"""The office's page for a plan's 目标考核 weights (the ranking itself is on the dashboards)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.permissions import REVIEWERS, role_required
from assessment.forms import RankingWeightsForm
from assessment.selectors import ranking_weights, weight_list
from assessment.services import ranking_weights_set
from plans.selectors import plan_get
from reporting.views import office_save, posted


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def office_ranking_weights(request, slug: str):
    plan = plan_get(slug)
    current = ranking_weights(plan)
    form = RankingWeightsForm(posted(request), weights=current)
    saved = office_save(
        request,
        form,
        lambda **audit: ranking_weights_set(plan=plan, weights=form.weights(), **audit),
        done="考核权重已保存；目标考核排名即按新权重计算。",
        back=reverse("reports:ranking", args=[plan.slug]),
    )
    if saved:
        return saved
    context = {"plan": plan, "current": current, "form": form, "parts": weight_list(current)}
    return render(request, "assessment/office_ranking_weights.html", context)
