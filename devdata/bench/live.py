"""The system as people meet it, measured from outside: gunicorn with the production settings and a Celery
worker on Redis, both on the loopback, started here and always stopped here (also on Ctrl-C, SIGTERM or a
failure), each run bounded in time and requests.

- `load_run`: issue 17's deadline rush (devdata/bench/load.py's simulated reporters and leaders) in its own
  database; `load_measures` turns it into the benchmark's lines.
- `approval_to_dashboard`: an approval through the API on the benchmark's national dataset, then the progress
  API polled until the figure is counted there.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess  # nosec B404: starts our own interpreter: manage.py, gunicorn and celery
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.tokens import token_issue
from devdata.bench import database, load
from devdata.bench.dataset import World
from devdata.bench.measures import Measure
from devdata.demo import QUANZHOU, ZHENJIANG, demo_load
from indicators.rollup_queue import rollup_schedule_all
from progress.rollup import rollup_pending
from reporting.models import Period, ReviewState, Submission, TaskReport

LIMITS = {"clients": 200, "seconds": 600, "max_requests": 100_000}
SAVE_GOAL = 4  # a save's p95 within 4× the baseline page's p95
LOGIN_SECONDS = 300  # at most this long for everyone to log in before the measured `seconds` start
APPROVAL_GOAL = 2.0  # seconds from an approval to its figure on the dashboards' API, p95


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((load.HOST, 0))
        return probe.getsockname()[1]


def environment(folder: Path, redis_db: int) -> dict[str, str]:
    """The production settings for the database this process's connection points at, Redis db `redis_db` on
    127.0.0.1 (Celery's broker and results, the cache), static and media files in `folder`."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ipcity.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": load.HOST,
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": f"redis://{load.HOST}:6379/{redis_db}",
        "DJANGO_STATIC_ROOT": str(folder / "static"),
        "DJANGO_MEDIA_ROOT": str(folder / "media"),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    env.pop("IPCITY_ROLLUP_QUEUE", None)  # one worker takes every task from the default queue
    return env


def _stop(process: subprocess.Popen, grace: float = 30) -> None:
    """SIGTERM (gunicorn and celery finish what they do), SIGKILL to its own process group after `grace`."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the group is exactly what we started
        process.wait(timeout=10)


def _terminated(signum, frame) -> None:
    raise SystemExit(f"收到信号 {signum}，停止并清理。")


@dataclass
class Servers:
    port: int
    folder: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _wait(ready: Callable[[], bool], process: subprocess.Popen, seconds: float, what: str, log: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if ready():
            return
        time.sleep(0.3)
    raise CommandError(f"{what}未能启动，日志：{log[-2000:]}")


@contextmanager
def serving(folder: Path, *, redis_db: int, workers: int, worker: bool = True) -> Iterator[Servers]:
    """gunicorn (production settings, `workers` processes) on a free port of 127.0.0.1 and, with `worker`, one
    Celery worker (concurrency 1) on Redis db `redis_db`, emptied first: no message of an earlier run is
    taken. Both run in sessions of their own and are stopped when the block ends, however it ends."""
    env = environment(folder, redis_db)
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()  # our own db: nothing of another run is left in it
    collected = folder / "static.collected"
    if not collected.exists():  # once per folder: compressing every static file takes a while
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        collect = [sys.executable, manage, "collectstatic", "--noinput", "-v", "0"]
        subprocess.run(collect, env=env, check=True)  # noqa: S603  # nosec B603: our interpreter, manage.py
        collected.touch()
    port = _free_port()
    servers = Servers(port=port, folder=folder)
    previous = (
        signal.signal(signal.SIGTERM, _terminated)
        if threading.current_thread() is threading.main_thread()
        else None
    )
    gunicorn = ["-m", "gunicorn", "ipcity.wsgi:application", "--bind", f"{load.HOST}:{port}"]
    commands = {
        "gunicorn": [*gunicorn, "--workers", str(workers), "--timeout", "120", "--log-level", "warning"]
    }
    if worker:
        celery = ["-m", "celery", "-A", "ipcity", "worker", "--concurrency", "1", "--loglevel", "INFO"]
        quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        commands["celery"] = [*celery, *quiet, "-n", f"bench-{secrets.token_hex(3)}@%h"]
    try:
        for name, command in commands.items():
            with open(folder / f"{name}.log", "w") as log:  # the child keeps its own copy of the descriptor
                servers.processes.append(
                    subprocess.Popen(  # noqa: S603  # nosec B603: our interpreter, gunicorn or celery
                        [sys.executable, *command],
                        cwd=settings.BASE_DIR,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        probe = load.Browser(port, [], threading.Lock(), load.Budget(time.monotonic() + 60, 1000))
        _wait(
            lambda: probe.call("启动", "/healthz/")[0] == 200,
            servers.processes[0],
            60,
            "gunicorn",
            servers.log("gunicorn"),
        )
        if worker:
            _wait(
                lambda: " ready." in servers.log("celery"),
                servers.processes[1],
                90,
                "Celery worker",
                servers.log("celery"),
            )
        yield servers
    finally:
        for process in servers.processes:
            _stop(process)
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()  # no message or result of ours is left behind
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


# --- the deadline rush ----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    rows: list[dict]  # load.summary: per kind of request
    elapsed: float
    writes: list[load.Write]
    problems: Counter
    check: load.Check
    log: str
    stuck: bool  # a client thread still running after the run

    @property
    def errors(self) -> int:
        return sum(row["errors"] for row in self.rows)

    @property
    def ok(self) -> bool:
        return not self.errors and self.check.ok and not self.stuck


def _accounts(clients: int, leaders: int, spread: int | None) -> tuple[list[str], list[str], str, list[int]]:
    call_command("load_plans", verbosity=0)
    demo_load()
    call_command("rollup", verbosity=0)
    password = secrets.token_urlsafe(18)
    # hashed as the servers' production settings check it (Django's default PBKDF2), whatever hashers this
    # process has: the test settings' fast one is not among production's
    hasher = PBKDF2PasswordHasher()
    hashed = hasher.encode(password, hasher.salt())
    units = sorted(set(User.objects.filter(role=User.Role.REPORTER).values_list("unit_id", flat=True)))
    units = units[: max(1, spread)] if spread else units  # several people on one unit: they collide
    people = [
        User(username=f"load-r{n}", role=User.Role.REPORTER, unit_id=units[n % len(units)], password=hashed)
        for n in range(clients)
    ] + [User(username=f"load-l{n}", role=User.Role.LEADER, password=hashed) for n in range(leaders)]
    User.objects.bulk_create(people)
    return [f"load-r{n}" for n in range(clients)], [f"load-l{n}" for n in range(leaders)], password, units


def _history(units: list[int]):
    """(model, row id, tag) of every history record of the load's units, in the order they were made."""
    for model, text in ((Submission, "note"), (TaskReport, "progress")):
        records = model.history.filter(unit_id__in=units).order_by("history_id").values_list("id", text)
        for row, value in records:
            yield model.__name__, row, load.tag_of(value)


def load_check(clients: int, seconds: float, max_requests: int) -> None:
    if not (1 <= clients <= LIMITS["clients"] and 1 <= seconds <= LIMITS["seconds"]):
        raise CommandError(f"客户端数须在1至{LIMITS['clients']}之间，时长须在1至{LIMITS['seconds']}秒之间。")
    if not 1 <= max_requests <= LIMITS["max_requests"]:
        raise CommandError(f"请求总数上限须在1至{LIMITS['max_requests']}之间。")


def load_run(
    folder: Path, *, name: str, app: str, clients: int, leaders: int, seconds: float, max_requests: int,
    workers: int, redis_db: int, units: int | None = None, say: Callable[[str], object],
) -> LoadResult:  # fmt: skip
    """Build database `name` (plans, demo data, one account per simulated person), serve it, let the clients
    work until `seconds` or `max_requests` run out, stop the servers and drop the database (the connection is
    left on `app`). Every accepted save is then checked against the rows' history."""
    load_check(clients, seconds, max_requests)
    say(f"建立数据库 {name}：工作方案、演示数据、{clients}个填报账号和{leaders}个领导账号……")
    database.recreate(name, app=app)
    try:
        reporters, bosses, password, unit_ids = _accounts(clients, leaders, units)
        with serving(folder, redis_db=redis_db, workers=workers) as servers:
            say(
                f"gunicorn（生产设置，{workers}个进程）与 Celery worker（Redis 库 {redis_db}）在 "
                f"{load.HOST}:{servers.port}；{clients}个填报人员、{leaders}个领导，"
                f"{seconds:g}秒或{max_requests}个请求为止。"
            )
            samples, writes, problems, stuck, elapsed = _clients(
                servers.port, reporters, bosses, password, seconds=seconds, max_requests=max_requests
            )
        check = load.stored_once(writes, _history(unit_ids))
        log = servers.log("gunicorn")
        return LoadResult(load.summary(samples, elapsed), elapsed, writes, problems, check, log, stuck)
    finally:
        database.drop(name, app=app)


def _clients(port, reporters, bosses, password, *, seconds, max_requests):
    samples: list[load.Sample] = []
    writes: list[load.Write] = []
    problems: Counter = Counter()
    lock = threading.Lock()
    started = time.monotonic()
    # logins first (each hashes a password: a minute for 66 people on a busy 2-core machine), then `seconds`
    budget = load.Budget(started + seconds + LOGIN_SECONDS, max_requests, people=len(reporters) + len(bosses),
                         seconds=seconds)  # fmt: skip
    run = secrets.token_hex(3)
    pages = ["/", "/plans/", f"/plans/{QUANZHOU}/", f"/plans/{QUANZHOU}/units/", f"/plans/{QUANZHOU}/tasks/",
             f"/plans/{ZHENJIANG}/"]  # fmt: skip
    threads = [
        threading.Thread(
            target=load.reporter,
            args=(load.Browser(port, samples, lock, budget), user, password),
            kwargs={
                "client": n,
                "run": run,
                "writes": writes,
                "problems": problems,
                "submit_after": lambda: budget.deadline - 0.2 * seconds,
            },
            daemon=True,
        )
        for n, user in enumerate(reporters)
    ] + [
        threading.Thread(
            target=load.leader,
            args=(load.Browser(port, samples, lock, budget), user, password),
            kwargs={"pages": pages, "problems": problems},
            daemon=True,
        )
        for user in bosses
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.0, started + seconds + LOGIN_SECONDS + 150 - time.monotonic()))
    finally:
        budget.deadline = 0  # on Ctrl-C too: every client stops after its request in flight
    stuck = any(thread.is_alive() for thread in threads)
    return samples, writes, problems, stuck, time.monotonic() - started


