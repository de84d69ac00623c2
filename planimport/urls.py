from django.urls import path

from planimport import views

urlpatterns = [
    path("office/plans/import/", views.plan_import, name="plan-import"),
    path("office/plans/drafts/<int:pk>/", views.plan_draft, name="plan-draft"),
    path("office/plans/drafts/<int:pk>/edit/", views.plan_draft_edit, name="plan-draft-edit"),
    path("office/plans/drafts/<int:pk>/publish/", views.plan_draft_publish, name="plan-draft-publish"),
    path("office/plans/drafts/<int:pk>/revise/", views.plan_draft_revise, name="plan-draft-revise"),
]
