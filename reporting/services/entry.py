"""A unit's drafts for a quarter: figures, task progress and evidence files, saved only by its own
reporters, only while the period accepts them, under the optimistic lock."""

from __future__ import annotations

import datetime
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.permissions import ensure_reporter_of
from audit.services import TEXT_LIMIT, Conflict, claim, rows_write, stamp
from indicators.measures import Figure, compared_value, figure_errors
from indicators.models import Indicator
from plans.models import Unit
from reporting.evidence import MAX_FILES_PER_ROW, clean_name
from reporting.models import Evidence, Period, ReviewState, Submission, TaskReport
from reporting.selectors import unit_indicators, unit_tasks
from reporting.services.calendar import period_accepts, today_or

if TYPE_CHECKING:
    from accounts.models import User

EDITABLE = (ReviewState.DRAFT, ReviewState.RETURNED)
# A task report's texts, as the page and messages label them.
TASK_TEXTS = {"progress": "进展情况", "problems": "存在问题", "next_steps": "下步计划"}


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

    key: str  # `indicator-<id>` or `task-<id>`, as the page and the errors name the item
    row: Submission | TaskReport | None
    values: dict[str, Any]
    version: int | None
    new: Any  # callable building the row when there is none

    def changes(self) -> bool:
        if self.row is None:
            return any(value not in (None, "") for value in self.values.values())
        return any(getattr(self.row, name) != value for name, value in self.values.items())


def _write_draft(draft: _Draft, *, by: User, reason: str | None, created: list) -> None:
    """Write one draft under the optimistic lock, audited with `reason` or with what happened to the row."""
    row = draft.row
    if row is None:
        row, happened = draft.new(), "新建草稿"
        created.append(row)
    else:
        claim(row, draft.version)
        happened = "修改草稿" if row.state == ReviewState.DRAFT else "按退回意见修改"
    for name, value in draft.values.items():
        setattr(row, name, value)
    stamp(row, by, reason or happened)
    row.save()
    draft.row = row


def _changing(drafts: list[_Draft], *, unit: Unit, period: Period, today: datetime.date) -> list[_Draft]:
    """The drafts that change something; a new or draft row among them needs the period to accept the unit."""
    changing = [draft for draft in drafts if draft.changes()]
    if any(draft.row is None or draft.row.state == ReviewState.DRAFT for draft in changing):
        _ensure_accepts(period, unit, today)
    return changing


def _write_rows(changing: list[_Draft], *, by: User, reason: str | None, created: list) -> None:
    """Write these drafts under the optimistic lock in a fixed number of statements per model however many
    rows the quarter has (`rows_write`), audited with `reason` or with what happened to the row (新建草稿,
    修改草稿, 按退回意见修改). The new rows are appended to `created`. Call it inside a transaction."""
    new: dict[type, list] = {}
    changed: dict[type, list] = {}
    fields: dict[type, list[str]] = {}
    for draft in changing:
        row = draft.row
        if row is None:
            row, happened = draft.new(), "新建草稿"
            new.setdefault(type(row), []).append(row)
            created.append(row)
        else:
            happened = "修改草稿" if row.state == ReviewState.DRAFT else "按退回意见修改"
            changed.setdefault(type(row), []).append((row, draft.version))
        for name, value in draft.values.items():
            setattr(row, name, value)
        fields.setdefault(type(row), list(draft.values))
        stamp(row, by, reason or happened)
        draft.row = row
    for model in fields:
        rows_write(model, created=new.get(model, []), changed=changed.get(model, []), fields=fields[model])


def _write_drafts(
    drafts: list[_Draft],
    *,
    unit: Unit,
    period: Period,
    by: User,
    today: datetime.date,
    reason: str | None = None,
) -> list:
    """Write the drafts that change something, all or nothing, in one transaction (`_write_rows`)."""
    created: list = []
    try:
        with transaction.atomic():
            _write_rows(_changing(drafts, unit=unit, period=period, today=today), by=by, reason=reason,
                        created=created)  # fmt: skip
    except IntegrityError as error:  # rolled back: the database can be asked what happened
        conflict = _created_meanwhile(created)
        if conflict is None:
            raise
        raise conflict from error
    return [draft.row for draft in drafts if draft.row is not None]


def _write_each(
    drafts: list[_Draft], *, unit: Unit, period: Period, by: User, today: datetime.date, reason: str | None
) -> tuple[list[str], dict[str, str]]:
    """Write each draft that changes something on its own (a savepoint each): a row someone else changed or
    created meanwhile is that row's conflict, and the others are still written. Returns the keys written and
    the conflicts' messages by key. Any other database error propagates and the caller's transaction ends."""
    changing = _changing(drafts, unit=unit, period=period, today=today)
    before = [(draft.row, draft.row.version if draft.row is not None else None) for draft in changing]
    try:  # the usual case, nobody else wrote meanwhile: every row in a fixed number of statements
        with transaction.atomic():
            _write_rows(changing, by=by, reason=reason, created=[])
        return [draft.key for draft in changing], {}
    except (Conflict, IntegrityError):  # rolled back: each row again on its own, to tell which one it was
        for draft, (row, version) in zip(changing, before, strict=True):
            draft.row = row
            if row is not None:
                row.version = version
    written: list[str] = []
    conflicts: dict[str, str] = {}
    for draft in changing:
        created: list = []
        try:
            with transaction.atomic():
                _write_draft(draft, by=by, reason=reason, created=created)
        except Conflict as conflict:
            conflicts[draft.key] = str(conflict)
        except IntegrityError:
            meanwhile = _created_meanwhile(created)
            if meanwhile is None:
                raise
            draft.row = None
            conflicts[draft.key] = str(meanwhile)
        else:
            written.append(draft.key)
    return written, conflicts


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