def load_print(result: LoadResult, say: Callable[[str], object]) -> None:
    say(f"{'请求类别':<14}{'次数':>8}{'每秒':>9}{'p50(ms)':>10}{'p95(ms)':>10}{'服务器错误':>8}")
    for row in result.rows:
        say(
            f"{row['kind']:<14}{row['count']:>8}{row['per_second']:>9.1f}{row['p50_ms']:>10.0f}"
            f"{row['p95_ms']:>10.0f}{row['errors']:>8}"
        )
    total = sum(row["count"] for row in result.rows)
    say(f"共 {total} 个请求，{result.elapsed:.1f} 秒，{total / result.elapsed:.1f} 个/秒；")
    say(f"服务器日志中 Traceback {result.log.count('Traceback')} 处。")
    for line, count in load.exceptions(result.log).most_common(5):
        say(f"  {line}（{count}次）")
    outcomes = Counter(write.outcome for write in result.writes)
    keys = ("accepted", "conflict", "refused", "invalid", "error")
    say("保存：" + "，".join(f"{key} {outcomes[key]}" for key in keys))
    for message, count in result.problems.most_common(5):
        say(f"  未保存的原因：{message}（{count}次）")
    check = result.check
    say(
        f"恰好存储一次：被接受的保存 {check.accepted} 次，应写入 {check.rows_expected} 行，"
        f"实写入 {check.rows_stored} 行；缺失 {len(check.missing)}，重复 {len(check.duplicated)}，"
        f"未被确认却已存储 {len(check.unacknowledged)} —— {'通过' if check.ok else '未通过'}"
    )


