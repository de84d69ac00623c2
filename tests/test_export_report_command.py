"""manage.py export_report SLUG --year Y --quarter Q -o FILE.xlsx [--bulletin]"""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook


def test_it_writes_the_report(report_scenario, tmp_path, capsys):
    out = tmp_path / "report.xlsx"
    call_command("export_report", "quanzhou-2024-2026", "--year", "2025", "--quarter", "3", "-o", str(out))
    assert load_workbook(out).sheetnames == ["封面", "汇总", "指标进度", "任务进展", "报送情况", "目标考核"]
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


@pytest.mark.parametrize(("command", "title"), [("export_report", "关于"), ("export_bulletin", "关于")])
def test_it_writes_the_word_document(report_scenario, tmp_path, capsys, command, title):
    from docx import Document

    out = tmp_path / "doc.docx"
    args = ["quanzhou-2024-2026", "--year", "2025", "--quarter", "3", "--format", "docx", "-o", str(out)]
    call_command(command, *args)
    assert any(p.text.startswith(title) for p in Document(str(out)).paragraphs)
    assert "段）" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["doc.docx"]


def test_it_refuses_a_file_name_that_does_not_match_the_format(plans, tmp_path):
    args = ["quanzhou-2024-2026", "--year", "2025", "--quarter", "3", "--format", "pdf"]
    with pytest.raises(CommandError, match=re.escape("输出文件应以 .pdf 结尾")):
        call_command("export_bulletin", *args, "-o", str(tmp_path / "x.docx"))
    with pytest.raises(CommandError, match="invalid choice"):
        call_command(
            "export_report", "quanzhou-2024-2026", "--year", "2025", "--quarter", "3", "--format", "doc"
        )


def test_it_says_in_chinese_when_libreoffice_is_missing(monkeypatch, report_scenario, tmp_path):
    monkeypatch.setattr("exports.pdf.shutil.which", lambda name: None)
    out = tmp_path / "b.pdf"
    args = ["quanzhou-2024-2026", "--year", "2025", "--quarter", "3", "--format", "pdf", "-o", str(out)]
    with pytest.raises(CommandError, match="未安装 LibreOffice"):
        call_command("export_bulletin", *args)
    assert not out.exists()
