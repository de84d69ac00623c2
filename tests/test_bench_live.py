"""The benchmark's live sections (devdata/bench/live.py) without starting servers: how a load run becomes the
table's lines (p95 against the baseline page, server errors, exactly once), how the worker's log is read, and
that a started process is stopped, by force when it ignores SIGTERM. `tests/test_bench.py` runs them whole."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter

import pytest

from devdata.bench.live import ROLLUP_RUN, LoadResult, _stop, load_measures
from devdata.bench.load import BASELINE, Budget, Sample, Write, stored_once, summary


def _result(samples, writes, history, *, stuck=False) -> LoadResult:
    return LoadResult(
        rows=summary(samples, seconds=10.0),
        elapsed=10.0,
        writes=writes,
        problems=Counter(),
        check=stored_once(writes, history),
        log="",
        stuck=stuck,
    )


SAMPLES = [Sample("保存草稿", seconds / 10, 302) for seconds in range(1, 21)] + [
    Sample(BASELINE, seconds / 100, 200) for seconds in range(1, 21)
]


def test_a_clean_run_meets_every_goal_with_its_ratio():
    writes = [Write("LTa-1-0", 2, "accepted"), Write("LTa-2-0", 1, "conflict")]
    history = [("Submission", 1, "LTa-1-0"), ("TaskReport", 3, "LTa-1-0")]
    measures = {m.key: m for m in load_measures(_result(SAMPLES, writes, history), clients=60)}
    save = measures["load_save_p95"]
    assert save.ours == pytest.approx(1.905) and save.baseline == pytest.approx(0.1905)
    assert save.ratio == pytest.approx(10) and not save.met  # 10× the baseline: the goal is 4×
    assert [row["kind"] for row in save.by_kind] == ["保存草稿", BASELINE]
    assert measures["load_submit_p95"].error == "没有报送或基线页的请求"
    errors = measures["load_errors"]
    assert (errors.ours, errors.baseline, errors.ratio, errors.met) == (0, 40, 0, True)
    once = measures["load_stored_once"]
    assert (once.ours, once.baseline, once.met) == (1, 1, True)


def test_lost_doubled_or_unacknowledged_writes_and_server_errors_fail_their_lines():
    samples = [*SAMPLES, Sample("保存草稿", 0.5, 502), Sample("填报页", 0.5, 0)]
    writes = [Write("LTa-1-0", 2, "accepted"), Write("LTa-3-0", 1, "accepted"), Write("LTa-2-0", 1, "error")]
    history = [
        ("Submission", 1, "LTa-1-0"),  # one of its two rows
        ("Submission", 5, "LTa-3-0"),
        ("Submission", 5, "LTa-9-9"),
        ("Submission", 5, "LTa-3-0"),  # twice
        ("Submission", 7, "LTa-2-0"),  # stored though the client saw an error
    ]
    measures = {m.key: m for m in load_measures(_result(samples, writes, history, stuck=True), clients=60)}
    errors = measures["load_errors"]
    assert errors.ours == 2 and not errors.met and errors.error  # and a client never finished
    once = measures["load_stored_once"]
    assert (once.ours, once.baseline, once.met) == (0, 2, False)
    assert once.error == "2次客户端未见成功的保存已被存储"


def test_no_writes_at_all_is_not_a_pass():
    measures = {m.key: m for m in load_measures(_result([], [], []), clients=60)}
    assert measures["load_save_p95"].error and not measures["load_save_p95"].met
    assert not measures["load_errors"].met  # no requests: nothing was measured
    assert measures["load_stored_once"].error == "没有被接受的保存：无从核对"


def test_it_reads_the_worker_s_roll_up_runs_from_its_log():
    log = """[2026-12-07 02:20:01,100: INFO/MainProcess] Task progress.rollup_pending[1f-2a] received
[2026-12-07 02:20:01,612: INFO/ForkPoolWorker-1] Task progress.rollup_pending[1f-2a] succeeded in 0.431s: 120
[2026-12-07 02:20:03,000: INFO/ForkPoolWorker-1] Task progress.rollup_full[9c] succeeded in 12.5s: 3
[2026-12-07 02:20:04,612: INFO/ForkPoolWorker-1] Task progress.rollup_pending[3b] succeeded in 0.05s: 0"""
    assert [float(found) for found in ROLLUP_RUN.findall(log)] == [0.431, 0.05]


def test_a_process_that_ignores_sigterm_is_killed_with_its_group():
    script = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); "
    script += "time.sleep(60)"
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True
    )
    assert process.stdout.readline() == b"up\n"
    started = time.monotonic()
    _stop(process, grace=0.5)
    assert process.poll() is not None and time.monotonic() - started < 5
    _stop(process)  # stopping a stopped process is harmless


def test_the_measured_time_starts_once_everyone_has_logged_in():
    budget = Budget(deadline=time.monotonic() + 300, max_requests=100, people=2, seconds=5)
    budget.arrived()
    assert budget.deadline - time.monotonic() > 200  # one still logging in
    budget.arrived()
    assert 4 < budget.deadline - time.monotonic() <= 5
    assert budget.take()
    budget.deadline = 0  # a stop (Ctrl-C) ends every client's loop
    assert not budget.take()
