"""The leaders' read-only pages. Included by ipcity/urls.py under the `reports` namespace, which the URL names
have always had (`reports:overview`), so templates and bookmarks keep working."""

from django.urls import include, path

from dashboards import views

# One plan's pages, under plans/<slug>/.
plan_pages = [
    path("", views.overview, name="overview"),
    path("indicators/<slug:code>/", views.indicator, name="indicator"),
    path("units/", views.units, name="units"),
    path("tasks/", views.tasks, name="tasks"),
    path("ranking/", views.ranking_page, name="ranking"),
]

urlpatterns = [
    path("plans/", views.index, name="index"),
    path("board/", views.board, name="board"),
    path("plans/<slug:slug>/", include(plan_pages)),
    path("compare/", views.compare, name="compare"),
]
