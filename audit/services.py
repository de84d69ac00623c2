"""Audited writes: who changed a row, why, and only from the version they saw.

Every app's services stamp their writes through here, so django-simple-history records the user and the
reason with each change, and rows under the optimistic lock (a `version` field) are claimed the same way
everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from accounts.permissions import is_reviewer

if TYPE_CHECKING:
    from accounts.models import User

TEXT_LIMIT = 4000  # characters of any text a person types: a reason, a note, a progress text
ADMIN_REASON = "管理后台修改：{reason}"


class Conflict(Exception):
    """Someone else changed the row since the user loaded it; nothing was written."""


def stamp(row: Model, by: User | None, reason: str) -> None:
    """Who and why, for the audit trail (django-simple-history reads these on save)."""
    row._history_user = by
    row._change_reason = reason


def claim(row: Model, seen_version: int | None) -> None:
    """Optimistic lock: move the row from the version the user saw to the next, or raise Conflict.

    The conditional UPDATE takes the row's write lock first, so two saves of one row cannot both pass, on
    PostgreSQL and SQLite alike; the caller then saves the row (which records its history) in the same
    transaction.
    """
    seen = row.version if seen_version is None else seen_version
    if not type(row).objects.filter(pk=row.pk, version=seen).update(version=seen + 1):
        raise _stale(row)
    row.version = seen + 1


def _stale(row: Model) -> Conflict:
    current = type(row).objects.filter(pk=row.pk).values_list("updated_at", flat=True).first()
    when = f"于{timezone.localtime(current):%m月%d日 %H:%M}" if current else ""
    return Conflict(
        f"{row}已被他人{when}修改，您看到的是旧版本。为避免覆盖他人的修改，本次保存未生效，请刷新页面后重新填写。"
    )


def rows_write(
    model: type[Model],
    *,
    created: Sequence[Model] = (),
    changed: Sequence[tuple[Model, int | None]] = (),
    fields: Sequence[str] = (),
) -> None:
    """Write stamped rows of one model under the optimistic lock in a fixed number of statements, whatever
    their number: the new rows in one INSERT, the changed ones (each with the version its user saw; None: the
    row's own) claimed by one conditional UPDATE, then their `fields` written by one UPDATE, and one history
    record per row with its `stamp`'s user and reason, in one INSERT.

    Call it inside a transaction: a row whose version moved raises Conflict (as `claim` does) and the caller's
    rollback leaves nothing written; a new row that already exists raises IntegrityError."""
    now = timezone.now()
    if created:
        model._default_manager.bulk_create(created)
        model.history.bulk_history_create(created, default_date=now)
    if not changed:
        return
    seen = {row.pk: row.version if version is None else version for row, version in changed}
    claimed = Q()
    for pk, version in seen.items():
        claimed |= Q(pk=pk, version=version)
    if model._default_manager.filter(claimed).update(version=F("version") + 1) != len(seen):
        current = dict(model._default_manager.filter(pk__in=seen).values_list("pk", "version"))
        raise _stale(next(row for row, _ in changed if current.get(row.pk) != seen[row.pk]))
    rows = [row for row, _ in changed]
    for row in rows:
        row.version = seen[row.pk] + 1
        row.updated_at = now
    model._default_manager.bulk_update(rows, [*fields, "version", "updated_at"])
    model.history.bulk_history_create(rows, update=True, default_date=now)


# Characters that show nothing: a reason made of them (or of spaces) is no reason.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def reason_required(reason: str, what: str) -> str:
    """The reason a person typed, stripped of whitespace and zero-width characters at both ends; a Chinese
    ValidationError naming `what` when nothing visible is left, or when it is too long."""
    reason = reason or ""
    while (stripped := reason.strip().strip(INVISIBLE)) != reason:
        reason = stripped
    if not reason:
        raise ValidationError(f"请填写{what}。")
    if len(reason) > TEXT_LIMIT:
        raise ValidationError(f"{what}不能超过{TEXT_LIMIT}字。")
    return reason


def admin_change(*, row: Model, by: User, reason: str, seen_version: int | None = None) -> Model:
    """Save a change made in the Django admin, audited with the admin user and the reason they typed.

    Rows with a `version` keep their optimistic lock (a stale admin form raises Conflict). Call it inside
    the transaction of anything that must follow the change (the admin's `after_write`)."""
    if not is_reviewer(by):
        raise PermissionDenied("只有办公室人员可以在管理后台修改数据。")
    reason = reason_required(reason, "修改原因")
    with transaction.atomic():
        if row.pk and hasattr(row, "version"):
            claim(row, seen_version)
        stamp(row, by, ADMIN_REASON.format(reason=reason))
        row.save()
    return row


def admin_delete(*, row: Model, by: User, reason: str) -> None:
    """Delete a row from the admin (targets, assignments), audited with the admin user and reason."""
    if not is_reviewer(by):
        raise PermissionDenied("只有办公室人员可以在管理后台修改数据。")
    reason = reason_required(reason, "修改原因")
    with transaction.atomic():
        stamp(row, by, ADMIN_REASON.format(reason=reason))
        row.delete()
