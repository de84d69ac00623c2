"""Every indicator carries its definition (口径), its state (待确认 until the office confirms it) and the key
that makes it comparable across plans."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0009_models_move_to_reporting_and_progress"),
        ("plans", "0003_population_moves_to_indicators"),
    ]

    operations = [
        # SQLite rebuilds the history table to add its columns and refuses while the audit view reads it; the
        # view is created again after every migrate (audit.guard.on_post_migrate).
        migrations.RunSQL("DROP VIEW IF EXISTS audit_record", migrations.RunSQL.noop),
        migrations.AddField(
            model_name="historicalindicator",
            name="comparable_key",
            field=models.SlugField(blank=True, max_length=64, verbose_name="可比口径"),
        ),
        migrations.AddField(
            model_name="historicalindicator",
            name="counts_from",
            field=models.CharField(
                blank=True,
                help_text="时点值写明时点；累计写明自何时起算",
                max_length=200,
                verbose_name="起算",
            ),
        ),
        migrations.AddField(
            model_name="historicalindicator",
            name="definition",
            field=models.TextField(
                blank=True, help_text="统计什么（范围、对象），可附参考数", verbose_name="口径"
            ),
        ),
        migrations.AddField(
            model_name="historicalindicator",
            name="definition_by_office",
            field=models.BooleanField(default=False, verbose_name="口径经办公室确认"),
        ),
        migrations.AddField(
            model_name="historicalindicator",
            name="definition_question",
            field=models.TextField(
                blank=True,
                default="口径尚未依据文件核定：请办公室确认统计什么、自何时起算、依据哪句原文。",
                verbose_name="待确认问题",
            ),
        ),
        migrations.AddField(
            model_name="historicalindicator",
            name="definition_source",
            field=models.TextField(blank=True, help_text="所依据的文件原文句子", verbose_name="口径依据"),
        ),
        migrations.AddField(
            model_name="historicalindicator",
            name="definition_state",
            field=models.CharField(
                choices=[("pending", "待确认"), ("confirmed", "已确认")],
                default="pending",
                max_length=16,
                verbose_name="口径状态",
            ),
        ),
        migrations.AddField(
            model_name="indicator",
            name="comparable_key",
            field=models.SlugField(blank=True, max_length=64, verbose_name="可比口径"),
        ),
        migrations.AddField(
            model_name="indicator",
            name="counts_from",
            field=models.CharField(
                blank=True,
                help_text="时点值写明时点；累计写明自何时起算",
                max_length=200,
                verbose_name="起算",
            ),
        ),
        migrations.AddField(
            model_name="indicator",
            name="definition",
            field=models.TextField(
                blank=True, help_text="统计什么（范围、对象），可附参考数", verbose_name="口径"
            ),
        ),
        migrations.AddField(
            model_name="indicator",
            name="definition_by_office",
            field=models.BooleanField(default=False, verbose_name="口径经办公室确认"),
        ),
        migrations.AddField(
            model_name="indicator",
            name="definition_question",
            field=models.TextField(
                blank=True,
                default="口径尚未依据文件核定：请办公室确认统计什么、自何时起算、依据哪句原文。",
                verbose_name="待确认问题",
            ),
        ),
        migrations.AddField(
            model_name="indicator",
            name="definition_source",
            field=models.TextField(blank=True, help_text="所依据的文件原文句子", verbose_name="口径依据"),
        ),
        migrations.AddField(
            model_name="indicator",
            name="definition_state",
            field=models.CharField(
                choices=[("pending", "待确认"), ("confirmed", "已确认")],
                default="pending",
                max_length=16,
                verbose_name="口径状态",
            ),
        ),
        migrations.AlterField(
            model_name="historicalindicator",
            name="measure",
            field=models.CharField(
                choices=[
                    ("stock", "存量（期末值）"),
                    ("flow", "当期新增"),
                    ("cumulative", "实施期内累计"),
                    ("ratio", "比率（Σ分子/Σ分母）"),
                    ("per_capita", "每万人口"),
                    ("milestone", "定性目标"),
                ],
                max_length=16,
                verbose_name="统计方式",
            ),
        ),
        migrations.AlterField(
            model_name="indicator",
            name="measure",
            field=models.CharField(
                choices=[
                    ("stock", "存量（期末值）"),
                    ("flow", "当期新增"),
                    ("cumulative", "实施期内累计"),
                    ("ratio", "比率（Σ分子/Σ分母）"),
                    ("per_capita", "每万人口"),
                    ("milestone", "定性目标"),
                ],
                max_length=16,
                verbose_name="统计方式",
            ),
        ),
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("definition_state", "pending"), _negated=True),
                    models.Q(("definition_question", ""), _negated=True),
                    _connector="OR",
                ),
                name="indicator_pending_definition_has_question",
            ),
        ),
    ]
