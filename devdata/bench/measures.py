"""Each measurement next to its baseline, run back to back in this process.

Times are wall-clock seconds (the database server's work is part of what is measured), the median of
several runs where a run is short, ours and the baseline taking turns so that a busy moment of the machine
falls on both. Each function returns `Measure`s; nothing here optimises what it measures.
"""

from __future__ import annotations

import gc
import io
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from devdata.bench.database import vacuum_analyze
from devdata.bench.dataset import World, import_drafts_move_on
from exports.books import export_to_path
from plans.models import Plan
from progress.models import Progress
from progress.rollup import rollup_full, rollup_pending
from reporting.excel.preview import template_parse
from reporting.excel.template import template_write
from reporting.models import Period, Submission
from reporting.services.review import review_approve

MIB = 1024 * 1024


@dataclass
class Measure:
    """One line of the table: our figure, the baseline's, their ratio and the goal it is held to."""

    key: str
    title: str
    unit: str  # "s", "queries", "MiB", "count"
    ours: float | None
    baseline: float | None
    goal: str  # "<= 2", "< 0.05", "== 1"
    detail: str = ""
    runs: dict[str, list[float]] = field(default_factory=dict)
    error: str = ""
    by_kind: list[dict[str, Any]] = field(default_factory=list)  # a load run's figures per kind of request

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.baseline:
            return 1.0 if self.ours == self.baseline == 0 else None
        return self.ours / self.baseline

    @property
    def met(self) -> bool:
        ratio = self.ratio
        if ratio is None or self.error:
            return False
        operator, limit = self.goal.split()
        return {"<=": ratio <= float(limit), "<": ratio < float(limit), "==": ratio == float(limit)}[operator]

    @classmethod
    def timed(cls, key: str, title: str, runs: dict[str, list[float]], goal: str, detail: str) -> Measure:
        """Medians of the runs of ours and of the baseline, in seconds."""
        return cls(
            key=key,
            title=title,
            unit="s",
            ours=statistics.median(runs["ours"]),
            baseline=statistics.median(runs["baseline"]),
            goal=goal,
            detail=f"{detail}；{len(runs['ours'])} 次取中位数",
            runs=runs,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "ours": self.ours,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "goal": self.goal,
            "met": self.met,
            "detail": self.detail,
            "runs": self.runs,
            "error": self.error,
            **({"by_kind": self.by_kind} if self.by_kind else {}),
        }


@dataclass(frozen=True)
class Budget:
    """How many runs a measurement takes: `repeat` pairs, fewer once `seconds` have gone by (at least one)."""

    repeat: int = 5
    seconds: float = 300.0


def _seconds(call: Callable[[], Any]) -> float:
    gc.collect()
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def in_turns(
    ours: Callable[[], Any],
    baseline: Callable[[], Any],
    budget: Budget,
    *,
    before: Callable[[], Any] | None = None,
    say: Callable[[str], Any] | None = None,
) -> dict[str, list[float]]:
    """Run the baseline and ours in turns (`before`, untimed, ahead of each pair); every run's seconds."""
    runs: dict[str, list[float]] = {"ours": [], "baseline": []}
    started = time.perf_counter()
    for _ in range(budget.repeat):
        if before is not None:
            before()
        runs["baseline"].append(_seconds(baseline))
        runs["ours"].append(_seconds(ours))
        if say is not None:
            say(f"  {runs['ours'][-1]:.3f} 秒，基线 {runs['baseline'][-1]:.3f} 秒")
        if time.perf_counter() - started > budget.seconds:
            break
    return runs