def load_measures(result: LoadResult, clients: int) -> list[Measure]:
    """The benchmark's lines of a load run: a save's p95 against the baseline page's, server errors among all
    requests, and the accepted writes stored exactly once; every kind's figures ride along (`by_kind`)."""
    kinds = {row["kind"]: row for row in result.rows}
    baseline = kinds.get(load.BASELINE)
    total = sum(row["count"] for row in result.rows)
    by_kind = [{key: round(value, 1) if isinstance(value, float) else value for key, value in row.items()}
               for row in result.rows]  # fmt: skip
    check = result.check
    wrong = set(check.missing) | set(check.duplicated) | set(check.unacknowledged)
    text = "，".join(
        f"{row['kind']} {row['count']}次 {row['per_second']:.1f}/秒 "
        f"p50 {row['p50_ms']:.0f} p95 {row['p95_ms']:.0f}ms"
        for row in result.rows
    )
    measures = []
    for key, kind in (("load_save_p95", "保存草稿"), ("load_submit_p95", "报送")):
        row = kinds.get(kind)
        measures.append(
            Measure(
                key=key,
                title=f"{clients}个客户端并发时{kind}的 p95 vs 基线页（改密码页）的 p95",
                unit="s",
                ours=row["p95_ms"] / 1000 if row else None,
                baseline=baseline["p95_ms"] / 1000 if baseline else None,
                goal=f"<= {SAVE_GOAL}",
                detail=text if key == "load_save_p95" else f"{kind} {row['count'] if row else 0}次",
                error="" if row and baseline else f"没有{kind}或基线页的请求",
                by_kind=by_kind if key == "load_save_p95" else [],
            )
        )
    measures.append(
        Measure(
            key="load_errors",
            title="服务器错误（5xx 或无应答）占全部请求",
            unit="count",
            ours=result.errors,
            baseline=total,
            goal="== 0",
            detail=f"{total} 个请求，{result.elapsed:.0f} 秒，{total / result.elapsed:.1f} 个/秒"
            + ("；有客户端线程未按时结束" if result.stuck else ""),
            error="有客户端线程未按时结束" if result.stuck else "",
        )
    )
    accepted = {write.tag for write in result.writes if write.outcome == "accepted"}
    measures.append(
        Measure(
            key="load_stored_once",
            title="被接受的保存恰好存储一次（运行后核对）",
            unit="count",
            ours=check.accepted - len(wrong & accepted),
            baseline=check.accepted,
            goal="== 1",
            detail=f"应写入 {check.rows_expected} 行，实写入 {check.rows_stored} 行；"
            f"缺失 {len(check.missing)}，重复 {len(check.duplicated)}，"
            f"未被确认却已存储 {len(check.unacknowledged)}",
            error=(
                f"{len(check.unacknowledged)}次客户端未见成功的保存已被存储"
                if check.unacknowledged
                else ("没有被接受的保存：无从核对" if not check.accepted else "")
            ),
        )
    )
    return measures


