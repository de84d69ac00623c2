"""The progress report and the bulletin at national scale (tests/national_report.py): the texts the database
joins for them, their speed against bare openpyxl writing the same cells, flat memory and a fixed number of
queries whatever the number of units."""

from __future__ import annotations

import datetime
import gc
import io
import statistics
import time
import tracemalloc
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from exports.books import bulletin_book, export_bulletin, export_report, progress_report_book
from exports.selectors.bulletin import bulletin_for
from exports.selectors.report import UNITS_NAMED, report_data
from indicators.models import Assignment
from ipcity.workbook import CUT_MARK, Cell, Row, WorkbookSpec, neutralise, write_workbook
from reporting.models import ReviewState, Submission
from tests import national_report
from tests.national_report import QUARTER, YEAR

ARTIFACTS = Path(__file__).parent / "artifacts"
TODAY = datetime.date(2025, 10, 20)
MIB = 1024 * 1024
# Queries of an export whatever the size: the report's 8 reads, then one stream per sheet that lists units
# (indicator texts, timeliness); the bulletin adds its counts and three streams to the 8. Both add two for the
# quarter's items awaiting review (counted, the first listed); the bulletin one for its release and one for
# the units not judged on unreviewed figures. Both read the office's settings of its document (文号, 联系人);
# the report reads the 目标考核 weights (a plan this large is ranked on the dashboards, not in the workbook).
REPORT_QUERIES = 14
BULLETIN_QUERIES = 17


# What the database joins: the same text Python would join, whatever order the rows were written in ----------


def _reversed_names(units: int):
    """A small national plan whose assignments were written in the reverse of the order the report lists
    them in, and whose first indicator has a single note."""
    national = national_report.build(units)
    plan = national.plan
    rows = list(Assignment.objects.filter(indicator__plan=plan).order_by("-unit__name", "-indicator_id"))
    Assignment.objects.filter(pk__in=[row.pk for row in rows]).delete()
    Assignment.objects.bulk_create(
        Assignment(indicator_id=row.indicator_id, unit_id=row.unit_id, is_lead=row.is_lead) for row in rows
    )
    period = national_report.period(YEAR, QUARTER)
    first = plan.indicators.order_by("position").first()
    Submission.objects.filter(indicator=first, period=period).exclude(note="").update(note="")
    alone = Submission.objects.filter(indicator=first, period=period).first()
    Submission.objects.filter(pk=alone.pk).update(note="=唯一的说明\r\n第二行")
    return national


def _expected_indicator_texts(plan, period):
    """The 责任单位 and 备注 cells as Python would write them from the rows themselves."""
    texts = []
    for indicator in plan.indicators.order_by("position", "code"):
        assigned = Assignment.objects.filter(indicator=indicator).order_by("-is_lead", "unit__name")
        names = list(assigned.values_list("unit__name", flat=True))
        units = "、".join(names[:UNITS_NAMED]) or None
        if len(names) > UNITS_NAMED:  # the first twenty by name, then how many there are
            units += f"等{len(names)}家单位"
        notes = list(
            Submission.objects.filter(indicator=indicator, period=period, state=ReviewState.APPROVED)
            .exclude(note="")
            .order_by("unit__name")
            .values_list("unit__name", "note")
        )
        if len(notes) > 1:
            texts.append((units, "\n".join(f"【{unit}】{note}" for unit, note in notes)))
        else:
            texts.append((units, notes[0][1] if notes else None))
    return texts


def test_it_joins_units_and_notes_as_python_would(db):
    national = _reversed_names(30)
    plan, period = national.plan, national_report.period(YEAR, QUARTER)
    found = [(texts.units, texts.notes) for texts in report_data(plan, YEAR, QUARTER).indicator_texts()]
    assert found == _expected_indicator_texts(plan, period)
    assert found[0][1] == "=唯一的说明\r\n第二行"  # a note alone is shown as written
    assert found[1][1].count("\n【") >= 1  # several are named, one per line


def test_it_cuts_a_cell_longer_than_excel_holds_where_the_writer_would(db):
    """3,000 units' names make a 责任单位 cell of 60,000 characters, and one long note with CR LF line breaks
    makes the 备注 cell longer than a cell too: the database sends each cut as the writer would cut it."""
    national = national_report.build(3000)
    plan = national.plan
    first = plan.indicators.order_by("position").first()
    period = national_report.period(YEAR, QUARTER)
    Submission.objects.filter(indicator=first, period=period).exclude(note="").update(note="长\r\n" * 9000)
    assigned = Assignment.objects.filter(indicator=first).order_by("-is_lead", "unit__name")
    names = list(assigned.values_list("unit__name", flat=True))
    assert len("、".join(names)) > 40000
    texts = next(report_data(plan, YEAR, QUARTER).indicator_texts())
    # 3,000 names would fill a cell no one can print: the first twenty, then the count.
    assert texts.units == "、".join(names[:20]) + "等3000家单位"
    notes = Submission.objects.filter(indicator=first, period=period).exclude(note="").order_by("unit__name")
    joined = "\n".join(f"【{unit}】{note}" for unit, note in notes.values_list("unit__name", "note"))
    assert texts.notes == neutralise(joined)[0] and texts.notes.endswith(CUT_MARK)
    out = io.BytesIO()
    export_report(plan=plan, year=YEAR, quarter=QUARTER, out=out)
    rows = load_workbook(out, read_only=True)["指标进度"].iter_rows(max_row=12, values_only=True)
    header = next(row for row in rows if row and row[0] == "序号")
    line = dict(zip(header, next(rows), strict=False))
    assert line["责任单位"] == texts.units and line["备注"] == texts.notes


