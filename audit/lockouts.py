"""The office lifts a login lock with a reason (the page is audit/views.py): the failures are forgotten and an
`Unlock` row records whose lock, from where, by whom and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from axes.utils import reset
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.lockout import is_locked
from accounts.permissions import ensure_reviewer
from audit.models import Unlock
from audit.services import reason_required, stamp

if TYPE_CHECKING:
    from accounts.models import User

UNLOCK_REASON = "解除登录锁定：{reason}"


def unlock(*, by: User, username: str, ip_address: str, reason: str) -> Unlock:
    """Lift the lock on `username` from `ip_address` (username "" lifts the address's own lock). A pair that
    is not locked is refused (ValidationError), so nothing is recorded that did not happen."""
    ensure_reviewer(by)
    reason = reason_required(reason, "解锁原因")
    lock = is_locked(username, ip_address)
    if lock is None:
        raise ValidationError(f"{username or '该地址'}（{ip_address}）目前没有被锁定，无需解锁。")
    with transaction.atomic():
        reset(ip=ip_address, username=username or None)
        row = Unlock(username=username, ip_address=ip_address, failures=lock.failures)
        stamp(row, by, UNLOCK_REASON.format(reason=reason))
        row.save()
    return row
