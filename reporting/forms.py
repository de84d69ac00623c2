"""Forms of the reporting pages. They read what people typed into the services' inputs; the rules themselves
live in `indicators.measures` and the services, so the page, the API and the Excel import judge alike."""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.forms import BoundField
from django.http import Http404
from django.utils import timezone

from indicators.editing import MilestoneInput, PopulationInput, year_seen
from indicators.measures import (
    DONE,
    DONE_TEXT,
    INPUTS,
    MEASURES,
    figure_errors,
    figure_parse,
    keys_where,
    parse_number,
)
from indicators.models import Indicator, Population, Target
from indicators.services import BaselineInput, DefinitionInput, definition_seen
from ipcity.figures import plain
from plans.models import Region
from reporting.evidence import ACCEPT
from reporting.models import Period, TaskReport
from reporting.selectors import FigureRow, TaskRow, UnitQuarter
from reporting.services.entry import EvidenceInput, FigureInput, ProgressInput
from reporting.services.quarter import QuarterSaved

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


def _written(label: str, *, asked: str, max_length: int = 4000) -> forms.CharField:
    """A required text of the office's (a reason, a source), two lines high; `asked` when it is left empty."""
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": asked},
    )


@dataclass
class RowView:
    """One row of the page as the template draws it: the selector's row, its inputs, its problems."""

    row: FigureRow | TaskRow
    fields: dict[str, BoundField]
    errors: list[str]
    conflict: bool = False
    removed: set[int] = field(default_factory=set)
    saved: bool = False  # written by the save that brought the page back (others of it were not)
    refused_files: list[str] = field(default_factory=list)


class QuarterForm(forms.Form):
    """本季度填报: for every row that may still change, the figure (or numerator and denominator, or done),
    the note and the evidence files; for every task the status and three texts; a hidden version per row."""

    # Empty when another button sent the page (沿用上季度, or Enter in a field: the form's first, unnamed
    # button): the page's typing is then saved as a draft.
    action = forms.ChoiceField(
        choices=[("save", "保存草稿"), ("submit", "报送本季度")], initial="save", required=False
    )
    # The number of items the page offered to submit, which the reporter confirmed (reporting.services).
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, quarter: UnitQuarter, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.quarter = quarter
        self.row_errors: dict[str, list[str]] = {}
        self.conflicts: set[str] = set()
        # What a save that kept only part of the page did (`quarter_save`'s answer); None when nothing was.
        self.outcome: QuarterSaved | None = None
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
        """Inputs for the services from every row the page could read; a row with a problem of its own (a
        number that is no number, a text too long, a missing version) is left out and its problems kept in
        `row_errors`, so the other rows can still be saved."""
        cleaned = super().clean()
        for name, problems in self.errors.items():  # a field's own check (length, a tampered version)
            key = name.rsplit("-", 1)[0]
            self.row_errors.setdefault(key, []).extend(problems)
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
                self.row_errors.setdefault(row.key, []).extend(
                    f"{row.indicator.name}：{problem}" for problem in problems
                )
            if row.key not in self.row_errors:
                self.figures.append(FigureInput(row.indicator.pk, figure, cleaned.get(f"{row.key}-version")))
        for row in self.quarter.tasks:
            if not row.editable or row.key in self.row_errors:
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
        return cleaned

    def is_valid(self) -> bool:
        return super().is_valid() and not self.row_errors

    @property
    def submit(self) -> bool:
        return self.cleaned_data.get("action") == "submit" and not self.carry_asked

    @property
    def carry_asked(self) -> bool:
        return "carry" in self.data

    def carry_tasks(self) -> list[int] | None:
        """The tasks 沿用上季度 was asked for (None: all of them); a task that is not one of the unit's
        editable tasks on this page is no task to the reporter: 404."""
        value = self.data.get("carry")
        if value == "all":
            return None
        tasks = {str(row.task.pk): row.task.pk for row in self.quarter.tasks if row.editable}
        if value not in tasks:
            raise Http404("本单位本季度没有该任务，或其进展已不能修改。")
        return [tasks[value]]

    @property
    def carry_overwrite(self) -> bool:
        return self.data.get("carry_overwrite") == "1"

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

    def _names(self, keys: Collection[str]) -> list[str]:
        """The items of `keys` as people call them, in the page's order."""
        return [
            row.indicator.name if isinstance(row, FigureRow) else f"任务“{row.task.title}”"
            for row in self.quarter.rows
            if row.key in keys
        ]

    @property
    def saved_names(self) -> list[str]:
        return self._names(self.outcome.saved) if self.outcome else []

    @property
    def unsaved_names(self) -> list[str]:
        return self._names({*self.row_errors, *self.conflicts})

    @property
    def refused_files(self) -> list[str]:
        return (
            [m for messages in self.outcome.refused_files.values() for m in messages] if self.outcome else []
        )

    @property
    def submit_refused(self) -> bool:
        """The reporter asked to submit, and the quarter was not submitted (its drafts were kept)."""
        return self.outcome is not None and self.submit and self.outcome.submitted is None

    def views(self, rows: list[FigureRow] | list[TaskRow]) -> list[RowView]:
        removed = set(self.removed_evidence) if self.is_bound else set()
        outcome = self.outcome
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
                saved=outcome is not None and row.key in outcome.saved,
                refused_files=outcome.refused_files.get(row.key, []) if outcome else [],
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


