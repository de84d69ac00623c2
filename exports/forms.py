"""Forms of the reports app: which plan, year and quarter an export or a bulletin is for."""

from __future__ import annotations

import datetime

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Max, Min

from audit.services import TEXT_LIMIT
from exports.documents.common import SETTINGS, WORDING
from exports.models import ExportJob, OfficialDocument
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
    format = forms.ChoiceField(
        label="格式",
        choices=ExportJob.Format.choices,
        initial=ExportJob.Format.XLSX,
        required=False,  # a form that names none (the bulletin page's button) asks for the workbook
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "请选择 Excel、Word 或 PDF 格式。"},
    )
    field_order = ["plan", "year", "quarter", "kind", "format"]

    def __init__(self, *args, **kwargs) -> None:
        span = Plan.objects.aggregate(first=Min("start_year"), last=Max("end_year"))
        years = range(span["first"], span["last"] + 1) if span["first"] else range(0)
        super().__init__(*args, years=years, **kwargs)

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or ExportJob.Format.XLSX

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


class OfficialDocumentForm(forms.ModelForm):
    """The office's settings of one outgoing document and the wording it may change (the kind's
    `WORDING` fields, each prefilled with the generated draft). `version` is the optimistic lock."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    class Meta:
        model = OfficialDocument
        fields = [*SETTINGS, *WORDING["report"], "requirements"]
        widgets = {
            "signed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "opening": forms.Textarea(attrs={"rows": 2}),
            "overall": forms.Textarea(attrs={"rows": 3}),
            "problems": forms.Textarea(attrs={"rows": 5}),
            "next_steps": forms.Textarea(attrs={"rows": 5}),
            "requirements": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "number": "如：泉知领办〔2026〕3号",
            "recipients": "不填时：报告主送方案印发机关，通报主送各责任单位",
            "copy_to": "多个单位以顿号分隔",
            "printed_by": "不填时为领导小组办公室",
            "signed_on": "不填时为导出当日",
            "common_fonts": "本机未安装方正小标宋简体、仿宋_GB2312 时勾选：标题宋体加粗，正文仿宋",
        }

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        wording = set(WORDING[kind])
        for name in [*WORDING["report"], "requirements"]:
            if name not in wording:
                del self.fields[name]
        for name in WORDING[kind]:
            self.fields[name].max_length = TEXT_LIMIT
            self.fields[name].validators.append(MaxLengthValidator(TEXT_LIMIT))
            self.fields[name].help_text = "每行一段；与草稿相同时不保存，随数据更新"
        self.fields["signed_on"].error_messages["invalid"] = "请填写有效的日期，如 2026-12-07。"

    @property
    def wording_names(self) -> list[str]:
        return [name for name in self.fields if name in WORDING["report"] or name == "requirements"]
