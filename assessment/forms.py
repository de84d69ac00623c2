"""The office's form for a plan's 目标考核 weights."""

from __future__ import annotations

from django import forms

from assessment.models import PARTS, RankingWeights
from assessment.selectors import PART_LABELS

WEIGHT_ERROR = "权重须为0—100的整数。"


def _weight(part: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=f"{PART_LABELS[part]}权重",
        min_value=0,
        max_value=100,
        help_text=RankingWeights._meta.get_field(part).help_text,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), WEIGHT_ERROR)
        | {"required": f"请填写{PART_LABELS[part]}权重。"},
    )


class RankingWeightsForm(forms.Form):
    results = _weight("results")
    tasks = _weight("tasks")
    timeliness = _weight("timeliness")
    quality = _weight("quality")
    reason = forms.CharField(
        label="修改原因",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写修改原因。"},
    )
    seen = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, weights: RankingWeights, **kwargs):
        kwargs["initial"] = {**weights.as_dict(), "seen": weights.version if weights.pk else 0}
        super().__init__(*args, **kwargs)

    def weights(self) -> dict[str, int]:
        return {part: self.cleaned_data[part] for part in PARTS}
