"""For a migration that starts a model's history: one record per existing row, so the first change made after
it shows the old value (not —) in 审计记录. Records are only ever inserted, which the audit guard allows."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

EXISTING_REASON = "启用变更记录时的现状"
BATCH = 1000


def record_existing(*labels: str) -> Callable:
    """A RunPython function writing a '+' record for every row of these models ('app.Model'), in the
    migration's own app registry; fields the history leaves out are left out."""

    def forwards(apps, schema_editor) -> None:
        now = timezone.now()
        for label in labels:
            app_label, name = label.split(".")
            model = apps.get_model(app_label, name)
            history = apps.get_model(app_label, f"Historical{name}")
            kept = {field.attname for field in history._meta.concrete_fields}
            names = [field.attname for field in model._meta.concrete_fields if field.attname in kept]
            rows = [
                history(
                    **{attname: getattr(row, attname) for attname in names},
                    history_date=now,
                    history_type="+",
                    history_change_reason=EXISTING_REASON,
                )
                for row in model.objects.using(schema_editor.connection.alias).order_by("pk").iterator()
            ]
            history.objects.using(schema_editor.connection.alias).bulk_create(rows, batch_size=BATCH)

    return forwards
