"""Who may see and do what. Pages and API views ask these; they never compare roles themselves.

A reporter sees only its own unit: querysets are narrowed with `scope_to_unit`, so another unit's row is
simply not found (404), never a 403 that would confirm it exists.
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from rest_framework.permissions import BasePermission

from accounts.models import User

if TYPE_CHECKING:
    pass


Role = User.Role
READERS = (Role.REVIEWER, Role.LEADER, Role.ADMIN)  # see every unit
REVIEWERS = (Role.REVIEWER, Role.ADMIN)  # approve, return, reopen; manage periods, assignments, targets
REPORTERS = (Role.REPORTER,)


def has_role(user, roles) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in roles)


def is_reviewer(user) -> bool:
    return has_role(user, REVIEWERS)


def is_reporter(user) -> bool:
    return has_role(user, REPORTERS) and user.unit_id is not None


def ensure_reporter_of(user, unit) -> None:
    """PermissionDenied unless `user` reports for `unit`."""
    if not (is_reporter(user) and user.unit_id == unit.pk):
        raise PermissionDenied("只能填报本单位的数据。")


def ensure_reviewer(user) -> None:
    """PermissionDenied unless `user` is of the office (reviewers and admins)."""
    if not is_reviewer(user):
        raise PermissionDenied("只有办公室审核人员可以审核。")


def scope_to_unit(queryset: QuerySet, user, lookup: str = "unit_id") -> QuerySet:
    """Narrow `queryset` to what `user` may see: a reporter the rows whose `lookup` is its own unit,
    readers everything, anyone else nothing."""
    if is_reporter(user):
        return queryset.filter(**{lookup: user.unit_id})
    if has_role(user, READERS):
        return queryset
    return queryset.none()


def role_required(*roles):
    """A function view only for these roles: anonymous users go to the login page, other roles get 403.
    Put it above the view's method decorator (`require_GET`…): who may come is answered before which
    method, as DRF does, so a refused role hears the same whatever it sends."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, roles):
                raise PermissionDenied("您的角色无权访问此页面。")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class HasRole(BasePermission):
    """DRF: `permission_classes = [HasRole.of(*roles)]`."""

    roles: tuple[str, ...] = ()
    message = "您的角色无权执行此操作。"

    @classmethod
    def of(cls, *roles: str) -> type[HasRole]:
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": roles})

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, self.roles)
