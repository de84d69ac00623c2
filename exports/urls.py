"""Excel reports and bulletins. Included by ipcity/urls.py under the `reports` namespace, like
dashboards/urls.py."""

from django.urls import path

from exports import views

urlpatterns = [
    path("reports/", views.exports, name="exports"),
    path("reports/jobs/", views.export_start, name="export-start"),
    path("reports/jobs/<uuid:pk>/", views.export_job, name="export-job"),
    path("reports/jobs/<uuid:pk>/status/", views.export_status, name="export-status"),
    path("reports/jobs/<uuid:pk>/download/", views.export_download, name="export-download"),
    path("reports/bulletin/<slug:slug>/", views.bulletin, name="bulletin"),
    path("reports/bulletin/<slug:slug>/release/", views.bulletin_release_view, name="bulletin-release"),
]
