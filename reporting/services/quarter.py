"""The reporting page's one save: the quarter's figures, task progress and evidence as drafts, then the
submission of the whole quarter when the reporter asked for it, in one transaction."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from plans.models import Unit
from reporting.evidence import evidence_problem
from reporting.models import Period
from reporting.services.calendar import today_or
from reporting.services.entry import (
    EvidenceInput,
    FigureInput,
    ProgressInput,
    _evidence_write,
    _files_removed_on_error,
    figures_save,
    task_reports_save,
)
from reporting.services.review import SubmitResult, unit_period_submit

if TYPE_CHECKING:
    from accounts.models import User


def quarter_save(
    *,
    unit: Unit,
    period: Period,
    figures: list[FigureInput],
    tasks: list[ProgressInput],
    by: User,
    submit: bool = False,
    expected: int | None = None,
    evidence: list[EvidenceInput] | tuple = (),
    removed_evidence: list[int] | tuple = (),
    today: datetime.date | None = None,
) -> SubmitResult | None:
    """The reporting page's one write: save the unit's figures, task progress and evidence files as drafts
    and, when `submit`, submit the whole quarter (`expected`: the number of items the reporter confirmed;
    another number refuses the submit and saves nothing).

    All or nothing: any error (ValidationError with every problem found, keyed `indicator-<id>` / `task-<id>`,
    or Conflict) leaves the database as it was and no uploaded file stored. Every file is checked (size, type
    by extension and content) before anything is written."""
    today = today_or(today)
    errors: dict[str, list[str]] = {}
    for item in evidence:
        problem = evidence_problem(item.upload.name or "", item.upload.size or 0, item.upload)
        if problem:
            errors.setdefault(item.key, []).append(problem)
    with _files_removed_on_error() as stored, transaction.atomic():
        for save, inputs in ((figures_save, figures), (task_reports_save, tasks)):
            try:
                save(unit=unit, period=period, inputs=inputs, by=by, today=today)
            except ValidationError as error:
                error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
        if evidence or removed_evidence:
            _evidence_write(
                unit=unit, period=period, added=list(evidence), removed=list(removed_evidence), by=by,
                today=today, stored=stored,
            )  # fmt: skip
        if not submit:
            return None
        return unit_period_submit(unit=unit, period=period, by=by, today=today, expected=expected)
