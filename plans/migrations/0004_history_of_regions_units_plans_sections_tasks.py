"""Regions, units, plans (their thresholds among them), sections and tasks keep a history: who, when, old and
new values, why. Existing rows get one record each, so the first later change shows its old value."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from audit.backfill import record_existing


class Migration(migrations.Migration):

    dependencies = [
        ('plans', '0003_population_moves_to_indicators'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalPlan',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('slug', models.SlugField(max_length=64, verbose_name='标识')),
                ('title', models.CharField(max_length=200, verbose_name='方案名称')),
                ('short_title', models.CharField(max_length=64, verbose_name='简称')),
                ('issuer', models.CharField(max_length=100, verbose_name='印发单位')),
                ('issued_on', models.DateField(blank=True, null=True, verbose_name='印发日期')),
                ('start_year', models.PositiveSmallIntegerField(verbose_name='起始年度')),
                ('end_year', models.PositiveSmallIntegerField(verbose_name='终止年度')),
                ('goals', models.TextField(blank=True, verbose_name='主要目标（原文）')),
                ('source_document', models.CharField(blank=True, max_length=100, verbose_name='来源文件')),
                ('at_risk_from', models.DecimalField(decimal_places=2, default=10, max_digits=5, verbose_name='滞后阈值：预警（百分点）')),
                ('behind_from', models.DecimalField(decimal_places=2, default=30, max_digits=5, verbose_name='滞后阈值：落后（百分点）')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('region', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='plans.region', verbose_name='实施地区')),
            ],
            options={
                'verbose_name': '方案变更记录',
                'verbose_name_plural': 'historical 工作方案',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRegion',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.SlugField(max_length=64, verbose_name='代码')),
                ('name', models.CharField(max_length=64, verbose_name='名称')),
                ('level', models.CharField(choices=[('country', '全国'), ('province', '省'), ('city', '设区市'), ('county', '县（市、区）'), ('zone', '开发区/园区')], max_length=16, verbose_name='层级')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('parent', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='plans.region', verbose_name='上级')),
            ],
            options={
                'verbose_name': '地区变更记录',
                'verbose_name_plural': 'historical 地区',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalSection',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('number', models.PositiveSmallIntegerField(verbose_name='序号')),
                ('title', models.CharField(max_length=200, verbose_name='标题')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('plan', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='plans.plan', verbose_name='方案')),
            ],
            options={
                'verbose_name': '板块变更记录',
                'verbose_name_plural': 'historical 任务板块',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalTask',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('number', models.PositiveSmallIntegerField(verbose_name='序号')),
                ('title', models.CharField(max_length=200, verbose_name='任务')),
                ('text', models.TextField(verbose_name='任务内容（原文）')),
                ('responsible_text', models.TextField(blank=True, help_text='文件原文的责任单位表述；文件未列明时为空，由办公室指定', verbose_name='责任单位（原文）')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('section', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='plans.section', verbose_name='板块')),
            ],
            options={
                'verbose_name': '任务变更记录',
                'verbose_name_plural': 'historical 重点任务',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalUnit',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(max_length=64, verbose_name='名称')),
                ('kind', models.CharField(choices=[('gov_dept', '政府部门'), ('party_dept', '党委部门'), ('court', '法院'), ('procuratorate', '检察院'), ('customs', '海关'), ('local_gov', '县（市、区）政府'), ('financial_regulator', '金融监管机构'), ('bank', '银行'), ('group', '单位组'), ('other', '其他')], default='gov_dept', max_length=24, verbose_name='类别')),
                ('email', models.EmailField(blank=True, help_text='催报提醒发往此邮箱', max_length=254, verbose_name='联系邮箱')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('region', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='plans.region', verbose_name='所属地区')),
            ],
            options={
                'verbose_name': '单位变更记录',
                'verbose_name_plural': 'historical 责任单位',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(
            record_existing("plans.Region", "plans.Unit", "plans.Plan", "plans.Section", "plans.Task"),
            migrations.RunPython.noop,
        ),
    ]