BASELINE_NUMBER = re.compile(r"\d{1,16}(\.\d{1,4})?", re.ASCII)


class DefinitionForm(forms.Form):
    """The office confirms or changes an indicator's definition (口径): what is counted, from when, the
    measure kind (among those filled in the same way), the baseline, the comparable key; with a reason."""

    STATES = [("confirmed", "已确认"), ("pending", "待确认")]

    confirmed = forms.TypedChoiceField(
        label="口径状态", choices=STATES, coerce=lambda value: value == "confirmed", widget=forms.RadioSelect
    )
    question = forms.CharField(label="待确认问题", required=False, max_length=2000, widget=forms.Textarea(
        attrs={"rows": 2}
    ))  # fmt: skip
    definition = forms.CharField(
        label="口径（统计什么）", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    counts_from = forms.CharField(label="起算", max_length=200)
    measure = forms.ChoiceField(label="统计方式")
    comparable_key = forms.SlugField(
        label="可比口径", required=False, max_length=64,
        help_text="与其他方案指标填写相同的代码，表示统计对象完全相同，方案对比页才计算每万人口比值；不同则留空。",
    )  # fmt: skip
    baseline_year = forms.IntegerField(label="基期年份", required=False, min_value=1949, max_value=2100)
    baseline_value = forms.CharField(label="基期值", required=False, max_length=30)
    baseline_source = forms.CharField(label="基期值来源（原文）", required=False, max_length=2000, widget=(
        forms.Textarea(attrs={"rows": 2})
    ))  # fmt: skip
    reason = _written("确认或修改理由", asked="请填写确认或修改理由。")
    seen = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, indicator, **kwargs):
        baseline = indicator.latest_baseline
        initial = {
            "confirmed": "pending" if indicator.definition_pending else "confirmed",
            "question": indicator.definition_question,
            "definition": indicator.definition,
            "counts_from": indicator.counts_from,
            "measure": indicator.measure,
            "comparable_key": indicator.comparable_key,
            "baseline_year": baseline.year if baseline else None,
            "baseline_value": plain(baseline.value) if baseline else "",
            "baseline_source": baseline.source if baseline else "",
            "seen": definition_seen(indicator),
        }
        super().__init__(*args, initial=initial, **kwargs)
        # Only the kinds a unit fills in the same way as now: the reported figures stay meaningful.
        self.fields["measure"].choices = [
            (key, MEASURES[key].label)
            for key in keys_where(lambda kind: kind.inputs == indicator.kind.inputs)
        ]

    def clean_baseline_value(self) -> str:
        text = self.cleaned_data["baseline_value"]
        if text and not BASELINE_NUMBER.fullmatch(text):
            raise forms.ValidationError(
                f"基期值“{text}”不是有效的数字：请只填写数字（最多4位小数），不带单位、逗号或其他符号。"
            )
        return text

    def clean(self):
        data = super().clean()
        parts = [
            data.get("baseline_year"),
            data.get("baseline_value"),
            (data.get("baseline_source") or "").strip(),
        ]
        if any(parts) and not all(parts):
            raise forms.ValidationError("基期值须同时填写年份、数值和来源；不设基期值时三项都留空。")
        return data

    def definition_input(self) -> DefinitionInput:
        data = self.cleaned_data
        baseline = None
        if data.get("baseline_year"):
            baseline = BaselineInput(
                year=data["baseline_year"],
                value=Decimal(data["baseline_value"]),
                source=data["baseline_source"],
            )
        return DefinitionInput(
            definition=data["definition"],
            counts_from=data["counts_from"],
            measure=data["measure"],
            comparable_key=data.get("comparable_key") or "",
            baseline=baseline,
            confirmed=data["confirmed"],
            question=data.get("question") or "",
        )


