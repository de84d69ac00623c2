"""Forms of the reports app: which plan, year and quarter an export or a bulletin is for."""

from __future__ import annotations

import datetime

from django import forms
from django.db.models import Max, Min

from exports.models import ExportJob
from ipcity.quarters import NUMERALS, quarter_name
from plans.models import Plan

QUARTER_CHOICES = [(q, quarter_name(q)) for q in NUMERALS]


def last_ended_quarter(plan: Plan, today: datetime.date) -> tuple[int, int]:
    """The most recent quarter that has ended by `today`, kept within the plan's years."""
    year, quarter = (today.year, (today.month - 1) // 3)
    if quarter == 0:
        year, quarter = year - 1, 4
    if year < plan.start_year:
        return plan.start_year, 1
    if year > plan.end_year:
        return plan.end_year, 4
    return year, quarter


class PeriodForm(forms.Form):
    """A year and quarter of one plan's implementation period."""

    year = forms.TypedChoiceField(
        label="年度", coerce=int, error_messages={"invalid_choice": "请选择方案实施期内的年度。"}
    )
    quarter = forms.TypedChoiceField(
        label="季度",
        coerce=int,
        choices=QUARTER_CHOICES,
        error_messages={"invalid_choice": "季度应为第一至第四季度。", "required": "请选择季度。"},
    )

    def __init__(self, *args, years: range, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, f"{year}年") for year in years]
        self.fields["year"].error_messages["required"] = "请选择年度。"


class ExportForm(PeriodForm):
    plan = forms.ModelChoiceField(
        label="工作方案",
        queryset=Plan.objects.order_by("slug"),
        to_field_name="slug",
        empty_label=None,
        error_messages={"invalid_choice": "请选择系统中的工作方案。", "required": "请选择工作方案。"},
    )
    kind = forms.ChoiceField(
        label="导出内容",
        choices=ExportJob.Kind.choices,
        initial=ExportJob.Kind.REPORT,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "请选择导出内容。", "required": "请选择导出内容。"},
    )
    field_order = ["plan", "year", "quarter", "kind"]

    def __init__(self, *args, **kwargs) -> None:
        span = Plan.objects.aggregate(first=Min("start_year"), last=Max("end_year"))
        years = range(span["first"], span["last"] + 1) if span["first"] else range(0)
        super().__init__(*args, years=years, **kwargs)

    def clean(self):
        cleaned = super().clean()
        plan, year = cleaned.get("plan"), cleaned.get("year")
        if plan is not None and year is not None and year not in plan.years:
            span = f"{plan.start_year}—{plan.end_year}年"
            self.add_error("year", f"{plan.short_title}的实施期为{span}，请重新选择年度。")
        return cleaned


class BulletinReleaseForm(PeriodForm):
    """The office releases a quarter's bulletin as 正式; the reason is required while items await review
    (the service decides, since only it knows how many do)."""

    reason = forms.CharField(
        label="发布说明",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "尚有待审核事项时必填：说明先行发布的理由"}),
        error_messages={"max_length": "发布说明不能超过4000字。"},
    )
