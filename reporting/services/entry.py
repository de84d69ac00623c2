"""A unit's drafts for a quarter: figures, task progress and evidence files, saved only by its own
reporters, only while the period accepts them, under the optimistic lock."""

from __future__ import annotations

import datetime
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.permissions import ensure_reporter_of
from audit.services import TEXT_LIMIT, Conflict, rows_write, stamp
from indicators.measures import Figure, compared_value, figure_errors
from indicators.models import Indicator
from plans.models import Task, Unit
from reporting.evidence import MAX_FILES_PER_ROW, clean_name
from reporting.models import Evidence, Period, ReviewState, Submission, TaskReport
from reporting.selectors import unit_indicators, unit_tasks
from reporting.services.calendar import period_accepts, today_or

if TYPE_CHECKING:
    from accounts.models import User

EDITABLE = (ReviewState.DRAFT, ReviewState.RETURNED)


def _ensure_accepts(period: Period, unit: Unit, today: datetime.date, *, returned: bool = False) -> None:
    # A figure the office returned may always be corrected: the return itself is the office's permission.
    if returned:
        return
    if today < period.opens_on:
        raise ValidationError(f"{period}尚未开始填报（{period.opens_on:%Y年%m月%d日}开始）。")
    if not period_accepts(period, unit, today):
        raise ValidationError(
            f"{period}已于{period.locks_on:%Y年%m月%d日}锁定，不能再填报。如确需补报，请联系办公室开放例外。"
        )


@dataclass(frozen=True)
class FigureInput:
    indicator_id: int
    figure: Figure
    version: int | None = None  # the version the user saw; None for a figure not yet stored


@dataclass(frozen=True)
class ProgressInput:
    task_id: int
    status: str
    progress: str = ""
    problems: str = ""
    next_steps: str = ""
    version: int | None = None


def _figure_of(submission: Submission) -> Figure:
    return Figure(
        value=submission.value,
        numerator=submission.numerator,
        denominator=submission.denominator,
        done=submission.done,
        note=submission.note,
    )


def _text_errors(label: str, text: str) -> list[str]:
    return [f"{label}不能超过{TEXT_LIMIT}字。"] if len(text) > TEXT_LIMIT else []


def _created_meanwhile(rows: list[Submission | TaskReport]) -> Conflict | None:
    """After a write refused by a unique constraint (and rolled back): the conflict, when one of the rows it
    would have created now exists. Two people creating the same row at once both INSERT; the constraint makes
    the later one wait for the first, then fail: the optimistic lock's conflict for a row not stored yet."""
    for row in rows:
        same = {"unit_id": row.unit_id, "period_id": row.period_id}
        same.update(
            {"indicator_id": row.indicator_id} if isinstance(row, Submission) else {"task_id": row.task_id}
        )
        if type(row).objects.filter(**same).exists():
            return Conflict(
                f"{row}已被他人同时新建，您看到的是旧版本。为避免覆盖他人的修改，本次保存未生效，请刷新页面后重新填写。"
            )
    return None


@dataclass
class _Draft:
    """One row a save would write: the stored row (None when new) and the field values the user gave."""

    row: Submission | TaskReport | None
    values: dict[str, Any]
    version: int | None
    new: Any  # callable building the row when there is none

    def changes(self) -> bool:
        if self.row is None:
            return any(value not in (None, "") for value in self.values.values())
        return any(getattr(self.row, name) != value for name, value in self.values.items())


