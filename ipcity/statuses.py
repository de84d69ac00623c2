"""Status colours and tones: one home for how a status looks, on cards, in charts and in workbooks.

The colours are the stylesheet's (`static/css/ipcity.css`: --achieved, --on-track …), so a status reads the
same on a card, in a chart and in an exported workbook. Keys are the status values of `Progress.Status`,
`TaskReport.Status` and `Timeliness.Status` (plus `no_report` for a task with no report)."""

from __future__ import annotations

# Indicator status (progress.models.Progress.Status) → colour.
STATUS_COLOURS = {
    "achieved": "#1e8e3e",
    "on_track": "#2f7fd1",
    "at_risk": "#d98b00",
    "behind": "#c62828",
    "no_data": "#8c96a3",
}
# Reporting timeliness (progress.models.Timeliness.Status) → colour, from the same palette.
TIMELINESS_COLOURS = {
    "on_time": STATUS_COLOURS["achieved"],
    "late": STATUS_COLOURS["at_risk"],
    "missing": STATUS_COLOURS["behind"],
    "returned": "#6a3d99",
    "not_due": "#c9d0d8",
}
TIMELINESS_SHORT = {
    "on_time": "按时",
    "late": "逾期",
    "missing": "未报",
    "returned": "退回",
    "not_due": "未到期",
}

# Tones: how a workbook's cell or a table row is shaded for a status (good, warn, bad, none).
INDICATOR_TONES = {
    "achieved": "good",
    "on_track": "good",
    "at_risk": "warn",
    "behind": "bad",
    "no_data": "none",
}
TASK_TONES = {
    "done": "good",
    "in_progress": "good",
    "not_started": "warn",
    "lagging": "bad",
    "no_report": "none",
}
TIMELINESS_TONES = {
    "on_time": "good",
    "late": "warn",
    "missing": "bad",
    "returned": "warn",
    "not_due": "none",
}
