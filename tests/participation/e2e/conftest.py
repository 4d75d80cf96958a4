"""Browser tests of participation against the real server (ayni.server, two worker processes) with websockets.

The portal runs as a subprocess on its own throwaway database (SQLite in a
temporary AYNI_VAR_DIR, prepared with ``manage.py portal_setup``), so HTTP and
websockets are served by one process with the in-memory channel layer, exactly
like ``make run``. E-mails land as files in that directory (file backend).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from ayni.server import server_command

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("AYNI_E2E_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Portal:
    def __init__(self, url: str, var_dir: Path):
        self.url = url
        self.var_dir = var_dir

    def mails(self) -> list[str]:
        folder = self.var_dir / "mail"
        if not folder.exists():
            return []
        return [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.iterdir(), key=os.path.getmtime)]


@pytest.fixture(scope="session")
def portal():
    var_dir = Path(tempfile.mkdtemp(prefix="ayni-e2e-participa-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_HOST", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        AYNI_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="ayni.settings.dev",
        SECRET_KEY="e2e-participation-not-secret",
        AYNI_PROPOSAL_SUPPORT_THRESHOLD="2",
        AYNI_RATE_REGISTER="100",
        AYNI_RATE_COMPLAINT="100",
        AYNI_RATE_TRACKING="100",
        PYTHONUNBUFFERED="1",
    )
    setup = subprocess.run(
        [sys.executable, "manage.py", "portal_setup"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    port = _free_port()
    log = open(var_dir / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        # The product's server: two worker processes, so live counts cross processes as in production.
        server_command("127.0.0.1", port, workers=2),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/health/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((var_dir / "server.log").read_text()) from None
                time.sleep(0.3)
        yield Portal(url, var_dir)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="module")  # module: Playwright's loop must not outlive these tests
def participation_browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    browser = manager.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield browser
    browser.close()
    manager.stop()


@pytest.fixture
def new_tab(participation_browser, portal):
    contexts = []

    def make():
        context = participation_browser.new_context(
            base_url=portal.url, locale="es-BO", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