# Speed, memory and queries against bare openpyxl ----------------------------------------------------------


def _cells(book: WorkbookSpec) -> list[tuple[str, list[list]]]:
    """Every sheet's rows as plain values (title rows, header, body): what bare openpyxl is given."""
    sheets = []
    for sheet in book.sheets:
        rows = [[text] for text in sheet.title_rows]
        if sheet.header:
            rows.append([column.header for column in sheet.columns])
        for row in sheet.rows:
            values = row.values if type(row) is Row else row
            rows.append([value.value if type(value) is Cell else value for value in values])
        sheets.append((sheet.title, rows))
    return sheets


def _bare(sheets: list[tuple[str, list[list]]], out=None) -> None:
    """The same cells through openpyxl write-only mode: same sheets, same values, no styles, no layout."""
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(out or io.BytesIO())


def _cpu(call) -> float:
    gc.collect()
    started = time.process_time()
    call()
    return time.process_time() - started


def _ratio(ours, bare, runs: int = 7) -> tuple[float, float, float]:
    """Median CPU seconds of ours and of bare, taking turns after one warm-up run each, and their ratio."""
    ours(), bare()
    timings: dict[str, list[float]] = {"ours": [], "bare": []}
    for _ in range(runs):
        timings["bare"].append(_cpu(bare))
        timings["ours"].append(_cpu(ours))
    ours_s, bare_s = statistics.median(timings["ours"]), statistics.median(timings["bare"])
    return ours_s, bare_s, ours_s / bare_s


@pytest.fixture
def postgres_only(on_postgres):
    if not on_postgres:
        pytest.skip("规模测试在 PostgreSQL 上进行（SQLite 在本进程内执行查询，CPU 时间不可比）")


def _materialised(book: WorkbookSpec) -> WorkbookSpec:
    """The same book with every sheet's rows read from the database beforehand."""
    for sheet in book.sheets:
        sheet.rows = list(sheet.rows)
    return book


@pytest.mark.slow
def test_it_exports_a_national_plan_within_1_3_times_bare_openpyxl(db, postgres_only):
    """CPU time of this process, median of 7 after a warm-up: the report and the bulletin of 2,800 county
    units written by our writer against bare openpyxl write-only mode writing exactly their cells, both from
    rows materialised beforehand: the writer against the writer. The export with its database reads is
    printed beside (the bulletin's reads alone take half of what bare openpyxl takes to write it);
    `manage.py bench` times the whole at national scale."""
    plan = national_report.build(2800).plan
    books = {
        "report": lambda: progress_report_book(report_data(plan, YEAR, QUARTER), generated_at=timezone.now()),
        "bulletin": lambda: bulletin_book(bulletin_for(plan, YEAR, QUARTER, today=TODAY)),
    }
    exports = {"report": export_report, "bulletin": export_bulletin}
    figures, lines = {}, []
    for name, book in books.items():
        sheets, spec = _cells(book()), _materialised(book())
        figures[name] = _ratio(
            lambda spec=spec: write_workbook(spec, io.BytesIO()), lambda s=sheets: _bare(s)
        )
        export = exports[name]
        whole = _ratio(
            lambda export=export: export(plan=plan, year=YEAR, quarter=QUARTER, out=io.BytesIO()),
            lambda s=sheets: _bare(s),
        )
        ours, bare, ratio = figures[name]
        lines.append(
            f"{name}: {len(sheets)} sheets, {sum(len(row) for _, rows in sheets for row in rows):,} cells; "
            f"writer {ours:.3f}s, bare openpyxl {bare:.3f}s CPU, ratio {ratio:.2f}; "
            f"with its database reads {whole[0]:.3f}s, ratio {whole[2]:.2f}"
        )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "excel_export_speed.txt").write_text("\n".join(lines) + "\n")
    print("\n" + "\n".join(lines))
    assert figures["report"][2] <= 1.3
    assert figures["bulletin"][2] <= 1.3


def _peak(call, **arguments) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        call(**arguments)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_its_memory_and_queries_stay_flat_from_500_to_5000_units(
    db, postgres_only, tmp_path, django_assert_max_num_queries
):
    """Peak Python memory writing to a file, and the number of queries, with ten times the units."""
    figures = {}
    for units in (500, 5000):
        plan = national_report.build(units).plan
        for name, export, queries in (
            ("report", export_report, REPORT_QUERIES),
            ("bulletin", export_bulletin, BULLETIN_QUERIES),
        ):
            path = tmp_path / f"{name}.xlsx"
            with django_assert_max_num_queries(queries):
                export(plan=plan, year=YEAR, quarter=QUARTER, out=str(path))
            figures[name, units] = _peak(export, plan=plan, year=YEAR, quarter=QUARTER, out=str(path))
    line = ", ".join(
        f"{name} {units:,} units {peak / MIB:.2f} MiB" for (name, units), peak in figures.items()
    )
    print(f"\npeak memory: {line}")
    for name in ("report", "bulletin"):
        assert figures[name, 5000] < figures[name, 500] * 1.3
