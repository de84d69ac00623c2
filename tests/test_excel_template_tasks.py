"""Task progress in the Excel template: the task sheet, its import beside the figures, its errors by row."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.services import TEXT_LIMIT
from plans.models import TaskUnit
from reporting.excel import preview as preview_module
from reporting.excel import task_sheet as layout
from reporting.excel.preview import template_confirm, template_parse
from reporting.excel.template import META_SHEET, SHEET
from reporting.excel.upload import ImportRefused
from reporting.models import ReviewState, Submission, TaskReport
from reporting.selectors import unit_tasks
from tests import factories
from tests.excel_files import edit, fill, fill_tasks
from tests.page import seen
from tests.test_excel_template import FILLED, as_file, download, messages_of, template_of, token_of, upload

APPROVED = {
    "state": ReviewState.APPROVED,
    "submitted_at": datetime.datetime(2025, 10, 2, tzinfo=datetime.UTC),
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def tasks(unit_a, xl_period):
    """unit_a's tasks for the quarter, in template order."""
    return unit_tasks(unit_a, xl_period.year)


def task_rows(data: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return list(book[layout.TASK_SHEET].iter_rows(min_row=layout.TASK_HEADER_ROW + 1, values_only=True))


def test_it_offers_a_sheet_of_the_units_tasks(reporter_a_client, unit_a, xl_period, xl_indicators, tasks):
    report = factories.TaskReportFactory(
        task=tasks[1],
        unit=unit_a,
        period=xl_period,
        status="lagging",
        progress="已完成调研。",
        problems="经费不足",
    )

    data = download(reporter_a_client, xl_period)

    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == [SHEET, META_SHEET, layout.TASK_SHEET]
    sheet = book[layout.TASK_SHEET]
    assert [cell.value for cell in sheet[layout.TASK_HEADER_ROW]] == layout.TASK_HEADERS
    assert sheet["A1"].value == "市知识产权局 2025年第三季度 重点任务进展填报模板"
    assert sheet.protection.sheet and sheet.column_dimensions["A"].hidden
    rows = task_rows(data)
    assert [row[layout.T_TITLE] for row in rows] == [task.title for task in tasks]
    assert rows[1][layout.T_STATUS :] == ("滞后", "已完成调研。", "经费不足", None)
    assert rows[0][layout.T_STATE] == "未填写" and rows[1][layout.T_STATE] == report.get_state_display()
    first = layout.TASK_HEADER_ROW + 1
    for column in layout.TASK_INPUTS:
        assert sheet.cell(first, column + 1).protection.locked is False
    assert sheet.cell(first, layout.T_TITLE + 1).protection.locked is not False
    assert sheet.cell(first, layout.T_PROGRESS + 1).alignment.wrap_text
    [validation] = sheet.data_validations.dataValidation
    assert validation.formula1 == '"未启动,推进中,已完成,滞后"'
    assert str(validation.sqref) == f"F{first}:F{first + len(tasks) - 1}"
    labels = [row[0].value for row in book[META_SHEET].iter_rows(max_col=1)]
    assert labels.count("任务") == len(tasks)


def test_it_locks_the_inputs_of_a_submitted_task_report(reporter_a_client, unit_a, xl_period, tasks):
    factories.TaskReportFactory(task=tasks[0], unit=unit_a, period=xl_period, **APPROVED)

    book = openpyxl.load_workbook(io.BytesIO(download(reporter_a_client, xl_period)))

    row = layout.TASK_HEADER_ROW + 1
    sheet = book[layout.TASK_SHEET]
    assert all(sheet.cell(row, column + 1).protection.locked is not False for column in layout.TASK_INPUTS)


def test_it_imports_figures_and_task_progress_as_drafts_in_one_go(
    reporter_a_client, unit_a, xl_period, xl_indicators, tasks
):
    data = fill(download(reporter_a_client, xl_period), FILLED)
    data = fill_tasks(
        data,
        {
            tasks[0].title: {"推进状态": "推进中", "进展情况": "完成培训3场。", "下步计划": "继续推进"},
            tasks[2].title: {"推进状态": "已完成"},
        },
    )

    response = upload(reporter_a_client, data, xl_period, name="三季度.xlsx")
    page = seen(reporter_a_client.get(response["Location"]))
    assert "确认导入5项指标数据和2项任务进展（保存为草稿）" in page.text
    assert page.find("table", cls="import-tasks").text.count("新增") == 2
    confirmed = reporter_a_client.post(reverse("import-confirm", args=[token_of(response)]))

    assert messages_of(confirmed) == ["已保存5项指标数据和2项任务进展（草稿），请在填报页核对后报送。"]
    assert confirmed["Location"] == "/report/?period=2025-3"
    reports = {row.task_id: row for row in TaskReport.objects.all()}
    assert set(reports) == {tasks[0].pk, tasks[2].pk}
    first = reports[tasks[0].pk]
    assert (first.status, first.progress, first.problems, first.next_steps, first.state) == (
        "in_progress", "完成培训3场。", "", "继续推进", ReviewState.DRAFT,
    )  # fmt: skip
    assert reports[tasks[2].pk].status == "done"
    assert {row.history.get().history_change_reason for row in reports.values()} == {
        "Excel导入（三季度.xlsx）"
    }
    assert Submission.objects.count() == 5


def test_it_changes_a_stored_draft_and_leaves_unchanged_rows_alone(reporter_a, unit_a, xl_period, tasks):
    stored = factories.TaskReportFactory(task=tasks[0], unit=unit_a, period=xl_period, progress="旧的进展")
    kept = factories.TaskReportFactory(task=tasks[1], unit=unit_a, period=xl_period, progress="不变")
    data = fill_tasks(template_of(unit_a, xl_period), {tasks[0].title: {"进展情况": "新的进展"}})

    preview = template_parse(as_file(data), unit=unit_a, period=xl_period)
    assert [row.status for row in preview.tasks[:3]] == ["changed", "same", "empty"]
    template_confirm(as_file(data), unit=unit_a, period=xl_period, by=reporter_a)

    stored.refresh_from_db()
    kept.refresh_from_db()
    assert (stored.progress, stored.version, kept.version) == ("新的进展", 2, 1)


def test_it_reports_each_bad_task_row_by_row_in_chinese(reporter_a, unit_a, xl_period, tasks, settings):
    factories.TaskReportFactory(task=tasks[3], unit=unit_a, period=xl_period, **APPROVED)
    data = fill_tasks(
        template_of(unit_a, xl_period),
        {
            tasks[0].title: {"推进状态": "差不多了"},
            tasks[1].title: {"推进状态": "推进中", "存在问题": "长" * (TEXT_LIMIT + 1)},
            tasks[2].title: {"进展情况": "只写了进展"},
        },
    )

    def approved_changed(book):  # the approved row's cells are locked: someone unprotected the sheet
        book[layout.TASK_SHEET].cell(layout.TASK_HEADER_ROW + 4, layout.T_PROGRESS + 1).value = "改了"

    data = edit(data, approved_changed)
    TaskUnit.objects.filter(task=tasks[4], unit=unit_a).delete()  # no longer owed since the download

    preview = template_parse(as_file(data), unit=unit_a, period=xl_period)

    first = layout.TASK_HEADER_ROW + 1
    choices = "“未启动”、“推进中”、“已完成”、“滞后”"
    assert preview.errors == [
        f"“任务进展”表第{first}行 {preview.tasks[0].name}：推进状态只能从下拉列表中选择{choices}，"
        "不能填写“差不多了”。",
        f"“任务进展”表第{first + 1}行 {preview.tasks[1].name}：存在问题不能超过{TEXT_LIMIT}字。",
        f"“任务进展”表第{first + 2}行 {preview.tasks[2].name}：请选择推进状态。",
        f"“任务进展”表第{first + 3}行 {preview.tasks[3].name}：已审核，不能修改。如需更正请联系办公室。",
        f"“任务进展”表第{first + 4}行：本单位已不是该任务的责任单位，请重新下载模板。",
    ]
    with pytest.raises(ValidationError):
        template_confirm(as_file(data), unit=unit_a, period=xl_period, by=reporter_a)
    assert TaskReport.objects.filter(state=ReviewState.DRAFT).count() == 0


def test_it_refuses_a_template_whose_task_rows_were_edited(unit_a, xl_period, tasks):
    def version_changed(book):
        sheet = book[META_SHEET]
        row = next(row for row in sheet.iter_rows() if row[0].value == "任务")
        row[2].value = "5"

    data = edit(template_of(unit_a, xl_period), version_changed)

    with pytest.raises(ImportRefused, match="模板的标识信息与签名不符"):
        template_parse(as_file(data), unit=unit_a, period=xl_period)


def test_it_refuses_a_template_missing_its_task_sheet(unit_a, xl_period, xl_indicators, tasks):
    def renamed(book):
        book[layout.TASK_SHEET].title = "任务"

    data = edit(template_of(unit_a, xl_period), renamed)

    with pytest.raises(ImportRefused, match="缺少“任务进展”工作表"):
        template_parse(as_file(data), unit=unit_a, period=xl_period)


def test_it_refuses_a_formula_in_a_task_text(unit_a, xl_period, tasks):
    data = fill_tasks(
        template_of(unit_a, xl_period), {tasks[0].title: {"推进状态": "推进中", "进展情况": "=1+1"}}
    )

    preview = template_parse(as_file(data), unit=unit_a, period=xl_period)

    assert "是公式“=1+1”，本系统不计算公式" in preview.errors[0]


def test_it_writes_nothing_when_the_task_reports_are_refused_at_confirmation(
    reporter_a, unit_a, xl_period, xl_indicators, tasks, monkeypatch
):
    data = fill_tasks(fill(template_of(unit_a, xl_period), FILLED), {tasks[0].title: {"推进状态": "推进中"}})

    def refused(**kwargs):
        raise ValidationError({f"task-{tasks[0].pk}": ["任务“x”：当前为“已报送”，不能修改。"]})

    monkeypatch.setattr(preview_module, "task_reports_save", refused)
    with pytest.raises(ValidationError) as error:
        template_confirm(as_file(data), unit=unit_a, period=xl_period, by=reporter_a)

    assert error.value.messages == [
        f"“任务进展”表第{layout.TASK_HEADER_ROW + 1}行 任务“x”：当前为“已报送”，不能修改。"
    ]
    assert not Submission.objects.exists() and not TaskReport.objects.exists()


def test_a_unit_with_only_tasks_gets_the_task_sheet_alone(reporter_b_client, reporter_b, unit_b, xl_period):
    data = download(reporter_b_client, xl_period)

    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == [layout.TASK_SHEET, META_SHEET]
    [task, *_] = unit_tasks(unit_b, xl_period.year)
    filled = fill_tasks(data, {task.title: {"推进状态": "推进中", "进展情况": "已推进"}})
    response = upload(reporter_b_client, filled, xl_period)
    assert "确认导入1项任务进展（保存为草稿）" in seen(reporter_b_client.get(response["Location"])).text
    confirmed = reporter_b_client.post(reverse("import-confirm", args=[token_of(response)]))
    assert messages_of(confirmed) == ["已保存1项任务进展（草稿），请在填报页核对后报送。"]
    assert TaskReport.objects.get().unit == unit_b


def test_a_unit_owing_nothing_gets_no_template_and_is_told_why(client, xl_period, plans):
    unit = factories.UnitFactory(name="市统计局")
    client.force_login(factories.UserFactory(role="reporter", unit=unit))

    start = seen(client.get(reverse("import-start")))
    response = client.get(reverse("import-template", args=[2025, 3]))

    why = "市统计局在2025年第三季度没有需要填报的指标或重点任务，因此没有填报模板。"
    assert why in start.text and "下载2025年第三季度模板" not in start.text
    assert response.status_code == 302 and messages_of(response)[0].startswith(why)


def test_the_task_sheet_reads_the_database_a_fixed_number_of_times(
    unit_a, xl_period, tasks, django_assert_max_num_queries
):
    for task in tasks:
        factories.TaskReportFactory(task=task, unit=unit_a, period=xl_period)
    data = template_of(unit_a, xl_period)

    with django_assert_max_num_queries(4):
        preview = template_parse(as_file(data), unit=unit_a, period=xl_period)
    assert len(preview.tasks) == len(tasks) > 10
