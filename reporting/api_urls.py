from django.urls import path

from reporting.api import (
    SubmissionApproveApi,
    SubmissionDetailApi,
    SubmissionListApi,
    SubmissionReopenApi,
    SubmissionReturnApi,
    SubmissionSubmitApi,
)

urlpatterns = [
    path("submissions/", SubmissionListApi.as_view(), name="api-submission-list"),
    path("submissions/<int:pk>/", SubmissionDetailApi.as_view(), name="api-submission-detail"),
    path("submissions/<int:pk>/submit/", SubmissionSubmitApi.as_view(), name="api-submission-submit"),
    path("submissions/<int:pk>/approve/", SubmissionApproveApi.as_view(), name="api-submission-approve"),
    path("submissions/<int:pk>/return/", SubmissionReturnApi.as_view(), name="api-submission-return"),
    path("submissions/<int:pk>/reopen/", SubmissionReopenApi.as_view(), name="api-submission-reopen"),
]
