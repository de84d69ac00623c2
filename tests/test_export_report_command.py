"""manage.py export_report SLUG --year Y --quarter Q -o FILE.xlsx [--bulletin]"""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook


def test_it_writes_the_report(report_scenario, tmp_path, capsys):
    out = tmp_path / "report.xlsx"
    call_command("export_report", "quanzhou-2024-2026", "--year", "2025", "--quarter", "3", "-o", str(out))
    assert load_workbook(out).sheetnames == ["封面", "汇总", "指标进度", "任务进展", "报送情况"]
    assert "已导出泉州市示范城市工作方案2025年第三季度进展情况报告" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_it_writes_the_bulletin(report_scenario, tmp_path):
    out = tmp_path / "bulletin.xlsx"
    call_command(
        "export_report",
        "quanzhou-2024-2026",
        "--year",
        "2025",
        "--quarter",
        "3",
        "-o",
        str(out),
        "--bulletin",
    )
    assert load_workbook(out).sheetnames == ["通报"]


def test_export_bulletin_is_the_same_command_for_the_bulletin(report_scenario, tmp_path, capsys):
    out = tmp_path / "bulletin.xlsx"
    call_command("export_bulletin", "quanzhou-2024-2026", "--year", "2025", "--quarter", "3", "-o", str(out))
    assert load_workbook(out).sheetnames == ["通报"]
    assert "工作推进情况通报" in capsys.readouterr().out
    with pytest.raises(CommandError, match="季度应为 1—4"):
        call_command(
            "export_bulletin", "quanzhou-2024-2026", "--year", "2025", "--quarter", "5", "-o", str(out)
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["nope", "--year", "2025", "--quarter", "3"],
            "未找到方案“nope”。系统中的方案：quanzhou-2024-2026、zhenjiang-edz-2024-2026。",
        ),
        (["quanzhou-2024-2026", "--year", "2025", "--quarter", "5"], "季度应为 1—4，收到 5。"),
        (
            ["quanzhou-2024-2026", "--year", "2030", "--quarter", "1"],
            "年度应在方案实施期 2024—2026 年内，收到 2030。",
        ),
    ],
)
def test_it_refuses_bad_arguments_in_chinese(plans, tmp_path, args, message):
    out = tmp_path / "x.xlsx"
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("export_report", *args, "-o", str(out))
    assert not out.exists()


def test_it_refuses_a_file_name_that_is_not_xlsx(plans, tmp_path):
    with pytest.raises(CommandError, match=re.escape("输出文件应以 .xlsx 结尾")):
        call_command(
            "export_report",
            "quanzhou-2024-2026",
            "--year",
            "2025",
            "--quarter",
            "3",
            "-o",
            str(tmp_path / "x.csv"),
        )


def test_it_says_when_it_cannot_write(plans, tmp_path):
    with pytest.raises(CommandError, match="无法写入"):
        call_command(
            "export_report",
            "quanzhou-2024-2026",
            "--year",
            "2025",
            "--quarter",
            "3",
            "-o",
            "/proc/nope/x.xlsx",
        )
