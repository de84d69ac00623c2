from django.urls import path

from assessment import views

urlpatterns = [
    path(
        "office/plans/<slug:slug>/ranking-weights/",
        views.office_ranking_weights,
        name="office-ranking-weights",
    ),
]