def _write_drafts(
    drafts: list[_Draft],
    *,
    unit: Unit,
    period: Period,
    by: User,
    today: datetime.date,
    reason: str | None = None,
) -> list:
    """Write the drafts that change something, in one transaction, under the optimistic lock, in a fixed
    number of statements per model however many rows the quarter has (`rows_write`). The audit reason is
    `reason` when given, else what happened to the row (新建草稿, 修改草稿, 按退回意见修改)."""
    changing = [draft for draft in drafts if draft.changes()]
    if any(draft.row is None or draft.row.state == ReviewState.DRAFT for draft in changing):
        _ensure_accepts(period, unit, today)
    created: dict[type, list] = {}
    changed: dict[type, list] = {}
    fields: dict[type, list[str]] = {}
    for draft in changing:
        row = draft.row
        if row is None:
            row, happened = draft.new(), "新建草稿"
            created.setdefault(type(row), []).append(row)
        else:
            happened = "修改草稿" if row.state == ReviewState.DRAFT else "按退回意见修改"
            changed.setdefault(type(row), []).append((row, draft.version))
        for name, value in draft.values.items():
            setattr(row, name, value)
        fields.setdefault(type(row), list(draft.values))
        stamp(row, by, reason or happened)
        draft.row = row
    try:
        with transaction.atomic():
            for model in fields:
                rows_write(
                    model,
                    created=created.get(model, []),
                    changed=changed.get(model, []),
                    fields=fields[model],
                )
    except IntegrityError as error:  # rolled back: the database can be asked what happened
        conflict = _created_meanwhile([row for rows in created.values() for row in rows])
        if conflict is None:
            raise
        raise conflict from error
    return [draft.row for draft in drafts if draft.row is not None]


@dataclass(frozen=True)
class _Entry:
    """What a save path saves: figures (one Submission per indicator) or task progress (one TaskReport per
    task). Both check every input the same way and write all or nothing through `_save`."""

    model: type[Submission] | type[TaskReport]
    key: str  # "indicator" or "task": the rows' foreign key, the inputs' id field and the errors' key prefix
    owed: Callable[[Unit, int], Iterable[Any]]  # what the unit reports in a year (indicators or tasks)
    values: Callable[[Any], dict[str, Any]]  # the row's fields from an input
    problems: Callable[[Any, Any, dict[str, Any]], list[str]]  # what is wrong with an input for an owed item
    named: Callable[[Any | None], str]  # how messages name the item
    not_owed: str
    locked: str  # for a row no longer editable, with {state}
    skips_untouched: bool = False  # an input left empty for a row not stored yet is no draft at all


def _save(
    entry: _Entry,
    *,
    unit: Unit,
    period: Period,
    inputs: Iterable[Any],
    by: User,
    today: datetime.date | None = None,
    reason: str | None = None,
) -> list:
    ensure_reporter_of(by, unit)
    owed = {item.pk: item for item in entry.owed(unit, period.year)}
    id_field = f"{entry.key}_id"
    stored = {getattr(row, id_field): row for row in entry.model.objects.filter(unit=unit, period=period)}
    errors: dict[str, list[str]] = {}
    drafts = []
    for item in inputs:
        item_id = getattr(item, id_field)
        owed_item, row = owed.get(item_id), stored.get(item_id)
        values = entry.values(item)
        draft = _Draft(
            row=row,
            values=values,
            version=item.version,
            new=lambda item_id=item_id: entry.model(**{id_field: item_id}, unit=unit, period=period),
        )
        if owed_item is None:
            problems = [entry.not_owed]
        elif row is not None and row.state not in EDITABLE:
            problems = [entry.locked.format(state=row.get_state_display())] if draft.changes() else []
        elif row is None and entry.skips_untouched and not any(values.values()):
            continue
        else:
            problems = entry.problems(owed_item, item, values)
        if problems:
            name = entry.named(owed_item)
            errors[f"{entry.key}-{item_id}"] = [f"{name}：{problem}" for problem in problems]
        elif row is None or row.state in EDITABLE:
            drafts.append(draft)
    if errors:
        raise ValidationError(errors)
    return _write_drafts(drafts, unit=unit, period=period, by=by, today=today_or(today), reason=reason)


def _figure_values(item: FigureInput) -> dict[str, Any]:
    figure = item.figure
    return {
        "value": figure.value,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "done": figure.done,
        "note": figure.note.strip(),
    }


