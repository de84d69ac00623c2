"""The load test's clients and its arithmetic (manage.py loadtest): simulated reporters and leaders talking
HTTP to a gunicorn on 127.0.0.1, the percentiles of what they measured, and the check that every write a
client saw accepted is stored exactly once.

The clients speak plain HTTP on the loopback as the reverse proxy would, saying `X-Forwarded-Proto: https`
(production settings trust it), and keep their own cookies: the production cookies are `Secure`, which a
cookie jar would not send over http://.
"""

from __future__ import annotations

import http.client
import itertools
import random
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

HOST = "127.0.0.1"  # loopback only: the load test never talks to another machine
BASELINE = "基线（改密码页）"
KINDS = ("登录", "填报页", "保存草稿", "报送", "领导看板", BASELINE)
TAG = re.compile(r"LT[0-9a-z]+-\d+-\d+")
FIELD = re.compile(r'name="((?:indicator|task)-\d+)-(\w+)"')
VERSION = re.compile(r'name="((?:indicator|task)-\d+-version)" value="(\d+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACTION = re.compile(r'action="(/report/\?period=[0-9-]+)"')


def percentile(values: list[float], share: float) -> float | None:
    """The `share` (0…1) percentile by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int  # 0: no answer (connection refused, reset, timeout)


@dataclass
class Write:
    """One save the clients sent: its tag (in every note and progress text it wrote), how many rows it
    carried and what the client saw."""

    tag: str
    rows: int
    outcome: str  # accepted / conflict / refused / invalid / error


@dataclass
class Budget:
    """Shared by all clients: a deadline and a number of requests, whichever comes first. With `people` and
    `seconds`, the deadline moves to `seconds` after the last of `people` has logged in (`arrived`): the rush
    is measured once everyone is in, however long the logins took (never past the first deadline)."""

    deadline: float
    max_requests: int
    sent: itertools.count = field(default_factory=itertools.count)
    people: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        return time.monotonic() < self.deadline and next(self.sent) < self.max_requests

    def arrived(self) -> None:
        with self.lock:
            self.people -= 1
            if self.people == 0 and self.seconds:
                self.deadline = min(self.deadline, time.monotonic() + self.seconds)


class Browser:
    """One person's browser: a fresh connection per request (gunicorn's sync workers close them), cookies kept
    by hand, the CSRF origin of the HTTPS site the proxy presents."""

    def __init__(self, port: int, samples: list[Sample], lock: threading.Lock, budget: Budget):
        self.port, self.samples, self.lock, self.budget = port, samples, lock, budget
        self.cookies: dict[str, str] = {}
        self.origin = f"https://{HOST}:{port}"

    def call(self, kind: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """(status, Location, body); status 0 when the server gave no answer."""
        headers = {"Host": f"{HOST}:{self.port}", "X-Forwarded-Proto": "https", "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        started = time.perf_counter()
        status, location, text = 0, "", ""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=120)
        try:
            connection.request("POST" if form is not None else "GET", path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            status, location = response.status, response.getheader("Location", "")
            for line in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(line).items():
                    self.cookies[name] = morsel.value
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        with self.lock:
            self.samples.append(Sample(kind, time.perf_counter() - started, status))
        return status, location, text

    def login(self, username: str, password: str) -> bool:
        status, _, page = self.call("登录", "/login/")
        token = CSRF.search(page)
        if status != 200 or not token:
            return False
        status, location, _ = self.call(
            "登录", "/login/", {"csrfmiddlewaretoken": token[1], "username": username, "password": password}
        )
        return status == 302 and "/login/" not in location


def quarter_form(page: str, tag: str, rng: random.Random) -> tuple[str, dict, int] | None:
    """What the report page posts for a save: every editable row filled, each note and progress text carrying
    `tag`; (the form's address, the data, the number of rows). None when nothing is editable."""
    action = ACTION.search(page)
    token = CSRF.search(page)
    if not action or not token:
        return None
    data: dict[str, str] = {"csrfmiddlewaretoken": token[1]}
    data.update(VERSION.findall(page))
    rows = set()
    for key, name in FIELD.findall(page):
        rows.add(key)
        if name == "value":
            data[f"{key}-value"] = str(rng.randint(50, 99))
        elif name == "numerator":
            data[f"{key}-numerator"] = "9"
        elif name == "denominator":
            data[f"{key}-denominator"] = "10"
        elif name == "done":
            data[f"{key}-done"] = "1"
        elif name == "note":
            data[f"{key}-note"] = tag
        elif name == "status":
            data[f"{key}-status"] = "in_progress"
        elif name == "progress":
            data[f"{key}-progress"] = f"负载测试：本季度按计划推进。{tag}"
        elif name == "next_steps":
            data[f"{key}-next_steps"] = "继续推进。"
    return (action[1], data, len(rows)) if rows else None


def outcome(status: int, page: str) -> str:
    if status == 302:
        return "accepted"
    if status == 409:
        return "refused"
    if status == 0 or status >= 500:
        return "error"
    if "有冲突" in page or "已被他人" in page:
        return "conflict"
    return "invalid"


def reporter(
    browser: Browser,
    username: str,
    password: str,
    *,
    client: int,
    run: str,
    writes: list[Write],
    problems: Counter,
    submit_after: float | Callable[[], float],
) -> None:
    """Log in, then until the budget runs out: open the quarter, save it, open the baseline page; once past
    `submit_after`, save and submit the quarter once, then only read."""
    rng = random.Random(client)  # nosec B311: figures to type, nothing secret
    logged_in = browser.login(username, password)
    browser.budget.arrived()
    if not logged_in:
        problems["登录失败"] += 1
        return
    submitted = False
    for seq in itertools.count():
        if not browser.budget.take():
            return
        status, _, page = browser.call("填报页", "/report/")
        tag = f"LT{run}-{client}-{seq}"
        form = quarter_form(page, tag, rng) if status == 200 else None
        if form and not submitted and browser.budget.take():
            action, data, rows = form
            submit = time.monotonic() >= (submit_after() if callable(submit_after) else submit_after)
            data["action"] = "submit" if submit else "save"
            submitted = submit
            status, _, answer = browser.call("报送" if submit else "保存草稿", action, data)
            result = outcome(status, answer)
            with browser.lock:
                writes.append(Write(tag, rows, result))
                if result == "invalid":
                    message = re.search(r'<div class="form-errors".*?<li>(.*?)</li>', answer, re.S)
                    problems[re.sub(r"<[^>]+>", "", message[1])[:80] if message else f"HTTP {status}"] += 1
        if browser.budget.take():
            browser.call(BASELINE, "/password/")


def leader(browser: Browser, username: str, password: str, *, pages: list[str], problems: Counter) -> None:
    """Log in, then open the dashboards in turn, with the baseline page between them."""
    logged_in = browser.login(username, password)
    browser.budget.arrived()
    if not logged_in:
        problems["登录失败"] += 1
        return
    for path in itertools.cycle(pages):
        if not browser.budget.take():
            return
        browser.call("领导看板", path)
        if not browser.budget.take():
            return
        browser.call(BASELINE, "/password/")


@dataclass
class Check:
    """What the database holds against what the clients saw accepted."""

    accepted: int = 0
    rows_expected: int = 0
    rows_stored: int = 0
    missing: list[str] = field(default_factory=list)  # accepted, fewer rows stored than sent
    duplicated: list[str] = field(default_factory=list)  # a row took the same write twice
    unacknowledged: list[str] = field(default_factory=list)  # stored, but the client saw no acceptance

    @property
    def ok(self) -> bool:
        return not (self.missing or self.duplicated or self.unacknowledged)


def stored_once(writes: Iterable[Write], history: Iterable[tuple[str, int, str | None]]) -> Check:
    """Compare the writes with the rows' history, given as (model, row id, tag of the record) in the order the
    records were made. A write is stored when a record brings its tag to a row; later records keeping the tag
    (a submission changing the state) are not new writes. Every accepted write must reach each row it carried
    exactly once, and no write the client did not see accepted may be stored."""
    arrivals: Counter = Counter()
    last: dict[tuple[str, int], str | None] = {}
    for model, row, tag in history:
        if tag is not None and last.get((model, row)) != tag:
            arrivals[(model, row, tag)] += 1
        last[(model, row)] = tag
    per_tag: dict[str, int] = defaultdict(int)
    check = Check()
    for (_model, _row, tag), count in arrivals.items():
        per_tag[tag] += 1
        if count > 1:
            check.duplicated.append(tag)
    by_tag = {write.tag: write for write in writes}
    for tag, write in by_tag.items():
        if write.outcome == "accepted":
            check.accepted += 1
            check.rows_expected += write.rows
            check.rows_stored += per_tag.get(tag, 0)
            if per_tag.get(tag, 0) != write.rows:
                check.missing.append(tag)
    check.unacknowledged = sorted(
        tag for tag in per_tag if tag not in by_tag or by_tag[tag].outcome != "accepted"
    )
    return check


def tag_of(*texts: str | None) -> str | None:
    for text in texts:
        found = TAG.search(text or "")
        if found:
            return found[0]
    return None


def exceptions(log: str) -> Counter:
    """The exceptions in a server log, each by the line that names it, counted."""
    found: Counter = Counter()
    for block in log.split("Traceback (most recent call last):")[1:]:
        lines = [line for line in block.splitlines() if line and not line[0].isspace()]
        named = [line for line in lines if not line.startswith(("During handling", "The above exception"))]
        if named:
            found[named[0][:200]] += 1
    return found


def summary(samples: list[Sample], seconds: float) -> list[dict]:
    """Per kind of request: count, answers per second, p50 and p95 in milliseconds, server errors (5xx or no
    answer); the baseline last."""
    rows = []
    for kind in KINDS:
        times = [sample.seconds for sample in samples if sample.kind == kind]
        if not times:
            continue
        errors = sum(
            1 for sample in samples if sample.kind == kind and (sample.status == 0 or sample.status >= 500)
        )
        rows.append(
            {
                "kind": kind,
                "count": len(times),
                "per_second": len(times) / seconds,
                "p50_ms": percentile(times, 0.5) * 1000,
                "p95_ms": percentile(times, 0.95) * 1000,
                "errors": errors,
            }
        )
    return rows
