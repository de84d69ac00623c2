"""Every workbook we write, written again on the demo data, is its snapshot (tests/snapshots/*.xlsx, made by
tests/make_workbook_snapshots.py): cell by cell, read back with openpyxl.

The snapshots were first made by the openpyxl writer this XlsxWriter one replaced (commit 0f0c85a), and
the new writer matched them as below (commit 3504858). Issue 13 then changed what the documents say
(coverage, provisional statuses, the pending items, definitions, 件/万人): the snapshots were made again
from the reviewed documents, so a later change of look or content is seen here and made on purpose.

Compared exactly: every value, number format, font (name, bold, italic, size, colour), fill, border,
alignment, protection, quotePrefix; merged ranges, frozen panes, print titles, paper, orientation, fit to
page, margins, footer, column widths and hidden columns, row heights, sheet names, states and protection,
data validations, charts (type, grouping, overlap, colours, titles, series names, categories, values, anchor).

The differences that stay, each harmless, and why:
- Colours: openpyxl stored a colour "C6EFCE" as ARGB 00C6EFCE, XlsxWriter stores FFC6EFCE. Excel, WPS and
  LibreOffice ignore the alpha byte of a cell colour; the RGB is compared.
- A solid fill's background colour: only its foreground colour paints a solid fill (openpyxl repeated the
  colour there, XlsxWriter writes the system default); the fill type and foreground colour are compared.
- Row heights: XlsxWriter stores a height in whole pixels (0.75 pt): 409 pt is stored as 408.75, 22 as 21.75.
  Heights are compared to within half a pixel.
- Cells under a merged range other than its first: XlsxWriter gives them the first cell's format (so a
  merged bordered range shows its border all round), openpyxl left them unstyled. Excel shows a merged range
  with its first cell's look, so only their values (empty) are compared.
- Chart references: XlsxWriter writes absolute references (汇总!$B$20), openpyxl wrote '汇总'!B20 for a
  series name; the same cells. References are compared with quotes and $ removed.
- Sheet protection: the same password hash and the same locked actions; XlsxWriter also writes
  objects="1" scenarios="1" (drawings and scenarios protected too), which only adds to what is locked.
- Empty text: openpyxl stored "" as an empty string cell, XlsxWriter as a blank cell: both read back as
  None and show nothing; the value is compared, the type only of cells that hold something.
- Page setup: fitToWidth="1" is the file format's default, which XlsxWriter leaves out (read as None).
- Fonts: a font without a colour (openpyxl) and XlsxWriter's theme colour 1 are the same automatic text
  colour.
- Chart size: 18 × 8 cm, which XlsxWriter stores in whole pixels (680 × 302); not compared.
- Data validation: XlsxWriter writes showInputMessage="1"; no input message is set, so nothing is shown.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.styles import PatternFill

from tests.make_workbook_snapshots import SNAPSHOTS, make_workbooks, workbook_names

HALF_PIXEL = 0.375  # points


AUTOMATIC_TEXT = ("theme", 1, 0.0)  # the theme's dark text colour, which a font without a colour shows


def _colour(color) -> object:
    if color is None:
        return None
    if color.type == "rgb":
        return ("rgb", str(color.rgb)[-6:].upper())
    if color.type == "theme":
        return ("theme", color.theme, color.tint)
    return (color.type, color.value)


def _look(cell) -> dict:
    font, fill, border, alignment = cell.font, cell.fill, cell.border, cell.alignment
    return {
        "number_format": cell.number_format,
        "font": (
            font.name,
            bool(font.b),
            bool(font.i),
            font.sz,
            _colour(font.color) or AUTOMATIC_TEXT,
            font.u,
            bool(font.strike),
        ),
        "fill": (fill.fill_type, _colour(fill.fgColor) if fill.fill_type else None),
        "border": tuple(
            (side.style, _colour(side.color) if side.style else None) if side is not None else (None, None)
            for side in (border.left, border.right, border.top, border.bottom, border.diagonal)
        ),
        "alignment": (alignment.horizontal, alignment.vertical, bool(alignment.wrap_text), alignment.indent),
        "locked": cell.protection.locked,
        "quote_prefix": bool(cell.quotePrefix),
    }


def _sheet_layout(ws) -> dict:
    setup, margins, protection = ws.page_setup, ws.page_margins, ws.protection
    return {
        "state": ws.sheet_state,
        "dimensions": (ws.max_row, ws.max_column),
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "freeze": ws.freeze_panes,
        "print_titles": ws.print_title_rows,
        # fitToWidth and fitToHeight default to 1 in the file format: XlsxWriter leaves out a 1.
        "paper": (str(setup.paperSize), setup.orientation, setup.fitToWidth or 1, setup.fitToHeight),
        "fit_to_page": bool(ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage),
        "margins": (margins.left, margins.right, margins.top, margins.bottom, margins.header, margins.footer),
        "centered": bool(ws.print_options.horizontalCentered),
        "footer": ws.oddFooter.center.text,
        "protection": (
            bool(protection.sheet),
            protection.password,
            *(
                bool(getattr(protection, name))
                for name in [
                    "formatCells",
                    "formatColumns",
                    "formatRows",
                    "insertColumns",
                    "insertRows",
                    "insertHyperlinks",
                    "deleteColumns",
                    "deleteRows",
                    "selectLockedCells",
                    "selectUnlockedCells",
                    "sort",
                    "autoFilter",
                    "pivotTables",
                ]
            ),
        ),
        "validations": [
            (
                str(v.sqref),
                v.type,
                v.formula1,
                bool(v.allow_blank),
                bool(v.showErrorMessage),
                v.error,
                v.errorTitle,
                v.prompt,
            )
            for v in ws.data_validations.dataValidation
        ],
    }


def _columns(ws) -> dict[int, tuple]:
    """Width and hidden state of each column given one (XlsxWriter writes alike neighbours as one range)."""
    return {
        index: (round(dimension.width, 4), bool(dimension.hidden))
        for dimension in ws.column_dimensions.values()
        if dimension.customWidth or dimension.hidden
        for index in range(dimension.min, dimension.max + 1)
    }


def _reference(text: str) -> str:
    return text.replace("'", "").replace("$", "")


def _charts(path: Path) -> list[dict]:
    """Each chart's kind and series, read from the chart parts of the file (openpyxl does not read charts)."""
    archive = zipfile.ZipFile(path)
    charts = []
    for name in sorted(n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)):
        xml = archive.read(name).decode()
        charts.append(
            {
                "kinds": re.findall(r"<(?:c:)?(\w+Chart)>", xml),
                "direction": re.findall(r'<(?:c:)?barDir val="(\w+)"', xml),
                "grouping": re.findall(r'<(?:c:)?grouping val="(\w+)"', xml),
                "overlap": re.findall(r'<(?:c:)?overlap val="(-?\d+)"', xml),
                "references": [_reference(f) for f in re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", xml)],
                "colours": [c.upper() for c in re.findall(r'<a:srgbClr val="(\w+)"', xml)],
                "texts": re.findall(r"<a:t>([^<]*)</a:t>", xml),
            }
        )
    return charts


def _anchors(path: Path) -> list[tuple[str, str]]:
    archive = zipfile.ZipFile(path)
    found = []
    for name in sorted(n for n in archive.namelist() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)):
        xml = archive.read(name).decode()
        found += re.findall(r"<(?:xdr:)?from><(?:xdr:)?col>(\d+)<.*?<(?:xdr:)?row>(\d+)<", xml)
    return found