def _figure(label: str, *, required: bool) -> forms.CharField:
    """A figure the office types, read by the one strict number parser; the field's label names it."""
    field = _number_input()
    field.label, field.required = label, required
    field.error_messages["required"] = f"请填写{label}。"
    return field


class _ParsedFigures(forms.Form):
    """Figures typed as text (FIGURES), cleaned into Decimals by `indicators.measures.parse_number`: a bad
    one is refused in Chinese, quoting what was typed."""

    FIGURES: tuple[str, ...] = ()

    def clean(self):
        data = super().clean()
        for name in self.FIGURES:
            number, error = parse_number(data.get(name), self.fields[name].label)
            if error:
                self.add_error(name, error)
            data[name] = number
        return data


class PopulationForm(_ParsedFigures):
    """The office enters or corrects a region's resident population of a year (万人), with its source."""

    FIGURES = ("value",)

    value = _figure("常住人口（万人）", required=True)
    source = _written("数据来源（原文）", asked="请填写数据来源（如统计公报的原文）。", max_length=2000)
    reason = _written("修改原因", asked="请填写修改原因。")

    seen = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, region: Region, year: int, population: Population | None, **kwargs):
        kwargs["initial"] = {"seen": year_seen(Population, region_id=region.pk, year=year)}
        if population is not None:
            kwargs["initial"] |= {"value": _plain(population.value), "source": population.source}
        super().__init__(*args, **kwargs)

    def population_input(self) -> PopulationInput:
        return PopulationInput(value=self.cleaned_data["value"], source=self.cleaned_data["source"])


class MilestoneForm(_ParsedFigures):
    """The office sets a year's target of an indicator (origin 办公室设定): comparator and bounds."""

    FIGURES = ("min", "max")

    comparator = forms.ChoiceField(label="比较方式", choices=Target.Comparator.choices)
    min = _figure("下限", required=False)
    max = _figure("上限", required=False)
    reason = _written("设定理由（记为目标依据）", asked="请填写设定理由。")

    seen = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, indicator: Indicator, year: int, target: Target | None, **kwargs):
        kwargs["initial"] = {
            "comparator": Target.Comparator.GTE,
            "seen": year_seen(Target, indicator_id=indicator.pk, year=year),
        }
        if target is not None:
            kwargs["initial"] |= {
                "comparator": target.comparator,
                "min": _plain(target.min),
                "max": _plain(target.max),
            }
        super().__init__(*args, **kwargs)

    def milestone_input(self) -> MilestoneInput:
        data = self.cleaned_data
        return MilestoneInput(comparator=data["comparator"], min=data.get("min"), max=data.get("max"))
