"""Forms of the 督查督办 pages: they read what people typed into the services' inputs."""

from __future__ import annotations

from django import forms

from audit.services import TEXT_LIMIT
from indicators.models import Assignment, Indicator
from ipcity.quarters import Quarter
from plans.models import Task, TaskUnit, Unit
from reporting.evidence import ACCEPT, MAX_FILES_PER_ROW
from supervision.models import SupervisionItem
from supervision.services import TITLE_LIMIT, About, ItemInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); each is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def _text(label: str, rows: int = 3, max_length: int = TEXT_LIMIT) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows}))


class AboutForm(forms.Form):
    """The subject, carried in hidden fields from the row the leader clicked (board, indicator, unit)."""

    indicator = forms.ModelChoiceField(Indicator.objects.all(), required=False, widget=forms.HiddenInput)
    task = forms.ModelChoiceField(Task.objects.all(), required=False, widget=forms.HiddenInput)
    unit = forms.ModelChoiceField(Unit.objects.all(), required=False, widget=forms.HiddenInput)
    period = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_period(self) -> Quarter | None:
        value = self.cleaned_data.get("period") or ""
        if not value:
            return None
        try:
            return Quarter.parse(value)
        except ValueError as error:
            raise forms.ValidationError("季度格式不正确。") from error

    def about(self) -> About:
        data = self.cleaned_data
        at = data.get("period")
        return About(
            indicator=data.get("indicator"), task=data.get("task"), unit=data.get("unit"),
            year=at.year if at else None, quarter=at.quarter if at else None,
        )  # fmt: skip


class InstructionForm(AboutForm):
    text = _text("批示内容", rows=4)


class ItemForm(AboutForm):
    title = forms.CharField(label="督办事项", max_length=TITLE_LIMIT)
    action = _text("工作要求")
    criteria = _text("完成标准", rows=2)
    deadline = forms.DateField(label="办理时限", widget=forms.DateInput(attrs={"type": "date"}))
    lead_unit = forms.ModelChoiceField(Unit.objects.exclude(kind=Unit.Kind.GROUP), label="牵头单位")
    co_units = forms.ModelMultipleChoiceField(
        Unit.objects.exclude(kind=Unit.Kind.GROUP),
        label="配合单位",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def item_input(self) -> ItemInput:
        data = self.cleaned_data
        return ItemInput(
            title=data["title"], action=data["action"], criteria=data["criteria"], deadline=data["deadline"],
            lead_unit=data["lead_unit"], co_units=list(data["co_units"]), about=self.about(),
        )  # fmt: skip


def item_initial(about: About) -> dict:
    """What the issue form starts with for a row clicked on the board: the subject, its units (lead first)
    and a title naming it."""
    initial: dict = {}
    units: list[int] = []
    if about.indicator is not None:
        source = about.indicator.computed_from_id or about.indicator.pk
        units = list(
            Assignment.objects.filter(indicator_id=source)
            .order_by("-is_lead", "unit__name")
            .values_list("unit_id", flat=True)
        )
        initial.update(indicator=about.indicator.pk, title=f"推进“{about.indicator.name}”指标进度")
    elif about.task is not None:
        units = list(
            TaskUnit.objects.filter(task=about.task).order_by("position").values_list("unit_id", flat=True)
        )
        initial.update(task=about.task.pk, title=f"推进“{about.task.title}”任务落实")
    elif about.unit is not None:
        units = [about.unit.pk]
        at = Quarter(about.year, about.quarter)
        initial.update(unit=about.unit.pk, period=at.param, title=f"{about.unit.name}{at.name}数据报送")
    if units:
        initial.update(lead_unit=units[0], co_units=units[1:])
    return initial


class RespondForm(forms.Form):
    text = _text("办理情况", rows=4)
    files = MultipleFileField(label=f"佐证材料（可多选，最多{MAX_FILES_PER_ROW}个）", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ReturnForm(VersionForm):
    reason = _text("退回理由", rows=2)


class ItemFilter(forms.Form):
    state = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), ("open", "待反馈"), *SupervisionItem.State.choices],
    )
