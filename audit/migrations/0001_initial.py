"""The audit guard: triggers making every history table append-only, and the view the 审计记录 page reads.

The tables come from this migration's app registry (every model with simple-history's fields), and
audit.guard.install runs again after every later migrate, so a history table added later is guarded too."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def guard_history(apps, schema_editor):
    from audit.guard import history_models, install

    install(schema_editor.connection, history_models(apps))


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("plans", "0001_initial"),
        ("indicators", "0004_evidence_history_and_reminders"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditRecord",
            fields=[
                ("id", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("model", models.CharField(max_length=100, verbose_name="对象类型")),
                ("object_id", models.CharField(max_length=64, verbose_name="对象编号")),
                ("history_id", models.IntegerField(verbose_name="记录号")),
                ("history_date", models.DateTimeField(verbose_name="时间")),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "新建"), ("~", "修改"), ("-", "删除")], max_length=1, verbose_name="操作"
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="操作人",
                    ),
                ),
                ("history_change_reason", models.TextField(null=True, verbose_name="原因")),
            ],
            options={
                "verbose_name": "审计记录",
                "verbose_name_plural": "审计记录",
                "db_table": "audit_record",
                "ordering": ["-history_date", "-history_id"],
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
        migrations.RunPython(guard_history, migrations.RunPython.noop),
    ]
