"""manage.py loadtest [--clients 60] [--seconds 60]: issue 17's load test, bounded and on the loopback only.

Builds its own PostgreSQL database on the app's server (plans, demo data, one account per simulated person),
collects the static files into a temporary folder, starts gunicorn with the production settings on a free port
of 127.0.0.1 (Redis on 127.0.0.1), and lets reporters (log in, open the quarter, save it, submit it near the
end) and a few leaders (dashboards) work in threads until the time or the request budget runs out. It prints
throughput and p50/p95 per kind of request next to the baseline (a minimal signed-in page, the same run), the
server errors, and whether every save a client saw accepted is stored exactly once. Then it stops gunicorn and
drops its database. Devdata only: it gives the accounts it creates one random password.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess  # nosec B404: starts our own interpreter, manage.py and gunicorn
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.models import User
from devdata.bench import database, load
from devdata.demo import QUANZHOU, ZHENJIANG, demo_load
from reporting.models import Submission, TaskReport

LIMITS = {"clients": 200, "seconds": 600, "max_requests": 100_000}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((load.HOST, 0))
        return probe.getsockname()[1]


class Command(BaseCommand):
    help = (
        "负载测试：在单独的 PostgreSQL 数据库和本机 gunicorn（生产设置）上模拟填报人员与领导并发操作，"
        "报告各类请求的吞吐量和 p50/p95、服务器错误数，并核对每次被接受的保存恰好存储一次。"
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
        parser.add_argument("--redis-db", type=int, default=15, help="127.0.0.1:6379 上使用的 Redis 库号")

    def handle(self, *args, **options):
        clients, seconds = options["clients"], options["seconds"]
        if not (1 <= clients <= LIMITS["clients"] and 1 <= seconds <= LIMITS["seconds"]):
            raise CommandError(
                f"--clients 须在1至{LIMITS['clients']}之间，--seconds 须在1至{LIMITS['seconds']}之间。"
            )
        if not 1 <= options["max_requests"] <= LIMITS["max_requests"]:
            raise CommandError(f"--max-requests 须在1至{LIMITS['max_requests']}之间。")
        leaders = options["leaders"] if options["leaders"] is not None else max(1, clients // 10)
        database.require_postgresql()
        name = options["database"]
        database.check_name(name)
        app = database.current_name()
        say = self.stdout.write
        say(f"建立数据库 {name}：工作方案、演示数据、{clients}个填报账号和{leaders}个领导账号……")
        database.recreate(name, app=app)
        try:
            with tempfile.TemporaryDirectory(prefix="ipcity-load-") as folder:
                failed = self._run(Path(folder), name, clients, leaders, options)
        finally:
            database.drop(name, app=app)
        if failed:
            raise CommandError(failed)

    def _accounts(
        self, clients: int, leaders: int, spread: int | None
    ) -> tuple[list[str], list[str], str, list[int]]:
        call_command("load_plans", verbosity=0)
        demo_load()
        call_command("rollup", verbosity=0)
        password = secrets.token_urlsafe(18)
        hashed = make_password(password)
        units = sorted(set(User.objects.filter(role=User.Role.REPORTER).values_list("unit_id", flat=True)))
        units = units[: max(1, spread)] if spread else units  # several people on one unit: they collide
        people = [
            User(
                username=f"load-r{n}", role=User.Role.REPORTER, unit_id=units[n % len(units)], password=hashed
            )
            for n in range(clients)
        ] + [User(username=f"load-l{n}", role=User.Role.LEADER, password=hashed) for n in range(leaders)]
        User.objects.bulk_create(people)
        return [f"load-r{n}" for n in range(clients)], [f"load-l{n}" for n in range(leaders)], password, units

    def _environment(self, folder: Path, name: str, redis_db: int) -> dict[str, str]:
        db = connection.settings_dict
        auth = quote(db["USER"] or "", safe="") + (
            f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
        )
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ipcity.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": load.HOST,
            "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}",
            "REDIS_URL": f"redis://{load.HOST}:6379/{redis_db}",
            "DJANGO_STATIC_ROOT": str(folder / "static"),
            "DJANGO_MEDIA_ROOT": str(folder / "media"),
            "DJANGO_LOG_LEVEL": "WARNING",
        }

    def _server(self, folder: Path, env: dict[str, str], workers: int) -> tuple[subprocess.Popen, int]:
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        collect = [sys.executable, manage, "collectstatic", "--noinput", "-v", "0"]
        subprocess.run(collect, env=env, check=True)  # noqa: S603  # nosec B603: our interpreter, manage.py
        port = _free_port()
        with open(folder / "gunicorn.log", "w") as log:  # the child keeps its own copy of the descriptor
            command = [sys.executable, "-m", "gunicorn", "ipcity.wsgi:application"]
            command += ["--bind", f"{load.HOST}:{port}", "--workers", str(workers), "--timeout", "120"]
            server = subprocess.Popen(  # noqa: S603  # nosec B603: our interpreter, gunicorn
                [*command, "--log-level", "warning"],
                cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        probe = load.Browser(port, [], threading.Lock(), load.Budget(time.monotonic() + 60, 1000))
        for _ in range(120):
            if server.poll() is not None:
                break
            if probe.call("启动", "/healthz/")[0] == 200:
                return server, port
            time.sleep(0.5)
        server.terminate()
        raise CommandError(f"gunicorn 未能启动，日志：{(folder / 'gunicorn.log').read_text()[-2000:]}")

    def _run(self, folder: Path, name: str, clients: int, leaders: int, options) -> str | None:
        say = self.stdout.write
        reporters, bosses, password, units = self._accounts(clients, leaders, options["units"])
        env = self._environment(folder, name, options["redis_db"])
        server, port = self._server(folder, env, options["workers"])
        say(
            f"gunicorn（生产设置，{options['workers']}个进程）在 {load.HOST}:{port}；"
            f"{clients}个填报人员、{leaders}个领导，{options['seconds']:g}秒或{options['max_requests']}个请求为止。"
        )
        samples: list[load.Sample] = []
        writes: list[load.Write] = []
        problems: Counter = Counter()
        lock = threading.Lock()
        started = time.monotonic()
        budget = load.Budget(started + options["seconds"], options["max_requests"])
        run = secrets.token_hex(3)
        pages = [
            "/",
            "/plans/",
            f"/plans/{QUANZHOU}/",
            f"/plans/{QUANZHOU}/units/",
            f"/plans/{QUANZHOU}/tasks/",
            f"/plans/{ZHENJIANG}/",
        ]
        threads = [
            threading.Thread(
                target=load.reporter,
                args=(load.Browser(port, samples, lock, budget), user, password),
                kwargs={
                    "client": n,
                    "run": run,
                    "writes": writes,
                    "problems": problems,
                    "submit_after": started + 0.8 * options["seconds"],
                },
            )
            for n, user in enumerate(reporters)
        ] + [
            threading.Thread(
                target=load.leader,
                args=(load.Browser(port, samples, lock, budget), user, password),
                kwargs={"pages": pages, "problems": problems},
            )
            for user in bosses
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=options["seconds"] + 150)
        elapsed = time.monotonic() - started
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log = (folder / "gunicorn.log").read_text(errors="replace")
        check = load.stored_once(writes, self._history(units))
        self._print(load.summary(samples, elapsed), elapsed, writes, problems, check, log)
        errors = sum(row["errors"] for row in load.summary(samples, elapsed))
        if errors or not check.ok or any(thread.is_alive() for thread in threads):
            verdict = "通过" if check.ok else "未通过"
            return f"负载测试未通过：服务器错误{errors}次，恰好存储一次的核对{verdict}。"
        return None

    def _history(self, units: list[int]):
        """(model, row id, tag) of every history record of the load's units, in the order they were made."""
        for model, text in ((Submission, "note"), (TaskReport, "progress")):
            records = model.history.filter(unit_id__in=units).order_by("history_id").values_list("id", text)
            for row, value in records:
                yield model.__name__, row, load.tag_of(value)

    def _print(self, rows, elapsed, writes, problems, check, log) -> None:
        say = self.stdout.write
        say("")
        say(f"{'请求类别':<14}{'次数':>8}{'每秒':>9}{'p50(ms)':>10}{'p95(ms)':>10}{'服务器错误':>8}")
        for row in rows:
            say(
                f"{row['kind']:<14}{row['count']:>8}{row['per_second']:>9.1f}{row['p50_ms']:>10.0f}"
                f"{row['p95_ms']:>10.0f}{row['errors']:>8}"
            )
        total = sum(row["count"] for row in rows)
        say(f"共 {total} 个请求，{elapsed:.1f} 秒，{total / elapsed:.1f} 个/秒；")
        say(f"服务器日志中 Traceback {log.count('Traceback')} 处。")
        for line, count in load.exceptions(log).most_common(5):
            say(f"  {line}（{count}次）")
        outcomes = Counter(write.outcome for write in writes)
        say(
            "保存："
            + "，".join(
                f"{key} {outcomes[key]}" for key in ("accepted", "conflict", "refused", "invalid", "error")
            )
        )
        for message, count in problems.most_common(5):
            say(f"  未保存的原因：{message}（{count}次）")
        say(
            f"恰好存储一次：被接受的保存 {check.accepted} 次，应写入 {check.rows_expected} 行，"
            f"实写入 {check.rows_stored} 行；缺失 {len(check.missing)}，重复 {len(check.duplicated)}，"
            f"未被确认却已存储 {len(check.unacknowledged)}"
            f" —— {'通过' if check.ok else '未通过'}"
        )
