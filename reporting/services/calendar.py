"""The reporting calendar: quarters' periods, their due and lock dates, and the office's exceptions."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.permissions import ensure_reviewer, is_reviewer
from audit.services import reason_required, stamp
from indicators.rollup_queue import rollup_schedule
from plans.models import Unit
from reporting.models import Period, PeriodException
from reporting.selectors import owed_figures

if TYPE_CHECKING:
    from accounts.models import User


# ------------------------------------------------------------------------------------------------------------
# Reporting: the calendar, figures and task progress, the review workflow.
# ------------------------------------------------------------------------------------------------------------

DUE_DAYS = getattr(settings, "IPCITY_DUE_DAYS_AFTER_QUARTER", 10)
LOCK_GRACE_DAYS = getattr(settings, "IPCITY_LOCK_GRACE_DAYS", 20)


def today_or(today: datetime.date | None) -> datetime.date:
    """`today` when a caller (a test, a command) names the day, else the local date."""
    return today or timezone.localdate()


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(year, 3 * quarter - 2, 1)
    after = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    return first, after - datetime.timedelta(days=1)


def period_defaults(year: int, quarter: int) -> dict[str, datetime.date]:
    """The default calendar: open on the quarter's first day, due the 10th day after it ends, locked after
    the grace period (IPCITY_LOCK_GRACE_DAYS, default 20 days after the due date)."""
    first, last = quarter_bounds(year, quarter)
    due = last + datetime.timedelta(days=DUE_DAYS)
    return {"opens_on": first, "due_on": due, "locks_on": due + datetime.timedelta(days=LOCK_GRACE_DAYS)}


def periods_ensure(*, years: range | list[int]) -> list[Period]:
    """Create the reporting quarters of these years with the default calendar; existing ones stay as set."""
    periods = []
    for year in years:
        for quarter in (1, 2, 3, 4):
            period, _ = Period.objects.get_or_create(
                year=year, quarter=quarter, defaults=period_defaults(year, quarter)
            )
            periods.append(period)
    return periods


def period_accepts(period: Period, unit: Unit, today: datetime.date) -> bool:
    """Whether the unit may still report into the period today: open and not locked, or an exception the
    office granted runs at least until today."""
    if today < period.opens_on:
        return False
    if today < period.locks_on:
        return True
    return PeriodException.objects.filter(period=period, unit=unit, until__gte=today).exists()


def exception_grant(
    *, period: Period, unit: Unit, until: datetime.date, reason: str, by: User
) -> PeriodException:
    """Let one unit report into a locked period until a date. Reviewers only; the reason is required."""
    if not is_reviewer(by):
        raise PermissionDenied("只有办公室审核人员可以开放例外。")
    if not reason.strip():
        raise ValidationError("请填写开放例外的理由。")
    if until < period.locks_on:
        raise ValidationError(f"开放日期应晚于该期锁定日期（{period.locks_on:%Y年%m月%d日}）。")
    exception = PeriodException.objects.filter(period=period, unit=unit).first() or PeriodException(
        period=period, unit=unit
    )
    exception.until, exception.reason, exception.granted_by = until, reason.strip(), by
    stamp(exception, by, f"开放例外：{reason.strip()}")
    with transaction.atomic():
        exception.save()
        _coverage_changed(period, unit_id=unit.pk)
    return exception


def _coverage_changed(period: Period, *, unit_id: int | None = None) -> None:
    """Queue the roll-up of what the unit owes in the period's year (every unit's when None): whether a figure
    not sent is missing (逾期未报送) or not due yet depends on the due date and on the office's exceptions."""
    units = None if unit_id is None else [unit_id]
    owed = owed_figures(year=period.year, units=units).values_list("indicator_id", flat=True)
    for indicator_id in owed.order_by("indicator_id").distinct():
        rollup_schedule(indicator_id=indicator_id, year=period.year, unit_id=unit_id)


# ------------------------------------------------------------------------------------------------------------
# The office's settings: the calendar and who reports what. Each write audited with its user and reason.
# ------------------------------------------------------------------------------------------------------------


def period_update(
    *, period: Period, due_on: datetime.date, locks_on: datetime.date, by: User, reason: str
) -> Period:
    """Move a period's due and lock dates. Reviewers only, with a reason; the period still opens before it is
    due and is due before it locks. Late marks already given stay as they were."""
    ensure_reviewer(by)
    reason = reason_required(reason, "修改原因")
    errors: dict[str, list[str]] = {}
    if due_on < period.opens_on:
        errors["due_on"] = [f"截止日期不能早于开始填报日期（{period.opens_on:%Y年%m月%d日}）。"]
    if locks_on < due_on:
        errors["locks_on"] = ["锁定日期不能早于截止日期。"]
    if errors:
        raise ValidationError(errors)
    if (period.due_on, period.locks_on) == (due_on, locks_on):
        return period
    period.due_on, period.locks_on = due_on, locks_on
    stamp(period, by, f"调整填报期：{reason}")
    with transaction.atomic():
        period.save()
        _coverage_changed(period)
    return period