# --- approval to dashboard ------------------------------------------------------------------------------


def _awaiting(world: World, count: int) -> list[Submission]:
    """`count` approved figures of the national plan's last quarter moved back to awaiting review, and rolled
    up so (in this process), for the measure to approve again through the API."""
    year, quarter = world.last_quarter
    period = Period.objects.get(year=year, quarter=quarter)
    rows = list(
        Submission.objects.filter(indicator__plan=world.full, period=period, state=ReviewState.APPROVED)
        .select_related("indicator")
        .order_by("unit_id", "indicator_id")[:count]
    )
    _move(rows, ReviewState.SUBMITTED, by=None)
    return rows


def _move(rows: list[Submission], state: str, *, by: User | None) -> None:
    Submission.objects.filter(pk__in=[row.pk for row in rows]).update(
        state=state, reviewed_by=by, reviewed_at=None if by is None else timezone.now()
    )
    rollup_schedule_all(sorted({(row.indicator_id, row.period.year, row.unit_id) for row in rows}))
    rollup_pending()


class Api:
    """The API as a program calls it: token auth, JSON, over the loopback as the proxy would (https)."""

    def __init__(self, port: int, key: str):
        self.port, self.key = port, key

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, object]:
        headers = {"Host": f"{load.HOST}:{self.port}", "X-Forwarded-Proto": "https",
                   "Authorization": f"Token {self.key}", "Accept": "application/json"}  # fmt: skip
        if body is not None:
            headers["Content-Type"] = "application/json"
        connection_ = http.client.HTTPConnection(load.HOST, self.port, timeout=60)
        try:
            connection_.request(method, path, body=body, headers=headers)
            response = connection_.getresponse()
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
        finally:
            connection_.close()

    def approved(self, slug: str, year: int, quarter: int, code: str) -> int:
        """How many units' figures of indicator `code` the progress API counts as approved at the quarter."""
        status, rows = self.call("GET", f"/api/plans/{slug}/progress/?year={year}&quarter={quarter}")
        if status != 200:
            raise RuntimeError(f"进度接口返回 {status}：{str(rows)[:300]}")
        return next(row["coverage"]["approved"] for row in rows if row["indicator"] == code)


