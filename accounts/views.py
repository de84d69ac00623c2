"""Login with a landing page by role: reporters start at 本季度填报, the office at its review queue."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse

from accounts.permissions import is_reporter, is_reviewer


def landing_url(user) -> str:
    """Where a user starts after logging in (unless the login page was given a `next`)."""
    if is_reporter(user):
        return reverse("report")
    if is_reviewer(user):
        return reverse("review")
    return reverse("home")


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user)
