"""Forms of the reporting pages. They read what people typed into the services' inputs; the rules themselves
live in `indicators.measures` and the services, so the page, the API and the Excel import judge alike."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django import forms
from django.forms import BoundField
from django.utils import timezone

from indicators.measures import DONE, DONE_TEXT, INPUTS, figure_errors, figure_parse
from ipcity.figures import plain
from reporting.evidence import ACCEPT
from reporting.models import Period, TaskReport
from reporting.selectors import FigureRow, TaskRow, UnitQuarter
from reporting.services.entry import EvidenceInput, FigureInput, ProgressInput

NO_VERSION = "页面缺少版本信息，本次保存未生效（以免覆盖他人的修改）。请刷新页面后重新填写。"
NOT_STORED = 0  # the version a page sends for a row it showed empty: someone else's new row is a conflict


def _number_input() -> forms.CharField:
    # Text, not type=number: the browser would silently drop "1,234" or "12件"; we answer them in Chinese.
    return forms.CharField(
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "figure-input"}
        ),
    )


def _text(rows: int = 3, placeholder: str = "") -> forms.CharField:
    return forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows, "placeholder": placeholder}),
    )


@dataclass
class RowView:
    """One row of the page as the template draws it: the selector's row, its inputs, its problems."""

    row: FigureRow | TaskRow
    fields: dict[str, BoundField]
    errors: list[str]
    conflict: bool = False
    removed: set[int] = field(default_factory=set)


class QuarterForm(forms.Form):
    """本季度填报: for every row that may still change, the figure (or numerator and denominator, or done),
    the note and the evidence files; for every task the status and three texts; a hidden version per row."""

    action = forms.ChoiceField(choices=[("save", "保存草稿"), ("submit", "报送本季度")], initial="save")

    def __init__(self, quarter: UnitQuarter, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.quarter = quarter
        self.row_errors: dict[str, list[str]] = {}
        self.conflicts: set[str] = set()
        for row in quarter.figures:
            if row.editable:
                self._figure_fields(row)
        for row in quarter.tasks:
            if row.editable:
                self._task_fields(row)

    def _add(self, key: str, name: str, field: forms.Field, initial=None) -> None:
        field.initial = initial
        self.fields[f"{key}-{name}"] = field

    def _version(self, key: str, row) -> None:
        # Required: without the version the page showed, a save could not tell a colleague's newer value from
        # the one the user saw and would overwrite it.
        field = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": NO_VERSION})
        self._add(key, "version", field, row.version if row else NOT_STORED)

    def _figure_fields(self, row: FigureRow) -> None:
        stored = row.submission
        for name in row.indicator.kind.inputs:
            if name == DONE:
                choices = [("", "请选择"), ("1", DONE_TEXT[True]), ("0", DONE_TEXT[False])]
                done = "" if stored is None or stored.done is None else ("1" if stored.done else "0")
                self._add(row.key, name, forms.ChoiceField(required=False, choices=choices), done)
            else:
                self._add(row.key, name, _number_input(), _plain(stored and getattr(stored, name)))
        self._add(row.key, "note", _text(2, "数据来源、口径或变化原因"), stored.note if stored else "")
        self._version(row.key, stored)

    def _task_fields(self, row: TaskRow) -> None:
        stored = row.report
        choices = [("", "请选择"), *TaskReport.Status.choices]
        self._add(
            row.key, "status", forms.ChoiceField(required=False, choices=choices), stored and stored.status
        )
        for name, hint in (
            ("progress", "本季度推进了哪些工作、取得什么成效"),
            ("problems", "推进中遇到的困难；滞后时必填"),
            ("next_steps", "下季度的工作安排"),
        ):
            self._add(row.key, name, _text(4, hint), getattr(stored, name) if stored else "")
        self._version(row.key, stored)

    def clean(self):
        cleaned = super().clean()
        self.figures: list[FigureInput] = []
        self.tasks: list[ProgressInput] = []
        for row in self.quarter.figures:
            if not row.editable:
                continue
            raw = {name: cleaned.get(f"{row.key}-{name}") for name in INPUTS}
            raw["note"] = cleaned.get(f"{row.key}-note") or ""
            figure, problems = figure_parse(row.indicator, raw)
            # The figure rules too, here: every problem of the page shows at once, not a second round later.
            problems = problems or figure_errors(row.indicator, figure)
            if problems:
                self.row_errors[row.key] = [f"{row.indicator.name}：{problem}" for problem in problems]
            self.figures.append(FigureInput(row.indicator.pk, figure, cleaned.get(f"{row.key}-version")))
        for row in self.quarter.tasks:
            if not row.editable:
                continue
            texts = {
                name: cleaned.get(f"{row.key}-{name}") or ""
                for name in ("progress", "problems", "next_steps")
            }
            self.tasks.append(
                ProgressInput(
                    task_id=row.task.pk,
                    status=cleaned.get(f"{row.key}-status") or "",
                    version=cleaned.get(f"{row.key}-version"),
                    **texts,
                )
            )
        for name, problems in self.errors.items():  # a field's own check (length, a tampered version)
            key = name.rsplit("-", 1)[0]
            self.row_errors.setdefault(key, []).extend(problems)
        return cleaned

    def is_valid(self) -> bool:
        return super().is_valid() and not self.row_errors

    @property
    def submit(self) -> bool:
        return self.cleaned_data.get("action") == "submit"

    @property
    def evidence(self) -> list[EvidenceInput]:
        editable = {row.key for row in self.quarter.rows if row.editable}
        return [
            EvidenceInput(key=key, upload=upload)
            for key in sorted(editable)
            for upload in self.files.getlist(f"{key}-evidence")
        ]

    @property
    def removed_evidence(self) -> list[int]:
        return [int(pk) for pk in self.data.getlist("remove_evidence") if str(pk).isdigit()]

    def add_service_errors(self, message_dict: dict[str, list[str]]) -> None:
        for key, messages in message_dict.items():
            self.row_errors.setdefault(key, []).extend(messages)

    @property
    def general_errors(self) -> list[str]:
        """Problems that belong to no row (the whole quarter, a file to delete)."""
        rows = {row.key for row in self.quarter.rows}
        return [
            message for key, messages in self.row_errors.items() if key not in rows for message in messages
        ]

    def views(self, rows: list[FigureRow] | list[TaskRow]) -> list[RowView]:
        removed = set(self.removed_evidence) if self.is_bound else set()
        return [
            RowView(
                row=row,
                fields={
                    name.rsplit("-", 1)[1]: self[name]
                    for name in self.fields
                    if name.startswith(f"{row.key}-")
                },
                errors=self.row_errors.get(row.key, []),
                conflict=row.key in self.conflicts,
                removed=removed,
            )
            for row in rows
        ]

    accept = ACCEPT


def _plain(value) -> str:
    return "" if value is None or value == "" else plain(value)


class PeriodDatesForm(forms.Form):
    due_on = forms.DateField(
        label="截止日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    locks_on = forms.DateField(
        label="锁定日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(label="修改原因", max_length=500)


class ExceptionForm(forms.Form):
    unit = forms.ModelChoiceField(label="单位", queryset=None, empty_label="请选择单位")
    until = forms.DateField(label="开放至", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label="理由", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units, period: Period, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["until"].initial = max(period.locks_on, timezone.localdate()) + datetime.timedelta(days=7)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class VersionForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