def _checked(
    entry: _Entry, *, unit: Unit, period: Period, inputs: Iterable[Any], by: User
) -> tuple[list[_Draft], dict[str, list[str]]]:
    """Every input checked against what the unit owes and the rows stored: the drafts of the valid ones that
    may still change, and the problems of the others keyed `<key>-<id>`, each naming its item."""
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
            key=f"{entry.key}-{item_id}",
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
            errors[draft.key] = [f"{name}：{problem}" for problem in problems]
        elif row is None or row.state in EDITABLE:
            drafts.append(draft)
    return drafts, errors


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
    drafts, errors = _checked(entry, unit=unit, period=period, inputs=inputs, by=by)
    if errors:
        raise ValidationError(errors)
    return _write_drafts(drafts, unit=unit, period=period, by=by, today=today_or(today), reason=reason)


@dataclass
class Kept:
    """What a save that keeps every valid item did: the items written (`indicator-<id>`, `task-<id>`), the
    problems of those not written, and the items someone else changed meanwhile (their conflict message)."""

    saved: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflicts: dict[str, str] = field(default_factory=dict)
    uploaded: list[str] = field(default_factory=list)  # the names of the evidence files stored
    holders: list[str] = field(default_factory=list)  # items created empty to hold a file (no values saved)
    refused_files: dict[str, list[str]] = field(default_factory=dict)  # by row key: each file's name, why

    def refuse_file(self, key: str, message: str) -> None:
        self.refused_files.setdefault(key, []).append(message)


def _save_valid(
    entry: _Entry, *, unit: Unit, period: Period, inputs: Iterable[Any], by: User, today: datetime.date,
    kept: Kept, reason: str | None = None,
) -> None:  # fmt: skip
    """Write every valid input as a draft, each item all or nothing on its own; what was written, what was
    wrong and what conflicted go into `kept`."""
    drafts, errors = _checked(entry, unit=unit, period=period, inputs=inputs, by=by)
    written, conflicts = _write_each(drafts, unit=unit, period=period, by=by, today=today, reason=reason)
    kept.saved += written
    kept.errors.update(errors)
    kept.conflicts.update(conflicts)


def _figure_values(item: FigureInput) -> dict[str, Any]:
    figure = item.figure
    return {
        "value": figure.value,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "done": figure.done,
        "note": figure.note.strip(),
    }


def progress_problems(item: ProgressInput) -> list[str]:
    """What keeps a task's progress from being saved, in the words the reporting page and the Excel import's
    preview both show."""
    problems = [] if item.status in TaskReport.Status.values else ["请选择推进状态。"]
    for name, label in TASK_TEXTS.items():
        problems += _text_errors(label, getattr(item, name).strip())
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
    values=lambda item: {"status": item.status, **{name: getattr(item, name).strip() for name in TASK_TEXTS}},
    problems=lambda task, item, values: progress_problems(item),
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
    *,
    unit: Unit,
    period: Period,
    inputs: list[ProgressInput],
    by: User,
    today: datetime.date | None = None,
    reason: str | None = None,
) -> list[TaskReport]:
    """Store the unit's task progress for the period as drafts. Same guarantees as `figures_save`, keyed
    `task-<id>`; `reason` likewise."""
    return _save(TASK_PROGRESS, unit=unit, period=period, inputs=inputs, by=by, today=today, reason=reason)


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
    figures = ordered.values_list("indicator_id", "value", "numerator", "denominator", "done")
    for indicator_id, *figure in figures:
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
    today: datetime.date, stored: list[str], kept: Kept,
) -> None:  # fmt: skip
    """Store each added file and delete each removed one, every file on its own: one that cannot be kept
    here (its row no longer changes, the row's limit is reached, not the unit's item) is refused alone into
    `kept.refused_files`, naming it; a removal of files that are gone is refused into `kept.errors`."""
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
        kept.errors.setdefault(NON_FIELD_ERRORS, []).append(
            "要删除的佐证材料有的不存在或已被删除，请刷新页面。"
        )
    for item in doomed:
        key = _row_key(item.submission or item.task_report)
        try:
            _evidence_parent(key, rows, unit=unit, period=period, by=by, today=today)
        except ValidationError as error:
            kept.refuse_file(key, f"“{item.name}”未删除：{' '.join(error.messages)}")
            continue
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
        name = clean_name(item.upload.name or "")
        if counts[item.key] >= MAX_FILES_PER_ROW:
            kept.refuse_file(item.key, f"“{name}”未上传：每项最多上传{MAX_FILES_PER_ROW}个佐证材料。")
            continue
        new = item.key not in rows
        try:
            row = _evidence_parent(item.key, rows, unit=unit, period=period, by=by, today=today)
        except ValidationError as error:
            kept.refuse_file(item.key, f"“{name}”未上传：{' '.join(error.messages)}")
            continue
        if new:
            kept.holders.append(item.key)
        counts[item.key] += 1
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
        kept.uploaded.append(name)


def _row_key(row: Submission | TaskReport) -> str:
    return f"indicator-{row.indicator_id}" if isinstance(row, Submission) else f"task-{row.task_id}"
