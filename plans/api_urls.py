from django.urls import path

from plans.api import PlanDetailApi, PlanListApi

urlpatterns = [
    path("plans/", PlanListApi.as_view(), name="api-plan-list"),
    path("plans/<slug:slug>/", PlanDetailApi.as_view(), name="api-plan-detail"),
]
