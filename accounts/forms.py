"""A person's own password change, recorded in their account's history with its reason."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordChangeForm

OWN_CHANGE_REASON = "本人修改密码"


class OwnPasswordChangeForm(PasswordChangeForm):
    def save(self, commit=True):
        # django-simple-history's reason; the user is the request's (HistoryRequestMiddleware). The hash
        # itself is not in the history (accounts.models.User.history).
        self.user._change_reason = OWN_CHANGE_REASON
        return super().save(commit)