def peak_bytes(call: Callable[[], Any]) -> int:
    """Peak Python memory allocated while `call` runs (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- roll-up --------------------------------------------------------------------------------------


# The same approved submissions the roll-up reads, summed per indicator × region × quarter in one statement,
# each unit's figures counting in its own region and every region above it up to the plan's (the tree walked
# by a recursive CTE), written to a table with Progress's unique index. The floor for what a roll-up does.
BASELINE_SQL = """
WITH RECURSIVE tree (id, path) AS (
    SELECT id, ARRAY[id] FROM plans_region WHERE id = %(region)s
    UNION ALL
    SELECT r.id, tree.path || r.id FROM plans_region r JOIN tree ON r.parent_id = tree.id
), credited AS (
    SELECT id AS region_id, unnest(path) AS credited_id FROM tree
)
INSERT INTO bench_rollup_baseline
    (indicator_id, region_id, year, quarter, reports, value, numerator, denominator)
SELECT s.indicator_id, c.credited_id, p.year, p.quarter,
       count(*), sum(s.value), sum(s.numerator), sum(s.denominator)
FROM indicators_submission s
JOIN indicators_indicator i ON i.id = s.indicator_id
JOIN indicators_period p ON p.id = s.period_id
JOIN plans_unit u ON u.id = s.unit_id
JOIN credited c ON c.region_id = u.region_id
WHERE s.state = 'approved' AND i.plan_id = %(plan)s AND p.year BETWEEN %(start)s AND %(end)s
GROUP BY s.indicator_id, c.credited_id, p.year, p.quarter
"""


def _baseline_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_rollup_baseline (indicator_id bigint NOT NULL, "
            "region_id bigint NOT NULL, year smallint NOT NULL, quarter smallint NOT NULL, "
            "reports integer NOT NULL, value numeric(20, 4), numerator numeric(20, 4), "
            "denominator numeric(20, 4))"
        )
        cursor.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS bench_rollup_baseline_once "
            "ON bench_rollup_baseline (indicator_id, region_id, year, quarter)"
        )


def _baseline_rollup(plan: Plan) -> int:
    """The one INSERT … SELECT … GROUP BY into the emptied table, committed; returns the rows written."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            BASELINE_SQL,
            {"region": plan.region_id, "plan": plan.pk, "start": plan.start_year, "end": plan.end_year},
        )
        return cursor.rowcount


def _truncate_baseline() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_rollup_baseline")


def rollups(world: World, budget: Budget, *, say) -> list[Measure]:
    """Full roll-up against the raw INSERT … SELECT … GROUP BY; then incremental roll-ups, each after one
    approval through the reporting service, against the full roll-up."""
    plan = world.full
    first = {}
    with connection.cursor() as cursor:  # the first run starts from an empty table, with --keep too
        cursor.execute("TRUNCATE indicators_progress")
    for each in (world.small, plan):
        first[each.slug] = _seconds(lambda each=each: rollup_full(plan=each))
    say(f"  首次全量汇总（写入进度表）：{first[plan.slug]:.2f} 秒")
    # Fresh statistics for the rows just written, as autovacuum gives a server within a minute or so.
    vacuum_analyze(["indicators_progress", "indicators_timeliness"])
    _baseline_table()
    written: list[int] = []
    runs = in_turns(
        lambda: rollup_full(plan=plan),
        lambda: written.append(_baseline_rollup(plan)),
        budget,
        before=_truncate_baseline,
        say=say,
    )
    progress_rows = Progress.objects.filter(plan=plan).count()
    full = Measure.timed(
        "rollup_full",
        "全量汇总 vs 一条 INSERT…SELECT…GROUP BY",
        runs,
        "<= 2",
        f"进度表 {progress_rows:,} 行；基线写入 {written[-1]:,} 行",
    )
    incremental: list[float] = []
    rows: list[int] = []
    for pk in world.pending[: budget.repeat]:
        submission = Submission.objects.get(pk=pk)
        review_approve(row=submission, by=world.office)
        run = None

        def pending() -> None:
            nonlocal run
            run = rollup_pending()

        incremental.append(_seconds(pending))
        if run is None:
            raise RuntimeError("审核通过后没有待汇总的指标：增量汇总没有被触发。")
        rows.append(run.rows)
    say(f"  增量汇总：{', '.join(f'{s:.3f}' for s in incremental)} 秒")
    # The first roll-up of a plan writes every row into an empty table, as the baseline does; later full runs
    # (the nightly one) rewrite only what changed. Both are held to the goal, each shown on its own line.
    cold = Measure(
        key="rollup_full_first",
        title="首次全量汇总（空进度表）vs 同一基线",
        unit="s",
        ours=first[plan.slug],
        baseline=full.baseline,
        goal="<= 2",
        detail=f"进度表为空时写入全部 {progress_rows:,} 行；1 次（基线取上行中位数）",
        runs={"ours": [first[plan.slug]], "baseline": runs["baseline"]},
    )
    return [
        full,
        cold,
        Measure.timed(
            "rollup_incremental",
            "一次审核后的增量汇总 vs 全量汇总",
            {"ours": incremental, "baseline": runs["ours"]},
            "< 0.05",
            f"审核{world.full.end_year}年第4季度的一条报送后 rollup_pending()；写入 {rows[-1]:,} 行",
        ),
    ]


