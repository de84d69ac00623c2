"""Reading the audit trail across models: what each record changed, old → new."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
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


# How a related object is named in a change: (the foreign key, the id it held) → its name, or None if unknown.
Names = Callable[[Field, object], "str | None"]


def changes(
    fields: Iterable[Field], old: Model | None, new: Model, names: Names | None = None
) -> list[Change]:
    """Each field whose value differs between two history records of one object, as people read it. A new
    object (`old` None) is compared with the fields' defaults, so it lists only what was actually filled in,
    its old values shown as —. A foreign key shows the related object's name through `names` (else its id).
    The audit page and a figure's own history both read it."""
    found = []
    for field in fields:
        was = _shown(field, field.get_default() if old is None else getattr(old, field.attname), names)
        now = _shown(field, getattr(new, field.attname), names)
        if was != now:
            found.append(Change(str(field.verbose_name), "—" if old is None else was, now))
    return found


def _shown(field, value, names: Names | None = None) -> str:
    if value is None or value == "":
        return "—"
    if field.is_relation:
        name = names(field, value) if names else None
        return name if name is not None else f"#{value}"
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

    Two queries per kind of object among `records`, and two per kind of object their foreign keys name,
    whatever their number: meant for one page of the list."""
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
        names = RelatedNames(fields, [*rows, *before.values()])
        for row in rows:
            old = before.get(row.previous_id)
            details[f"{label}:{row.history_id}"] = AuditDetail(
                label=f"{tracked._meta.verbose_name} #{row.id}",
                changes=[]
                if row.history_type == "-"
                else changes(fields, old, row, names.at(row.history_date)),
            )
    return details


class RelatedNames:
    """The objects the foreign keys of some history records point at, by their names as they were when each
    record was written: the related object's last history record at or before that moment, else its row as it
    is now, else "#id（已删除）". Two queries per kind of related object, whatever the number of records."""

    def __init__(self, fields: Iterable[Field], rows: Iterable[Model]):
        wanted: dict[type[Model], set] = defaultdict(set)
        relations = [field for field in fields if field.is_relation]
        for row in rows:
            for field in relations:
                value = getattr(row, field.attname)
                if value is not None:
                    wanted[field.related_model].add(value)
        self._versions: dict[tuple[type[Model], object], list[tuple[datetime, str]]] = defaultdict(list)
        self._now: dict[tuple[type[Model], object], str] = {}
        for model, ids in wanted.items():
            history = getattr(model, "history", None)
            key = model._meta.pk.attname  # the tracked object's id, not the history record's
            if history is not None:
                versions = history.filter(**{f"{key}__in": ids}).order_by("history_date", "history_id")
                for version in versions:
                    self._versions[model, getattr(version, key)].append(
                        (version.history_date, str(version.instance))
                    )
            for pk, row in model._default_manager.in_bulk(list(ids)).items():
                self._now[model, pk] = str(row)

    def at(self, when: datetime) -> Names:
        """`names` for `changes`, as of `when`."""

        def name(field: Field, value: object) -> str:
            key = (field.related_model, value)
            then = [named for at, named in self._versions.get(key, ()) if at <= when]
            if then:
                return then[-1]
            return self._now.get(key) or f"#{value}（已删除）"

        return name