def approval_to_dashboard(
    world: World, folder: Path, *, redis_db: int, workers: int, count: int = 20, timeout: float = 60,
    say: Callable[[str], object],
) -> list[Measure]:  # fmt: skip
    """`count` approvals through `POST /api/submissions/{id}/approve/` (after one unmeasured, to warm the
    worker), each followed by the progress API polled every 50 ms until the figure is counted as approved:
    the seconds from sending the approval to seeing it, p95 against the 2 s goal."""
    year, quarter = world.last_quarter
    rows = _awaiting(world, count + 1)
    if len(rows) < 2:
        raise RuntimeError("数据集中没有足够的已审核报送可供重新审核。")
    token, key = token_issue(user=world.office, name="基准测试：审核到看板")
    waits: list[float] = []
    requests: list[float] = []
    try:
        with serving(folder, redis_db=redis_db, workers=workers) as servers:
            api = Api(servers.port, key)
            for row in rows:
                before = api.approved(world.full.slug, year, quarter, row.indicator.code)
                started = time.perf_counter()
                status, answer = api.call("POST", f"/api/submissions/{row.pk}/approve/", b"{}")
                sent = time.perf_counter() - started
                if status != 200:
                    raise RuntimeError(f"审核接口返回 {status}：{str(answer)[:300]}")
                while api.approved(world.full.slug, year, quarter, row.indicator.code) <= before:
                    if time.perf_counter() - started > timeout:
                        raise RuntimeError(
                            f"审核后 {timeout:g} 秒进度接口仍未计入：{servers.log('celery')[-1500:]}"
                        )
                    time.sleep(0.05)
                if row is not rows[0]:
                    waits.append(time.perf_counter() - started)
                    requests.append(sent)
            runs = [float(found) for found in ROLLUP_RUN.findall(servers.log("celery"))][1:]
    finally:
        token.delete()
        left = [
            row for row in rows if Submission.objects.filter(pk=row.pk, state=ReviewState.SUBMITTED).exists()
        ]
        if left:
            _move(left, ReviewState.APPROVED, by=world.office)
    p95 = load.percentile(waits, 0.95)
    say(f"  审核到看板：p50 {load.percentile(waits, 0.5):.2f} 秒，p95 {p95:.2f} 秒（{len(waits)}次）")
    return [
        Measure(
            key="approval_to_dashboard",
            title="经接口审核通过到进度接口计入（真实 Celery worker、Redis）的 p95 vs 目标 2 秒",
            unit="s",
            ours=p95,
            baseline=APPROVAL_GOAL,
            goal="<= 1",
            detail=(
                f"{len(waits)}次（另有1次预热不计）；p50 {load.percentile(waits, 0.5):.3f} 秒；"
                f"审核请求本身 p95 {load.percentile(requests, 0.95):.3f} 秒；worker 中增量汇总 p50 "
                f"{load.percentile(runs, 0.5) or 0:.3f} 秒；基线为目标上限 {APPROVAL_GOAL:g} 秒"
            ),
            runs={"ours": waits, "request": requests, "worker_rollup": runs},
        )
    ]


ROLLUP_RUN = re.compile(r"progress\.rollup_pending\[[^\]]+\] succeeded in ([0-9.]+)s")
