"""The reporting page's one save: every valid item of the quarter (figures, task progress, evidence files)
kept as a draft, then the submission of the whole quarter when the reporter asked for it and nothing is
wrong, in one transaction."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.core.exceptions import ValidationError
from django.db import transaction

from plans.models import Unit
from reporting.evidence import evidence_problem
from reporting.models import Period
from reporting.services.calendar import today_or
from reporting.services.carry import Carried, task_reports_carry
from reporting.services.entry import (
    FIGURES,
    TASK_PROGRESS,
    EvidenceInput,
    FigureInput,
    Kept,
    ProgressInput,
    _evidence_write,
    _files_removed_on_error,
    _save_valid,
)
from reporting.services.review import SubmitResult, unit_period_submit

if TYPE_CHECKING:
    from accounts.models import User


@dataclass
class QuarterSaved(Kept):
    """`Kept`, the quarter's submission when it was asked for and made (None otherwise), and what 沿用上季度
    did when it was asked for."""

    submitted: SubmitResult | None = None
    carried: Carried | None = None

    @property
    def complete(self) -> bool:
        """Everything the page sent was kept: no item refused, no conflict, no file refused."""
        return not (self.errors or self.conflicts or self.refused_files)


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
    problems: Mapping[str, list[str]] | None = None,
    carry: Collection[int] | Literal[False] | None = False,
    carry_overwrite: bool = False,
    today: datetime.date | None = None,
) -> QuarterSaved:
    """The reporting page's one write: keep every valid figure and task report as a draft, each item all or
    nothing on its own, store every acceptable evidence file and, when `submit`, submit the whole quarter
    (`expected`: the number of items the reporter confirmed; another number refuses the submit).

    What the caller may rely on:
    - an item with a problem (keyed `indicator-<id>` / `task-<id>`, messages naming it) is not written, and
      the other items are; so is an item someone else changed meanwhile (`conflicts`). `problems` are those
      the page found itself (typing it could not read): they are reported alike.
    - a file that cannot be kept (type, size, content, macros; its row no longer changes) is refused alone,
      named with its reason in `refused_files`; the other files are stored.
    - the quarter is submitted only when nothing at all was refused and everything owed is valid
      (`unit_period_submit`); otherwise `submitted` is None and the drafts stay, the submission's problems
      added to `errors`.
    - `carry` (task ids, None for all; False: no) then copies last quarter's task progress into this
      quarter's drafts (`task_reports_carry`, after what the page sent was kept, so nothing typed is lost
      and, without `carry_overwrite`, nothing typed is replaced); nothing is submitted with it.
    - a refusal of the whole quarter (the period does not take the unit's drafts) is a ValidationError and
      a database error propagates: then nothing is written and no uploaded file stays stored.
    """
    today = today_or(today)
    saved = QuarterSaved(errors={key: list(messages) for key, messages in (problems or {}).items()})
    acceptable = []
    for item in evidence:
        problem = evidence_problem(item.upload.name or "", item.upload.size or 0, item.upload)
        if problem:
            saved.refuse_file(item.key, problem)
        else:
            acceptable.append(item)
    with _files_removed_on_error() as stored, transaction.atomic():
        for entry, inputs in ((FIGURES, figures), (TASK_PROGRESS, tasks)):
            _save_valid(entry, unit=unit, period=period, inputs=inputs, by=by, today=today, kept=saved)
        if acceptable or removed_evidence:
            _evidence_write(
                unit=unit, period=period, added=acceptable, removed=list(removed_evidence), by=by,
                today=today, stored=stored, kept=saved,
            )  # fmt: skip
        if carry is not False:
            saved.carried = task_reports_carry(
                unit=unit, period=period, tasks=carry, by=by, today=today, overwrite=carry_overwrite
            )
            saved.conflicts.update(saved.carried.conflicts)
        elif submit and saved.complete:
            try:
                with transaction.atomic():
                    saved.submitted = unit_period_submit(
                        unit=unit, period=period, by=by, today=today, expected=expected
                    )
            except ValidationError as error:
                error.update_error_dict(saved.errors)
    return saved
