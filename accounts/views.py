"""Login with a landing page by role: the office starts at its review queue, units at their open 督办事项
or 本季度填报, leaders at the 督办看板."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse

from accounts.permissions import is_reporter, is_reviewer


def landing_url(user) -> str:
    """Where a user starts after logging in (unless the login page was given a `next`): the office at its
    review queue; a leader at the 督办看板; a reporter at `start/`, which sends a unit with 督办事项 waiting
    for its answer to them, else to 本季度填报 (supervision/views.py, `start`)."""
    if is_reviewer(user):
        return reverse("review")
    if is_reporter(user):
        return reverse("start")
    return reverse("reports:board")


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user)


class LogoutView(auth_views.LogoutView):
    """Logging out says so on the login page it leads to (a shared office computer: the next person sees
    that the last one's session is closed)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "您已安全退出。如需继续使用，请重新登录。")
        return response
