"""The bell in the top navigation: the signed-in user's unread count, one query, only on pages that
draw it."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def bell(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from notifications.selectors import unread_count

    # Lazy: pages that never draw the top bar (downloads, JSON) pay no query.
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
