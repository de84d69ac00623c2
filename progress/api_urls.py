from django.urls import path

from progress.api import PlanProgressApi

urlpatterns = [
    path("plans/<slug:slug>/progress/", PlanProgressApi.as_view(), name="api-plan-progress"),
]
