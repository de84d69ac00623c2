"""The query strings of the dashboards: which quarter to show, and the overview's filters."""

from __future__ import annotations

from django import forms

from ipcity.quarters import Quarter
from progress.models import Progress

YEAR_ERROR = "年度应为四位数字的年份，如2026。"
QUARTER_ERROR = "季度应为1至4之间的数字。"


def _whole_number(label: str, low: int, high: int, error: str) -> forms.IntegerField:
    """An optional whole number from `low` to `high`; whatever is wrong with it, the user reads `error`."""
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        required=False,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), error),
    )


class QuarterForm(forms.Form):
    year = _whole_number("年度", 2000, 2100, YEAR_ERROR)
    quarter = _whole_number("季度", 1, 4, QUARTER_ERROR)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if (data.get("year") is None) != (data.get("quarter") is None):
            raise forms.ValidationError("请同时选择年度和季度。")
        return data

    @property
    def requested(self) -> Quarter | None:
        year, quarter = self.cleaned_data.get("year"), self.cleaned_data.get("quarter")
        return Quarter(year, quarter) if year is not None else None


class OverviewForm(QuarterForm):
    status = forms.ChoiceField(
        label="状态",
        choices=[("", "全部"), *Progress.Status.choices],
        required=False,
        error_messages={"invalid_choice": "没有“%(value)s”这种状态，请从列表中选择。"},
    )
    unit = forms.IntegerField(
        label="责任单位", min_value=1, required=False, error_messages={"invalid": "请从列表中选择责任单位。"}
    )
    # Plans with more units than a list can hold (a national plan's counties) ask for the unit's name.
    unit_name = forms.CharField(label="责任单位名称", max_length=64, required=False)


class RankingForm(forms.Form):
    """目标考核: a year, and a quarter of it or none (the whole year)."""

    year = _whole_number("年度", 2000, 2100, YEAR_ERROR)
    quarter = _whole_number("季度", 1, 4, QUARTER_ERROR)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan

    def clean_year(self):
        year = self.cleaned_data.get("year")
        if year is not None and not self.plan.start_year <= year <= self.plan.end_year:
            raise forms.ValidationError(
                f"年度须在方案实施期{self.plan.start_year}—{self.plan.end_year}年之内。"
            )
        return year

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("year") is None and data.get("quarter") is not None:
            raise forms.ValidationError("请同时选择年度。")
        return data
