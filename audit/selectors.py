"""Reading the audit trail across models: what each record changed, old → new."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db.models import Field, Model, OuterRef, Subquery

from audit.guard import history_models, tracked_label
from audit.models import AuditRecord
from ipcity.figures import plain


@dataclass
class Change:
    label: str
    old: str
    new: str


def changes(fields: Iterable[Field], old: Model | None, new: Model) -> list[Change]:
    """Each field whose value differs between two history records of one object, as people read it. A new
    object (`old` None) is compared with the fields' defaults, so it lists only what was actually filled in,
    its old values shown as —. The audit page and a figure's own history both read it."""
    found = []
    for field in fields:
        was = _shown(field, field.get_default() if old is None else getattr(old, field.attname))
        now = _shown(field, getattr(new, field.attname))
        if was != now:
            found.append(Change(str(field.verbose_name), "—" if old is None else was, now))
    return found


def _shown(field, value) -> str:
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return plain(value)
    return str(value)


# Bookkeeping every save moves: not what a person changed.
UNAUDITED = {"id", "version", "created_at", "updated_at"}


@dataclass
class AuditDetail:
    label: str  # e.g. 指标填报 #12
    changes: list[Change]


def audited_models() -> list[tuple[str, str]]:
    """(model label, its name in Chinese) of every model with an audit trail, for the page's filter."""
    labels = [tracked_label(history) for history in history_models()]
    return [(label, str(apps.get_model(label)._meta.verbose_name)) for label in labels]


def _fields(model: type[Model], history: type[Model]) -> list[Field]:
    """The fields of `model` its history keeps (a history may leave some out: the user's password hash)."""
    kept = {field.attname for field in history._meta.concrete_fields}
    return [
        field
        for field in model._meta.concrete_fields
        if field.name not in UNAUDITED and field.attname in kept
    ]


def audit_details(records: Iterable[AuditRecord]) -> dict[str, AuditDetail]:
    """For each record (by id), the object it is about and each field's old and new value against the
    object's previous record (a new object against the field defaults; a deletion lists nothing).

    Two queries per kind of object among `records`, whatever their number: meant for one page of the list."""
    by_model: dict[str, list[AuditRecord]] = defaultdict(list)
    for record in records:
        by_model[record.model].append(record)
    details: dict[str, AuditDetail] = {}
    histories = {tracked_label(history): history for history in history_models()}
    for label, group in by_model.items():
        tracked, history = apps.get_model(label), histories[label]
        fields = _fields(tracked, history)
        previous = history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        rows = list(
            history.objects.filter(history_id__in=[record.history_id for record in group]).annotate(
                previous_id=Subquery(previous.order_by("-history_id").values("history_id")[:1])
            )
        )
        before = history.objects.in_bulk([row.previous_id for row in rows if row.previous_id])
        for row in rows:
            old = before.get(row.previous_id)
            details[f"{label}:{row.history_id}"] = AuditDetail(
                label=f"{tracked._meta.verbose_name} #{row.id}",
                changes=[] if row.history_type == "-" else changes(fields, old, row),
            )
    return details
