"""The audit trail as one list: a database view over every history table (see audit/guard.py), read-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


def done_by(verbose_name: str) -> models.ForeignKey:
    """Who a row says did it (发布人, 上传人 …): a user kept as long as the row is, with no way back from
    the user to the rows."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=verbose_name, on_delete=models.PROTECT, related_name="+"
    )


class AuditRecord(models.Model):
    """One history record of any audited model: who, when, which object, what kind of change, why.

    Backed by the `audit_record` view (created after every migrate), never written."""

    class Kind(models.TextChoices):
        CREATED = "+", "新建"
        CHANGED = "~", "修改"
        DELETED = "-", "删除"

    id = models.CharField(primary_key=True, max_length=100)
    model = models.CharField("对象类型", max_length=100)
    object_id = models.CharField("对象编号", max_length=64)
    history_id = models.IntegerField("记录号")
    history_date = models.DateTimeField("时间")
    history_type = models.CharField("操作", max_length=1, choices=Kind.choices)
    history_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    history_change_reason = models.TextField("原因", null=True)  # noqa: DJ001 -- simple-history's column

    class Meta:
        managed = False
        db_table = "audit_record"
        verbose_name = verbose_name_plural = "审计记录"
        ordering = ["-history_date", "-history_id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.model} #{self.object_id} {self.get_history_type_display()}"


class Unlock(models.Model):
    """The office lifting a login lock (django-axes) before its cool-off ends: whose, from which address,
    after how many failures. Who lifted it and why are its history record's user and reason
    (audit/lockouts.py), so it appears in 审计记录 like every other change."""

    username = models.CharField(
        "用户名", max_length=150, blank=True, help_text="空：该地址对所有用户名的锁定"
    )
    ip_address = models.GenericIPAddressField("地址")
    failures = models.PositiveIntegerField("失败次数")
    unlocked_at = models.DateTimeField("解锁时间", default=timezone.now)

    history = HistoricalRecords(verbose_name="登录解锁记录")

    class Meta:
        verbose_name = verbose_name_plural = "登录解锁"
        ordering = ["-unlocked_at"]

    def __str__(self) -> str:
        return f"{self.username or '（全部用户名）'} @ {self.ip_address}"