# --- pages ----------------------------------------------------------------------------------------


def _client(world: World) -> tuple[Client, bool]:
    hosts = [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host not in ("*", "")]
    client = Client(HTTP_HOST=hosts[0] if hosts else "localhost")
    client.force_login(world.leader)
    return client, bool(getattr(settings, "SECURE_SSL_REDIRECT", False))


def _request(client: Client, url: str, secure: bool) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url, secure=secure)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} → {response.status_code}")
        elapsed = time.perf_counter() - started
    return elapsed, len(queries.captured_queries)


def pages(world: World, budget: Budget, *, repeat: int, say) -> list[Measure]:
    """The plan overview page and the progress API as a leader sees them, at the small plan (≈10,000
    submissions at full size) and the full one: queries per request and the median time."""
    client, secure = _client(world)
    year, quarter = world.last_quarter
    sizes = {
        plan.slug: Submission.objects.filter(indicator__plan=plan).count()
        for plan in (world.small, world.full)
    }
    measures = []
    for key, title, path in (
        ("overview", "方案总览页", "/plans/{slug}/?year={year}&quarter={quarter}"),
        ("api", "进度接口", "/api/plans/{slug}/progress/?year={year}&quarter={quarter}"),
    ):
        urls = {
            plan.slug: path.format(slug=plan.slug, year=year, quarter=quarter)
            for plan in (world.small, world.full)
        }
        for url in urls.values():
            _request(client, url, secure)  # warm: templates, URL resolvers, the session
        times: dict[str, list[float]] = {"ours": [], "baseline": []}
        queries: dict[str, list[float]] = {"ours": [], "baseline": []}
        for _ in range(repeat):
            for side, plan in (("baseline", world.small), ("ours", world.full)):
                elapsed, count = _request(client, urls[plan.slug], secure)
                times[side].append(elapsed)
                queries[side].append(count)
        sizes_text = f"{sizes[world.small.slug]:,} 条报送 → {sizes[world.full.slug]:,} 条"
        measures.append(
            Measure(
                key=f"{key}_queries",
                title=f"{title}查询数：全国规模 vs 万条规模",
                unit="queries",
                ours=max(queries["ours"]),
                baseline=max(queries["baseline"]),
                goal="== 1",
                detail=sizes_text,
                runs=queries,
            )
        )
        measures.append(
            Measure.timed(
                f"{key}_time", f"{title}响应时间：全国规模 vs 万条规模", times, "<= 1.5", sizes_text
            )
        )
        say(f"  {title}：{measures[-1].ours:.3f} 秒 / {measures[-2].ours:.0f} 次查询（万条规模 "
            f"{measures[-1].baseline:.3f} 秒 / {measures[-2].baseline:.0f} 次）")  # fmt: skip
    return measures


# --- Excel export ---------------------------------------------------------------------------------


