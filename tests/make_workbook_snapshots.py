"""The workbooks we produce, written on the demo data, kept as snapshots under tests/snapshots/ so a change of
writer can be held to them cell by cell (tests/test_workbook_snapshots.py).

Regenerate them (only when a workbook's look is meant to change) from the project directory:

    IPCITY_TEST_DB=<db> .venv/bin/python tests/make_workbook_snapshots.py

It runs itself under pytest (the test database, both plans loaded as for every test), loads the demo data
(`demo_data`), rolls it up (`rollup`) and writes, at a frozen moment after 2026 Q3 ended: the progress report
and the bulletin of both plans for 2026 Q3 (`exports.books.export_to_path`, as `manage.py export_report`
does) and the Excel template of one unit (市知识产权局) for 2026 Q3 (`reporting.excel.template`). The demo
data is seeded and dated by quarter, and the exports stamp the current time: with time frozen the files are
the same on every run.
"""

from __future__ import annotations

import datetime
import sys
import zoneinfo
from pathlib import Path

SNAPSHOTS = Path(__file__).parent / "snapshots"
NOW = datetime.datetime(2026, 10, 20, 9, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
YEAR, QUARTER = 2026, 3
PLANS = ("quanzhou-2024-2026", "zhenjiang-edz-2024-2026")
TEMPLATE_UNIT = "市知识产权局"


def workbook_names() -> list[str]:
    names = [f"{kind}-{slug}-{YEAR}q{QUARTER}.xlsx" for slug in PLANS for kind in ("report", "bulletin")]
    return [*names, f"template-{YEAR}q{QUARTER}.xlsx"]


def make_workbooks(directory: Path) -> dict[str, Path]:
    """Load the demo data, roll it up and write every snapshot workbook into `directory` (name → path).
    Needs a database holding both plans (the `plans` fixture)."""
    import time_machine

    from devdata.demo import demo_load
    from exports.books import export_to_path
    from plans.models import Plan, Unit
    from progress.rollup import rollup_full
    from reporting.excel.template import template_write
    from reporting.models import Period, Submission, TaskReport

    # The snapshots are of the demo data alone: rows another test left in a reused database would change them.
    leftover = Submission.objects.count(), TaskReport.objects.count()
    assert leftover == (0, 0), f"the database already holds {leftover} submissions and task reports"
    written: dict[str, Path] = {}
    with time_machine.travel(NOW, tick=False):
        demo_load()
        rollup_full()
        for slug in PLANS:
            plan = Plan.objects.get(slug=slug)
            for kind in ("report", "bulletin"):
                path = directory / f"{kind}-{slug}-{YEAR}q{QUARTER}.xlsx"
                export_to_path(kind=kind, plan=plan, year=YEAR, quarter=QUARTER, path=path)
                written[path.name] = path
        unit = Unit.objects.get(name=TEMPLATE_UNIT, region__code="quanzhou")
        path = directory / f"template-{YEAR}q{QUARTER}.xlsx"
        with path.open("wb") as out:
            template_write(unit=unit, period=Period.objects.get(year=YEAR, quarter=QUARTER), out=out)
        written[path.name] = path
    return written


def test_write_snapshots(plans):
    """Collected only when this file is named on the command line (see the module docstring)."""
    SNAPSHOTS.mkdir(exist_ok=True)
    written = make_workbooks(SNAPSHOTS)
    assert sorted(written) == sorted(workbook_names())
    assert all(path.stat().st_size > 1000 for path in written.values())


if __name__ == "__main__":
    import pytest

    sys.exit(pytest.main([__file__, "-q", "-p", "no:xdist", "-p", "no:cacheprovider"]))
