from django.urls import path

from audit.views import lockouts

urlpatterns = [
    path("office/lockouts/", lockouts, name="office-lockouts"),
]
