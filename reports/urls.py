from django.urls import path

from reports import report_views, views

app_name = "reports"

urlpatterns = [
    # Dashboards
    path("plans/", views.index, name="index"),
    path("plans/<slug:slug>/", views.overview, name="overview"),
    path("plans/<slug:slug>/indicators/<slug:code>/", views.indicator, name="indicator"),
    path("plans/<slug:slug>/units/", views.units, name="units"),
    path("plans/<slug:slug>/tasks/", views.tasks, name="tasks"),
    path("compare/", views.compare, name="compare"),
    # Excel reports and bulletins
    path("reports/", report_views.exports, name="exports"),
    path("reports/jobs/", report_views.export_start, name="export-start"),
    path("reports/jobs/<uuid:pk>/", report_views.export_job, name="export-job"),
    path("reports/jobs/<uuid:pk>/status/", report_views.export_status, name="export-status"),
    path("reports/jobs/<uuid:pk>/download/", report_views.export_download, name="export-download"),
    path("reports/bulletin/<slug:slug>/", report_views.bulletin, name="bulletin"),
]
