from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save

# Saves that are not a person's change of the account: Django stamps last_login on every login.
UNRECORDED_SAVES = {frozenset({"last_login"})}


def _skip_login_stamp(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and frozenset(update_fields) in UNRECORDED_SAVES:
        instance.skip_history_when_saving = True  # django-simple-history's documented switch


def _restore_history(sender, instance, **kwargs) -> None:
    if getattr(instance, "skip_history_when_saving", False):
        del instance.skip_history_when_saving


def _logged_in(sender, request, user, **kwargs) -> None:
    from ipcity.middleware import mark_active

    if request is not None and hasattr(request, "session"):
        mark_active(request)  # the idle clock starts at login (ipcity.middleware.SessionActivityMiddleware)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "用户与角色"

    def ready(self) -> None:
        user_logged_in.connect(_logged_in, dispatch_uid="accounts-logged-in")
        # The user's history (accounts.models.User.history) records changes, not logins.
        pre_save.connect(
            _skip_login_stamp, sender=self.get_model("User"), dispatch_uid="accounts-login-stamp"
        )
        post_save.connect(
            _restore_history, sender=self.get_model("User"), dispatch_uid="accounts-login-restore"
        )
