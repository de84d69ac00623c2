"""The office's forms for plan documents: the upload (a file or pasted text) and the publish step."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.text import slugify

from planimport.publish import RESERVED_SLUGS
from plans.models import Region


class UploadForm(forms.Form):
    file = forms.FileField(label="方案文件（.docx、带文字层的.pdf或.txt）", required=False)
    pasted = forms.CharField(label="或粘贴方案全文", required=False, widget=forms.Textarea(attrs={"rows": 8}))
    slug = forms.CharField(
        label="方案标识",
        required=False,
        max_length=64,
        help_text="小写字母、数字和连字符，如 shili-2025-2027；可稍后修改",
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip()
        if slug and slug != slugify(slug):
            raise forms.ValidationError(f"方案标识“{slug[:30]}”只能由小写字母、数字和连字符组成。")
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(f"方案标识不能是“{slug}”（系统页面已占用），请换一个。")
        return slug

    def clean(self):
        data = super().clean()
        upload, pasted = data.get("file"), (data.get("pasted") or "").strip()
        if upload and pasted:
            raise forms.ValidationError("请上传文件或粘贴文字，二者选其一。")
        if not upload and not pasted:
            raise forms.ValidationError("请选择方案文件，或粘贴方案全文。")
        if upload and upload.size > settings.UPLOAD_MAX_BYTES:
            limit = settings.UPLOAD_MAX_BYTES / 1024 / 1024
            raise forms.ValidationError(
                f"文件过大（上限{limit:.3g} MB），请删去附件图片后重新上传，或粘贴方案文字。"
            )
        return data


class PublishForm(forms.Form):
    region = forms.ModelChoiceField(Region.objects.order_by("code"), label="实施地区", required=False)
    new_code = forms.SlugField(label="新地区代码", required=False, max_length=64)
    new_name = forms.CharField(label="新地区名称", required=False, max_length=64)
    new_level = forms.ChoiceField(label="层级", choices=Region.Level.choices, required=False)
    new_parent = forms.ModelChoiceField(Region.objects.order_by("code"), label="上级地区", required=False)

    def clean(self):
        data = super().clean()
        if data.get("region"):
            return data
        if not (data.get("new_code") and data.get("new_name") and data.get("new_level")):
            raise forms.ValidationError("请选择实施地区，或填写新地区的代码、名称和层级。")
        return data

    def region_choice(self) -> Region | dict:
        data = self.cleaned_data
        if data.get("region"):
            return data["region"]
        return {
            "code": data["new_code"],
            "name": data["new_name"],
            "level": data["new_level"],
            "parent": data.get("new_parent"),
        }
