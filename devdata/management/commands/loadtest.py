"""manage.py loadtest [--clients 60] [--seconds 60]: issue 17's load test, bounded and on the loopback only.

Builds its own PostgreSQL database on the app's server (plans, demo data, one account per simulated person),
collects the static files into a temporary folder, starts gunicorn with the production settings and a Celery
worker on a free port of 127.0.0.1 (Redis db `--redis-db` on 127.0.0.1), and lets reporters (log in, open the
quarter, save it, submit it near the end) and a few leaders (dashboards) work in threads until the time or the
request budget runs out. It prints throughput and p50/p95 per kind of request next to the baseline (a minimal
signed-in page, the same run), the server errors, and whether every save a client saw accepted is stored
exactly once. Then it stops both servers and drops its database (devdata/bench/live.py; `manage.py bench`
runs the same as its 负载 section). Devdata only: it gives the accounts it creates one random password.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from devdata.bench import database, live


class Command(BaseCommand):
    help = (
        "负载测试：在单独的 PostgreSQL 数据库和本机 gunicorn（生产设置）与 Celery worker 上模拟填报人员与领导"
        "并发操作，报告各类请求的吞吐量和 p50/p95、服务器错误数，并核对每次被接受的保存恰好存储一次。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=60, help="模拟的填报人员数（至多200）")
        parser.add_argument(
            "--leaders", type=int, default=None, help="模拟的领导数（默认填报人员数的1/10，至少1）"
        )
        parser.add_argument("--seconds", type=float, default=60.0, help="运行时长（秒，至多600）")
        parser.add_argument("--max-requests", type=int, default=20_000, help="请求总数上限（至多100,000）")
        parser.add_argument(
            "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn 进程数"
        )
        parser.add_argument(
            "--units",
            type=int,
            default=None,
            help="填报人员分布的单位数（默认全部有填报账号的单位；少则冲突多）",
        )
        parser.add_argument("--database", default="ipcity_load", help="负载测试数据库名（运行后删除）")
        parser.add_argument(
            "--redis-db", type=int, default=15, help="127.0.0.1:6379 上使用的 Redis 库号（运行前清空）"
        )

    def handle(self, *args, **options):
        clients = options["clients"]
        live.load_check(clients, options["seconds"], options["max_requests"])
        database.require_postgresql()
        database.check_name(options["database"])
        with tempfile.TemporaryDirectory(prefix="ipcity-load-") as folder:
            result = live.load_run(
                Path(folder),
                name=options["database"],
                app=database.current_name(),
                clients=clients,
                leaders=options["leaders"] if options["leaders"] is not None else max(1, clients // 10),
                seconds=options["seconds"],
                max_requests=options["max_requests"],
                workers=options["workers"],
                redis_db=options["redis_db"],
                units=options["units"],
                say=self.stdout.write,
            )
        self.stdout.write("")
        live.load_print(result, self.stdout.write)
        if not result.ok:
            verdict = "通过" if result.check.ok else "未通过"
            raise CommandError(f"负载测试未通过：服务器错误{result.errors}次，恰好存储一次的核对{verdict}。")
