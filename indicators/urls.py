from django.urls import path

from indicators import import_views

urlpatterns = []

# Excel template round trip for reporters (indicators/import_views.py).
urlpatterns += [
    path("imports/", import_views.import_start, name="import-start"),
    path("imports/template/<int:year>/<int:quarter>/", import_views.import_template, name="import-template"),
    path("imports/upload/", import_views.import_upload, name="import-upload"),
    path("imports/<slug:token>/", import_views.import_preview, name="import-preview"),
    path("imports/<slug:token>/confirm/", import_views.import_confirm, name="import-confirm"),
    path("imports/<slug:token>/cancel/", import_views.import_cancel, name="import-cancel"),
]
