"""The office's definitions (口径): every indicator of the plans with what it counts, from when, level or flow
and the sentences it rests on, 待确认 first; the office confirms or changes a reading with a reason."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import REVIEWERS, role_required
from indicators.models import Indicator
from indicators.selectors import indicators_by_definition
from indicators.services import definition_change
from plans.models import Plan
from reporting.forms import DefinitionForm
from reporting.views import office_save, posted


@role_required(*REVIEWERS)
@require_GET
def office_definitions(request):
    plans = list(Plan.objects.order_by("slug"))
    plan = next((p for p in plans if p.slug == request.GET.get("plan")), None)
    indicators = list(indicators_by_definition(plan))
    pending = sum(indicator.definition_pending for indicator in indicators)
    return render(
        request,
        "reporting/office_definitions.html",
        {"plans": plans, "plan": plan, "indicators": indicators, "pending": pending},
    )


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def office_definition(request, pk: int):
    indicator = get_object_or_404(Indicator.objects.select_related("plan"), pk=pk)
    form = DefinitionForm(posted(request), indicator=indicator)
    saved = office_save(
        request,
        form,
        lambda **audit: definition_change(indicator=indicator, data=form.definition_input(), **audit),
        done=f"“{indicator.name}”的口径已保存；涉及统计方式、基期值或口径的修改已安排重新汇总。",
        back=f"{reverse('office-definitions')}#indicator-{indicator.pk}",
    )
    if saved:
        return saved
    return render(request, "reporting/office_definition.html", {"indicator": indicator, "form": form})