def _task_problems(task: Task, item: ProgressInput, values: dict[str, Any]) -> list[str]:
    problems = [] if item.status in TaskReport.Status.values else ["请选择推进状态。"]
    for label, name in (("进展情况", "progress"), ("存在问题", "problems"), ("下步计划", "next_steps")):
        problems += _text_errors(label, values[name])
    return problems


FIGURES = _Entry(
    model=Submission,
    key="indicator",
    owed=unit_indicators,
    values=_figure_values,
    problems=lambda indicator, item, values: (
        figure_errors(indicator, item.figure) + _text_errors("说明", item.figure.note)
    ),
    named=lambda indicator: indicator.name if indicator else "该指标",
    not_owed="本单位未被分配填报该指标。",
    locked="当前为“{state}”，不能修改。如需更正请联系办公室。",
)
TASK_PROGRESS = _Entry(
    model=TaskReport,
    key="task",
    owed=unit_tasks,
    values=lambda item: {
        "status": item.status,
        "progress": item.progress.strip(),
        "problems": item.problems.strip(),
        "next_steps": item.next_steps.strip(),
    },
    problems=_task_problems,
    named=lambda task: f"任务“{task.title}”" if task else "该任务",
    not_owed="本单位不是该任务的责任单位。",
    locked="当前为“{state}”，不能修改。",
    skips_untouched=True,
)


def figures_save(
    *,
    unit: Unit,
    period: Period,
    inputs: list[FigureInput],
    by: User,
    today: datetime.date | None = None,
    reason: str | None = None,
) -> list[Submission]:
    """Store the unit's figures for the period as drafts (a returned figure stays returned until submitted).

    All or nothing: every input is checked first; on any error a ValidationError keyed `indicator-<id>` is
    raised and nothing is written. A figure already submitted or approved cannot be changed here. A row whose
    version moved since the user loaded it raises Conflict. Unchanged figures are not rewritten. `reason`,
    when given, is the audit reason of every row written (e.g. the Excel import names its file).
    """
    return _save(FIGURES, unit=unit, period=period, inputs=inputs, by=by, today=today, reason=reason)


def task_reports_save(
    *, unit: Unit, period: Period, inputs: list[ProgressInput], by: User, today: datetime.date | None = None
) -> list[TaskReport]:
    """Store the unit's task progress for the period as drafts. Same guarantees as `figures_save`, keyed
    `task-<id>`."""
    return _save(TASK_PROGRESS, unit=unit, period=period, inputs=inputs, by=by, today=today)


def _history_values(unit: Unit, indicators: list[Indicator], before: Period) -> dict[int, list[Decimal]]:
    """The unit's earlier submitted or approved figures of each indicator, oldest first (rates for ratios), by
    indicator id: one query for all of them."""
    rows = Submission.objects.filter(
        unit=unit,
        indicator__in=indicators,
        state__in=[ReviewState.SUBMITTED, ReviewState.APPROVED],
        period__year__lte=before.year,
    ).exclude(period__year=before.year, period__quarter__gte=before.quarter)
    ordered = rows.order_by("indicator", "period__year", "period__quarter")
    by_id = {indicator.pk: indicator for indicator in indicators}
    history: dict[int, list[Decimal]] = {indicator.pk: [] for indicator in indicators}
    for indicator_id, *figure in ordered.values_list("indicator_id", "value", "numerator", "denominator"):
        value = compared_value(by_id[indicator_id], *figure)
        if value is not None:
            history[indicator_id].append(value)
    return history


@dataclass(frozen=True)
class EvidenceInput:
    """A file attached to one row of the quarter: `key` is `indicator-<id>` or `task-<id>`."""

    key: str
    upload: UploadedFile