def cells_of(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """Every sheet of a written workbook with its rows of values, as the report wrote them."""
    book = load_workbook(path, read_only=True)
    try:
        return [
            (sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
            for sheet in book.worksheets
        ]
    finally:
        book.close()


def bare_write(sheets: list[tuple[str, list[list[Any]]]], path: Path) -> None:
    """The same cells through openpyxl write-only mode: same sheets, same rows, no styles, no layout."""
    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


def _count(sheets: list[tuple[str, list[list[Any]]]]) -> int:
    return sum(1 for _, rows in sheets for row in rows for value in row if value is not None)


def export(world: World, budget: Budget, folder: Path, *, say) -> list[Measure]:
    """The progress report of the full plan's last quarter (`export_to_path`) against bare openpyxl writing
    the same cells, read back from the report; peak memory of the report at the small and the full plan."""
    year, quarter = world.last_quarter
    ours_path, bare_path = folder / "report.xlsx", folder / "bare.xlsx"

    def ours(plan: Plan = world.full) -> None:
        export_to_path(kind="report", plan=plan, year=year, quarter=quarter, path=ours_path)

    ours()
    sheets = cells_of(ours_path)
    bare_write(sheets, bare_path)
    if _count(cells_of(bare_path)) != _count(sheets):
        raise RuntimeError("基线工作簿的单元格数与报告不一致")
    runs = in_turns(ours, lambda: bare_write(sheets, bare_path), budget)
    rows = sum(len(rows) for _, rows in sheets)
    time_measure = Measure.timed(
        "export_time",
        "Excel进展报告 vs 裸 openpyxl 只写模式（相同单元格）",
        runs,
        "<= 1.3",
        f"{len(sheets)} 个工作表、{rows:,} 行、{_count(sheets):,} 个非空单元格；本系统含读库",
    )
    small = peak_bytes(lambda: ours(world.small)) / MIB
    small_rows = sum(len(rows) for _, rows in cells_of(ours_path))
    large = peak_bytes(ours) / MIB
    bare = peak_bytes(lambda: bare_write(sheets, bare_path)) / MIB
    say(
        f"  Excel导出：{time_measure.ours:.3f} 秒，基线 {time_measure.baseline:.3f} 秒；"
        f"峰值内存 {small:.1f} → {large:.1f} MiB"
    )
    return [
        time_measure,
        Measure(
            key="export_memory",
            title="Excel进展报告峰值内存：全国规模 vs 万条规模",
            unit="MiB",
            ours=large,
            baseline=small,
            goal="<= 1.3",
            detail=f"tracemalloc；{small_rows:,} 行 → {rows:,} 行；裸 openpyxl 写相同单元格 {bare:.1f} MiB",
        ),
    ]


# --- Excel import ---------------------------------------------------------------------------------


def bare_read(data: bytes) -> int:
    """What any import must at least do: open the file read-only and stream every row of every sheet."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return sum(1 for sheet in book.worksheets for _ in sheet.iter_rows(values_only=True))
    finally:
        book.close()


def excel_import(world: World, budget: Budget, *, say) -> list[Measure]:
    """`template_parse` of the import unit's filled template (every row a change) against a bare read-only
    pass over the same file."""
    year, quarter = world.last_quarter
    period = Period.objects.get(year=year, quarter=quarter)
    out = io.BytesIO()
    template_write(unit=world.import_unit, period=period, out=out)
    data = out.getvalue()
    import_drafts_move_on(world)

    def ours():
        file = io.BytesIO(data)
        file.name = "填报.xlsx"
        return template_parse(file, unit=world.import_unit, period=period)

    preview = ours()
    if preview.errors or len(preview.rows) != preview.count("changed"):
        raise RuntimeError(f"导入预览与预期不符：{len(preview.rows)} 行，错误 {preview.errors[:3]}")
    runs = in_turns(ours, lambda: bare_read(data), budget)
    measure = Measure.timed(
        "import_time",
        "Excel模板导入 vs 裸 openpyxl 只读遍历",
        runs,
        "<= 2",
        f"{len(preview.rows):,} 行（{len(data) / MIB:.1f} MiB）",
    )
    say(f"  Excel导入：{measure.ours:.3f} 秒，基线 {measure.baseline:.3f} 秒")
    return [measure]
