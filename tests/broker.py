"""Brokers for tests that send real Celery messages: point this process's app at one, and a Redis that accepts
connections and never answers (a hung server, the worst kind of down)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

from ipcity.celery import app


def point_celery_at(url: str) -> None:
    """Point this process's Celery app at a broker (tests otherwise run tasks eagerly in-process)."""
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    app._pool = None  # connections and producers are pooled per broker: forget the previous broker's
    app.amqp._producer_pool = None
    with contextlib.suppress(AttributeError):
        del app._local.backend  # and the result backend, which gives up for good on an unreachable Redis


def back_to_eager() -> None:
    point_celery_at("memory://")
    app.conf.update(result_backend="cache+memory://", task_always_eager=True)


@contextlib.contextmanager
def hung_redis() -> Iterator[str]:
    """A socket on a free local port whose connections are held open in silence until the block ends; yields
    its redis:// URL."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    held, stop = [], threading.Event()

    def hold():
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
