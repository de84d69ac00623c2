"""The leaders' read-only pages. Included by ipcity/urls.py under the `reports` namespace, which the URL names
have always had (`reports:overview`), so templates and bookmarks keep working."""

from django.urls import path

from dashboards import views

urlpatterns = [
    path("plans/", views.index, name="index"),
    path("plans/<slug:slug>/", views.overview, name="overview"),
    path("plans/<slug:slug>/indicators/<slug:code>/", views.indicator, name="indicator"),
    path("plans/<slug:slug>/units/", views.units, name="units"),
    path("plans/<slug:slug>/tasks/", views.tasks, name="tasks"),
    path("compare/", views.compare, name="compare"),
]
