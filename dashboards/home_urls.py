"""`/`, the plans as encoded, outside the `reports` namespace: its URL name has always been plain `home`."""

from django.urls import path

from dashboards import views

urlpatterns = [path("", views.home, name="home")]
