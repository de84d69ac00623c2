"""The office sets a plan's 目标考核 weights: audited with who and why, under the optimistic lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.permissions import ensure_reviewer
from assessment.models import PARTS, RankingWeights
from assessment.selectors import PART_LABELS
from audit.services import claim, reason_required, stamp
from plans.models import Plan

if TYPE_CHECKING:
    from accounts.models import User


def ranking_weights_set(
    *, plan: Plan, weights: dict[str, int], by: User, reason: str, seen: int | None
) -> RankingWeights:
    """Store the plan's four weights (each 0—100, not all 0) with the reason, in the audit trail. The first
    save creates the row; later ones must come from the version the person saw (`seen`), else
    Conflict. Nothing is written on a ValidationError (keyed by part)."""
    ensure_reviewer(by)
    reason = reason_required(reason, "修改原因")
    errors = {
        part: [f"{PART_LABELS[part]}权重须为0—100的整数。"]
        for part in PARTS
        if not isinstance(weights.get(part), int) or not 0 <= weights[part] <= 100
    }
    if errors:
        raise ValidationError(errors)
    if not any(weights[part] for part in PARTS):
        raise ValidationError("四项权重不能全部为0。")
    with transaction.atomic():
        row = RankingWeights.objects.select_for_update().filter(plan=plan).first()
        if row is None:
            row = RankingWeights(plan=plan)
        else:
            claim(row, seen)
        for part in PARTS:
            setattr(row, part, weights[part])
        stamp(row, by, f"设定考核权重：{reason}")
        row.save()
    return row
