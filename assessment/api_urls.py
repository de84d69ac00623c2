from django.urls import path

from assessment.api import PlanRankingApi

urlpatterns = [
    path("plans/<slug:slug>/ranking/", PlanRankingApi.as_view(), name="api-plan-ranking"),
]
