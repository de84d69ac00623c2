"""manage.py bench [--scale S] [--keep] [--json FILE]: the national benchmark (PRODUCT.md, "Where the bar
is").

Builds the synthetic national dataset (devdata/bench/dataset.py) in its own database on the app's PostgreSQL
server, then measures, each against its baseline in the same run (devdata/bench/measures.py), and prints
the table.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
import tempfile
import time
import traceback
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from devdata.bench import database, dataset, live, measures, report
from devdata.bench.dataset import Dataset, Shape
from ipcity.celery import app as celery_app

# The parts of a run, in the order they run; `--only` picks some (the live ones also need their own options).
SECTIONS = ("rollup", "pages", "export", "import", "approvals", "load")
TABLES = ["indicators_submission", "indicators_progress", "indicators_timeliness", "indicators_assignment"]


class Command(BaseCommand):
    help = (
        "全国规模基准测试：在单独的数据库中生成合成数据（约2,800个县级地区×40个指标×12个季度），"
        "测量汇总、看板、接口与Excel导入导出，并与各自的基线比较。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help="按比例缩小地区数（1 为全国规模；CI 冒烟测试用 0.001）"
        )
        parser.add_argument(
            "--indicators", type=int, default=dataset.INDICATORS, help="每个方案的指标数（≥8）"
        )
        parser.add_argument("--years", type=int, default=dataset.YEARS, help="方案年数（每年4个季度）")
        parser.add_argument(
            "--import-rows", type=int, default=None, help="Excel导入测试的行数（默认 10,000×scale，至少100）"
        )
        parser.add_argument(
            "--database",
            default="ipcity_bench",
            help="基准测试数据库名（同一 PostgreSQL 服务器，默认 ipcity_bench）",
        )
        parser.add_argument("--keep", action="store_true", help="数据库中已有相同规模的数据集时直接复用")
        parser.add_argument("--repeat", type=int, default=5, help="每项测量的最多重复次数（取中位数）")
        parser.add_argument(
            "--budget", type=float, default=600.0, help="每项测量的时间预算（秒）：超过后不再重复（至少一次）"
        )
        parser.add_argument(
            "--load-clients", type=int, default=60, help="负载测试的模拟填报人员数（0 不做负载测试，至多200）"
        )
        parser.add_argument("--load-seconds", type=float, default=60.0, help="负载测试时长（秒，至多600）")
        parser.add_argument(
            "--load-max-requests", type=int, default=20_000, help="负载测试请求总数上限（至多100,000）"
        )
        parser.add_argument(
            "--approvals", type=int, default=20, help="审核到看板的测量次数（0 不测；另有1次预热）"
        )
        parser.add_argument(
            "--web-workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn 进程数"
        )
        parser.add_argument(
            "--load-redis-db", type=int, default=14, help="负载测试使用的 Redis 库号（127.0.0.1，运行前清空）"
        )
        parser.add_argument(
            "--approval-redis-db", type=int, default=13, help="审核到看板使用的 Redis 库号（运行前清空）"
        )
        parser.add_argument(
            "--only",
            action="append",
            choices=SECTIONS,
            help="只测量这些部分（可重复；默认全部）：" + "、".join(SECTIONS),
        )
        parser.add_argument("--json", metavar="FILE", help="把结果另写为 JSON 文件")
        parser.add_argument("--drop", action="store_true", help="测量完成后删除基准测试数据库")

    def handle(self, *args, **options):
        started = time.perf_counter()
        database.require_postgresql()
        name = options["database"]
        database.check_name(name)
        if options["scale"] <= 0 or options["repeat"] < 1:
            raise CommandError("--scale 须大于0，--repeat 至少为1。")
        if options["load_clients"]:
            live.load_check(options["load_clients"], options["load_seconds"], options["load_max_requests"])
        if not 0 <= options["approvals"] <= 100:
            raise CommandError("--approvals 须在0至100之间。")
        full = Shape.scaled(options["scale"], indicators=options["indicators"], years=options["years"])
        try:
            full.check()
        except ValueError as error:
            raise CommandError(str(error)) from error
        import_rows = options["import_rows"] or max(
            100, round(dataset.IMPORT_ROWS * min(options["scale"], 1))
        )
        wanted = Dataset(full=full, small=full.smaller(), import_rows=import_rows)
        # Approvals queue their roll-up for a worker; here nobody consumes it, and rollup_pending() is what is
        # timed. A real broker must not take the task either: an in-memory one, tasks never run eagerly.
        celery_app.conf.update(
            broker_url="memory://", result_backend="cache+memory://", task_always_eager=False
        )

        # The benchmark's own noise (logins, the in-memory broker's default host) would bury its table.
        for logger in ("axes", "kombu", "celery"):
            logging.getLogger(logger).setLevel(logging.ERROR)
        current = database.current_name()
        world = self._dataset(name, wanted, keep=options["keep"], app=current)
        budget = measures.Budget(repeat=options["repeat"], seconds=options["budget"])
        say = self.stdout.write
        results: list[measures.Measure] = []
        with tempfile.TemporaryDirectory(prefix="ipcity-bench-") as folder:
            steps = [
                ("rollup", "汇总", lambda: measures.rollups(world, budget, say=say)),
                (
                    "pages",
                    "看板与接口",
                    lambda: measures.pages(world, budget, repeat=max(options["repeat"], 5), say=say),
                ),
                ("export", "Excel导出", lambda: measures.export(world, budget, Path(folder), say=say)),
                ("import", "Excel导入", lambda: measures.excel_import(world, budget, say=say)),
            ]
            if options["approvals"]:
                steps.append(
                    ("approvals", "审核到看板", lambda: self._approvals(world, Path(folder), options))
                )
            if options["load_clients"]:
                steps.append(("load", "负载", lambda: self._load(Path(folder), name, current, options)))
            only = set(options["only"] or SECTIONS)
            for key, title, step in steps:
                if key not in only:
                    continue
                self.stdout.write(f"测量：{title}")
                try:
                    results.extend(step())
                except Exception as error:  # one failing step must not hide the others' figures
                    traceback.print_exc(file=sys.stderr)
                    results.append(
                        measures.Measure(key=title, title=title, unit="s", ours=None, baseline=None,
                                         goal="<= 0", error=f"{type(error).__name__}: {error}")
                    )  # fmt: skip
        sizes = database.sizes(TABLES)
        server = database.server()
        if options["drop"]:
            database.drop(name, app=current)
        self.stdout.write("")
        self.stdout.write(report.table(results))
        output = {
            "command": "python manage.py bench " + " ".join(shlex.quote(arg) for arg in sys.argv[2:]),
            "finished_at": timezone.now().isoformat(),
            "seconds": round(time.perf_counter() - started, 1),
            "machine": report.machine(),
            "postgresql": server,
            "database": name,
            "dataset": {
                **wanted.as_dict(),
                "submissions": {"full": full.submissions, "small": wanted.small.submissions},
                "progress_rows": {"full": full.progress_rows, "small": wanted.small.progress_rows},
            },
            "sizes": sizes,
            "measures": [measure.as_dict() for measure in results],
            "markdown": report.markdown(results),
        }
        if options["json"]:
            Path(options["json"]).write_text(
                json.dumps(output, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            self.stdout.write(f"结果已写入 {options['json']}")
        self.stdout.write(f"用时 {output['seconds']} 秒。")
        if any(measure.error for measure in results):
            raise CommandError("有测量未能完成（见上）。")

    def _approvals(self, world: dataset.World, folder: Path, options) -> list[measures.Measure]:
        return live.approval_to_dashboard(
            world,
            folder,
            redis_db=options["approval_redis_db"],
            workers=options["web_workers"],
            count=options["approvals"],
            say=self.stdout.write,
        )

    def _load(self, folder: Path, name: str, app: str, options) -> list[measures.Measure]:
        """The deadline rush in a database of its own (`<name>_load`, dropped after), then back to `name`."""
        clients = options["load_clients"]
        try:
            result = live.load_run(
                folder,
                name=f"{name}_load",
                app=app,
                clients=clients,
                leaders=max(1, clients // 10),
                seconds=options["load_seconds"],
                max_requests=options["load_max_requests"],
                workers=options["web_workers"],
                redis_db=options["load_redis_db"],
                say=self.stdout.write,
            )
        finally:
            database.use(name)
        live.load_print(result, self.stdout.write)
        return live.load_measures(result, clients)

    def _dataset(self, name: str, wanted: Dataset, *, keep: bool, app: str) -> dataset.World:
        if keep and database.exists(name):
            database.use(name)
            if database.recorded() == wanted.as_dict():
                self.stdout.write(f"复用数据库 {name} 中的数据集（--keep）。")
                database.migrate()  # the code may have moved on since the dataset was built
                world = dataset.world_get()
                dataset.pending_reset(world)
                return world
            self.stdout.write(f"数据库 {name} 中的数据集规模不同，重新生成。")
            database.use(app)
        full = wanted.full
        self.stdout.write(
            f"生成数据集到数据库 {name}：{full.counties:,} 个县级地区 × {full.indicators} 个指标 × "
            f"{full.years * 4} 个季度 ≈ {full.submissions:,} 条报送"
        )
        started = time.perf_counter()
        database.recreate(name, app=app)
        world = dataset.build(wanted, say=self.stdout.write)
        database.vacuum_analyze([*TABLES, "plans_unit", "plans_region", "indicators_period"])
        database.record(wanted.as_dict())
        self.stdout.write(f"数据集生成用时 {time.perf_counter() - started:.1f} 秒。")
        return world
