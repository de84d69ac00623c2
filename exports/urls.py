"""Excel reports and bulletins. Included by ipcity/urls.py under the `reports` namespace, like
dashboards/urls.py."""

from django.urls import include, path

from exports import views

# One export job's pages, under reports/jobs/<id>/.
job_pages = [
    path("", views.export_job, name="export-job"),
    path("status/", views.export_status, name="export-status"),
    path("download/", views.export_download, name="export-download"),
]

urlpatterns = [
    path("reports/", views.exports, name="exports"),
    path("reports/jobs/", views.export_start, name="export-start"),
    path("reports/jobs/<uuid:pk>/", include(job_pages)),
    path("reports/bulletin/<slug:slug>/", views.bulletin, name="bulletin"),
    path("reports/bulletin/<slug:slug>/release/", views.bulletin_release_view, name="bulletin-release"),
    path("reports/documents/<slug:slug>/<slug:kind>/", views.document, name="document"),
]
