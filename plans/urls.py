from django.urls import path

from plans import views

urlpatterns = [
    path("", views.home, name="home"),
]