# Cells that name rows of the database that wrote the workbook: the template's unit is its primary key there,
# and the signature covers that key (and the SECRET_KEY). They are checked by meaning instead
# (test_the_templates_key_and_signature_are_this_databases).
OWN_DATABASE = {"template-2026q3.xlsx": {"_meta!B3", "_meta!B7"}}


def differences(old_path: Path, new_path: Path, *, own: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Every difference between two workbooks that a reader could see, as text (empty: the same); the
    cells named in `own` ("sheet!A1") hold values of the writing database and are left out."""
    found: list[str] = []
    old, new = load_workbook(old_path), load_workbook(new_path)
    if old.sheetnames != new.sheetnames:
        return [f"sheets {old.sheetnames} != {new.sheetnames}"]
    for title in old.sheetnames:
        was, now = old[title], new[title]
        for key, value in _sheet_layout(was).items():
            if _sheet_layout(now)[key] != value:
                found.append(f"{title} {key}: {value!r} != {_sheet_layout(now)[key]!r}")
        if _columns(was) != _columns(now):
            found.append(f"{title} columns: {_columns(was)} != {_columns(now)}")
        hidden = {
            (row, col)
            for merged in was.merged_cells.ranges
            for row, col in merged.cells
            if (row, col) != (merged.min_row, merged.min_col)
        }
        for row in range(1, max(was.max_row, now.max_row) + 1):
            height, new_height = was.row_dimensions[row].height, now.row_dimensions[row].height
            if (height is None) != (new_height is None) or (height and abs(height - new_height) > HALF_PIXEL):
                found.append(f"{title} row {row} height: {height} != {new_height}")
            for col in range(1, max(was.max_column, now.max_column) + 1):
                a, b = was.cell(row, col), now.cell(row, col)
                if f"{title}!{a.coordinate}" in own:
                    continue
                if a.value != b.value or (a.value is not None and a.data_type != b.data_type):
                    found.append(f"{title}!{a.coordinate} value: {a.value!r} != {b.value!r}")
                if (row, col) not in hidden and _look(a) != _look(b):
                    found.append(f"{title}!{a.coordinate} look: {_look(a)} != {_look(b)}")
    if _charts(old_path) != _charts(new_path):
        found.append(f"charts: {_charts(old_path)} != {_charts(new_path)}")
    if _anchors(old_path) != _anchors(new_path):
        found.append(f"chart anchors: {_anchors(old_path)} != {_anchors(new_path)}")
    if (old.properties.title, old.properties.creator) != (new.properties.title, new.properties.creator):
        found.append(f"properties: {old.properties.title} != {new.properties.title}")
    return found


@pytest.fixture
def written(plans, tmp_path) -> dict[str, Path]:
    return make_workbooks(tmp_path)


def test_every_workbook_is_its_snapshot_cell_by_cell(written):
    """One test for the five workbooks: the demo data is loaded and rolled up once for all of them."""
    assert sorted(written) == sorted(workbook_names())
    found = [
        f"{name}: {line}"
        for name in workbook_names()
        for line in differences(SNAPSHOTS / name, written[name], own=OWN_DATABASE.get(name, set()))
    ]
    assert not found, "\n".join(line[:400] for line in found[:25])


def test_the_templates_key_and_signature_are_this_databases(written):
    """The cells the snapshot comparison leaves out: this database's unit key and a valid signature."""
    from plans.models import Unit
    from reporting.excel.template import template_signature

    rows = list(load_workbook(written["template-2026q3.xlsx"])["_meta"].iter_rows(values_only=True))
    meta = {row[0]: row[1] for row in rows}
    indicators = [(row[1], row[2]) for row in rows if row[0] == "指标"]
    tasks = [(row[1], row[2]) for row in rows if row[0] == "任务"]
    assert len(tasks) == 17
    unit = Unit.objects.get(name="市知识产权局", region__code="quanzhou")
    assert meta["单位"] == str(unit.pk)
    assert meta["签名"] == template_signature(
        version=meta["版本"],
        unit_id=str(unit.pk),
        year="2026",
        quarter="3",
        plans=meta["方案"],
        indicators=indicators,
        tasks=tasks,
    )


def test_the_comparison_sees_a_changed_cell(written, tmp_path):
    """The comparison is not blind: a workbook with one value and one fill changed differs."""
    name = "report-quanzhou-2024-2026-2026q3.xlsx"
    book = load_workbook(written[name])
    ws = book["指标进度"]
    ws["C5"].value = "改动"
    ws["J5"].fill = PatternFill(fill_type="solid", fgColor="FF0000")
    changed = tmp_path / "changed.xlsx"
    book.save(changed)
    found = differences(SNAPSHOTS / name, changed)
    assert any("C5 value" in line for line in found) and any("J5 look" in line for line in found)