@contextmanager
def _files_removed_on_error() -> Iterator[list[str]]:
    """Collects the names of files stored during a write; if the write fails they are deleted again, so a
    refused save leaves no file behind."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def _evidence_rows(unit: Unit, period: Period) -> dict[str, Submission | TaskReport]:
    rows: dict[str, Submission | TaskReport] = {
        f"indicator-{row.indicator_id}": row for row in Submission.objects.filter(unit=unit, period=period)
    }
    rows.update({f"task-{row.task_id}": row for row in TaskReport.objects.filter(unit=unit, period=period)})
    return rows


def _evidence_parent(
    key: str, rows: dict[str, Submission | TaskReport], *, unit: Unit, period: Period, by: User,
    today: datetime.date,
) -> Submission | TaskReport:  # fmt: skip
    """The row a file attaches to: the stored one if it may still change, else a new empty draft."""
    row = rows.get(key)
    if row is not None:
        if row.state not in EDITABLE:
            raise ValidationError({key: [f"当前为“{row.get_state_display()}”，不能再修改佐证材料。"]})
        if row.state == ReviewState.DRAFT:
            _ensure_accepts(period, unit, today)
        return row
    kind, _, pk = key.partition("-")
    if kind == "indicator" and int(pk) in {indicator.pk for indicator in unit_indicators(unit, period.year)}:
        row = Submission(indicator_id=int(pk), unit=unit, period=period)
    elif kind == "task" and int(pk) in {task.pk for task in unit_tasks(unit, period.year)}:
        row = TaskReport(task_id=int(pk), unit=unit, period=period)
    else:
        raise ValidationError({key: ["本单位不填报该项，不能上传佐证材料。"]})
    _ensure_accepts(period, unit, today)
    stamp(row, by, "新建草稿（上传佐证材料）")
    row.save()
    rows[key] = row
    return row


def _evidence_write(
    *, unit: Unit, period: Period, added: list[EvidenceInput], removed: list[int], by: User,
    today: datetime.date, stored: list[str],
) -> None:  # fmt: skip
    ensure_reporter_of(by, unit)
    rows = _evidence_rows(unit, period)
    doomed = list(
        Evidence.objects.select_related("submission", "task_report")
        .filter(pk__in=removed)
        .filter(
            Q(submission__unit=unit, submission__period=period)
            | Q(task_report__unit=unit, task_report__period=period)
        )
    )
    if len(doomed) != len(set(removed)):
        raise ValidationError("要删除的佐证材料不存在或已被删除，请刷新页面。")
    for item in doomed:
        _evidence_parent(
            _row_key(item.submission or item.task_report), rows, unit=unit, period=period, by=by, today=today
        )
        name = item.file.name
        stamp(item, by, f"删除佐证材料：{item.name}")
        item.delete()
        transaction.on_commit(lambda name=name: default_storage.delete(name))
    counts = Counter(
        _row_key(item.submission or item.task_report)
        for item in Evidence.objects.filter(
            Q(submission__unit=unit, submission__period=period)
            | Q(task_report__unit=unit, task_report__period=period)
        ).select_related("submission", "task_report")
    )
    for item in added:
        counts[item.key] += 1
        if counts[item.key] > MAX_FILES_PER_ROW:
            raise ValidationError({item.key: [f"每项最多上传{MAX_FILES_PER_ROW}个佐证材料。"]})
        row = _evidence_parent(item.key, rows, unit=unit, period=period, by=by, today=today)
        name = clean_name(item.upload.name or "")
        evidence = Evidence(
            name=name,
            size=item.upload.size,
            uploaded_by=by,
            **({"submission": row} if isinstance(row, Submission) else {"task_report": row}),
        )
        evidence.file.save(f"{uuid.uuid4().hex}{os.path.splitext(name)[1].lower()}", item.upload, save=False)
        stored.append(evidence.file.name)
        stamp(evidence, by, f"上传佐证材料：{name}")
        evidence.save()


def _row_key(row: Submission | TaskReport) -> str:
    return f"indicator-{row.indicator_id}" if isinstance(row, Submission) else f"task-{row.task_id}"
