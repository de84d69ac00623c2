from django.urls import path

from indicators.api import PlanIndicatorsApi

urlpatterns = [
    path("plans/<slug:slug>/indicators/", PlanIndicatorsApi.as_view(), name="api-plan-indicators"),
]
