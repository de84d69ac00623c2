from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render
from django.views.decorators.http import require_GET

from indicators.selectors import indicators_with_targets
from plans.selectors import plans_with_tasks


@login_required
@require_GET
def home(request):
    """Both plans as encoded — sections, tasks with their units, indicators with targets by year — for
    checking the encoding against the documents."""
    plans = plans_with_tasks().prefetch_related(Prefetch("indicators", queryset=indicators_with_targets()))
    return render(request, "plans/home.html", {"plans": plans})
