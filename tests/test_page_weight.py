"""What a leader's first dashboard view costs on the wire, on the production stack: gunicorn with the
production settings, static files collected and compressed by whitenoise, the system Chromium with an empty
cache. Goal (PRODUCT.md, issue 19): at most 1.5 MB transferred, the sign-in included."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client

from tests import factories
from tests.chromium import ARGS, ARTIFACTS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="系统 Chromium 未安装"),
]

GOAL_BYTES = 1_500_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def production_server(transactional_db, dashboard_world, settings, tmp_path):
    """gunicorn with the production settings on the test database (the world is committed: transactional),
    after `collectstatic` into a folder of its own, sharing this process's secret key so that a session made
    here is valid there. Yields its base URL."""
    if connection.vendor != "postgresql":
        pytest.skip("生产设置使用 PostgreSQL")
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ipcity.settings.production",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{quote(db['USER'] or '')}@{host}/{db['NAME']}",
        "REDIS_URL": settings.TEST_REDIS_URL,
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    # The pages measured use none of the admin's, DRF's or the API docs' files: left out, collectstatic
    # (brotli at its best quality) takes seconds instead of a minute.
    skip = ["--ignore", "admin", "--ignore", "rest_framework", "--ignore", "drf_spectacular_sidecar"]
    collect = [sys.executable, manage, "collectstatic", "--noinput", "-v", "0", *skip]
    subprocess.run(collect, env=env, check=True)  # noqa: S603 -- our interpreter and manage.py
    port = _free_port()
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 -- open for the server's whole life
    server = subprocess.Popen(  # noqa: S603 -- our interpreter and gunicorn
        [sys.executable, "-m", "gunicorn", "ipcity.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--log-level", "warning"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/healthz/", timeout=2):  # noqa: S310 -- loopback only
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()[-2000:]
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_a_leaders_first_dashboard_view_transfers_at_most_1_5_mb(production_server, quanzhou, settings):
    leader = Client()
    leader.force_login(factories.UserFactory(username="weight-leader", role="leader"))
    session = leader.cookies[settings.SESSION_COOKIE_NAME].value
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    received: dict[str, int] = {}

    def count(response) -> None:
        sizes = response.request.sizes()
        received[response.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # The reverse proxy's header, as in production: the app then neither redirects to https nor refuses
        # its secure cookies.
        context = chromium.new_context(extra_http_headers={"X-Forwarded-Proto": "https"})
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": production_server}]
        )
        page = context.new_page()
        page.on("response", count)
        page.goto(f"{production_server}/login/")  # what a leader opens first, with its stylesheet
        page.wait_for_load_state("networkidle")
        # the plan's overview (cards), then an indicator's page: the first chart, and plotly.js with it
        page.goto(f"{production_server}/plans/{quanzhou.slug}/")
        page.wait_for_load_state("networkidle")
        assert "登录" not in page.title(), "the leader is not signed in"
        page.goto(f"{production_server}/plans/{quanzhou.slug}/indicators/trademarks/")
        page.wait_for_selector(".main-svg", timeout=30_000)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(ARTIFACTS / "page-weight-indicator.png"), full_page=True)
        context.close()
        chromium.close()
    total = sum(received.values())
    plotly = sum(size for url, size in received.items() if "plotly" in url)
    shown = f"{total / 1e6:.2f} MB，其中 plotly.js {plotly / 1e6:.2f} MB"
    print(f"\n登录页、方案总览、首个指标图表页共传输 {shown}")
    assert 0 < plotly < 600_000, "plotly.js travelled uncompressed"
    assert total <= GOAL_BYTES
