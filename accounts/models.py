"""Users and their roles. A reporter belongs to exactly one unit; nobody else belongs to a unit."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class IpcityUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    class Role(models.TextChoices):
        REPORTER = "reporter", "填报员"
        REVIEWER = "reviewer", "办公室审核"
        LEADER = "leader", "领导"
        ADMIN = "admin", "系统管理员"

    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.LEADER)
    unit = models.ForeignKey(
        "plans.Unit",
        verbose_name="所属单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    objects = IpcityUserManager()
    # Role, unit, active/staff/superuser flags, names: who changed them and why. Not the password hash (kept
    # out of an append-only table) nor last_login (a login is not a change: accounts/apps.py skips it).
    history = HistoricalRecords(verbose_name="用户变更记录", excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=(Q(role="reporter") & Q(unit__isnull=False))
                | (~Q(role="reporter") & Q(unit__isnull=True)),
                name="user_unit_iff_reporter",
            ),
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full}（{self.username}）" if full else self.username

    @property
    def is_reporter(self) -> bool:
        return self.role == self.Role.REPORTER

    @property
    def is_reviewer(self) -> bool:
        return self.role in (self.Role.REVIEWER, self.Role.ADMIN)


class ApiToken(models.Model):
    """A key for the API (`Authorization: Token <key>`). Only its SHA-256 digest is stored — the key is shown
    once, when it is issued (accounts/tokens.py) — and it stops working at `expires_at`."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100, blank=True)
    prefix = models.CharField("前缀", max_length=8, help_text="令牌的前几位，用于辨认；完整令牌不保存")
    digest = models.CharField("摘要", max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间")

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}…（{self.user}）"
