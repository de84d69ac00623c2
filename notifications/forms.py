from __future__ import annotations

from django import forms

from audit.services import TEXT_LIMIT


class WebhookForm(forms.Form):
    url = forms.CharField(label="Webhook地址", max_length=500, required=False)
    enabled = forms.BooleanField(label="启用", required=False)
    reason = forms.CharField(
        label="修改原因", max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 2})
    )
