from django.urls import path

from reporting import definition_views, import_views, plan_views, review_views, views

urlpatterns = [
    path("report/", views.report, name="report"),
    path("report/history/", views.report_history, name="report-history"),
    # The office's review (reporting/review_views.py)
    path("review/", review_views.review_queue, name="review"),
    path("review/<quarter:period>/<int:unit_id>/", review_views.review_unit, name="review-unit"),
    path(
        "review/<quarter:period>/<int:unit_id>/approve-all/",
        review_views.review_approve_all,
        name="review-approve-all",
    ),
    path("review/<quarter:period>/<int:unit_id>/urge/", review_views.review_urge, name="review-urge"),
    path("review/<str:kind>/<int:pk>/<str:action>/", review_views.review_act, name="review-act"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
    path("task-reports/<int:pk>/", views.task_report_detail, name="task-report-detail"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence-download"),
    path("office/periods/", views.office_periods, name="office-periods"),
    path("office/periods/<quarter:period>/", views.office_period, name="office-period"),
    path("office/assignments/", views.office_assignments, name="office-assignments"),
    path(
        "office/assignments/indicator/<int:pk>/", views.office_indicator_units, name="office-indicator-units"
    ),
    path("office/assignments/task/<int:pk>/", views.office_task_units, name="office-task-units"),
    path("office/definitions/", definition_views.office_definitions, name="office-definitions"),
    path("office/definitions/<int:pk>/", definition_views.office_definition, name="office-definition"),
    # 方案维护: what no plan document states (reporting/plan_views.py)
    path("office/plans/", plan_views.office_plans, name="office-plans"),
    path("office/plans/<slug:slug>/", plan_views.office_plan, name="office-plan"),
    path("office/plans/<slug:slug>/population/", plan_views.office_population, name="office-population"),
    path(
        "office/plans/<slug:slug>/population/<int:region_id>/<int:year>/",
        plan_views.office_population_edit,
        name="office-population-edit",
    ),
    path("office/plans/<slug:slug>/milestones/", plan_views.office_milestones, name="office-milestones"),
    path(
        "office/plans/<slug:slug>/milestones/<int:pk>/<int:year>/",
        plan_views.office_milestone,
        name="office-milestone",
    ),
    # Excel template round trip for reporters (reporting/import_views.py).
    path("imports/", import_views.import_start, name="import-start"),
    path("imports/template/<int:year>/<int:quarter>/", import_views.import_template, name="import-template"),
    path("imports/upload/", import_views.import_upload, name="import-upload"),
    path("imports/<slug:token>/", import_views.import_preview, name="import-preview"),
    path("imports/<slug:token>/confirm/", import_views.import_confirm, name="import-confirm"),
    path("imports/<slug:token>/cancel/", import_views.import_cancel, name="import-cancel"),
]
