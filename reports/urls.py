from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("plans/", views.index, name="index"),
    path("plans/<slug:slug>/", views.overview, name="overview"),
    path("plans/<slug:slug>/indicators/<slug:code>/", views.indicator, name="indicator"),
    path("plans/<slug:slug>/units/", views.units, name="units"),
    path("plans/<slug:slug>/tasks/", views.tasks, name="tasks"),
    path("compare/", views.compare, name="compare"),
]
