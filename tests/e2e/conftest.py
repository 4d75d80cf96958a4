"""The one browser-test harness: Debian's Chromium driven by Playwright against the portal.

Two ways to serve the portal, for two kinds of test:

``site_url``
    A live server in this process, on the tests' database (module-scoped). The
    tests in this folder are marked ``e2e`` (and ``django_db``, so that
    pytest-django creates the test database). They use this module-scoped live
    server instead of pytest-django's ``live_server`` fixture, which would
    request ``transactional_db`` and flush the database after every test (and
    so force the demo municipality to be loaded again for each one). Here the
    demo is loaded once per module (``load_demo`` is idempotent: transactional
    tests may have flushed the database before) and whatever the live server
    wrote is removed when the module ends. A test may create rows with the
    factories and see them in the browser (the live server shares the test's
    SQLite connection; on PostgreSQL it would not see the test's transaction).

``portal``
    The product's server (``ayni.server``, two worker processes, websockets)
    as a subprocess on its own throwaway SQLite database, prepared with
    ``manage.py portal_setup`` exactly like ``make run`` (session-scoped). For
    what needs real processes: live counts over websockets across workers,
    e-mails (they land as files in its directory, ``portal.mails()``).

Tabs: ``site_page``/``phone_page`` share a module's context (anonymous
visitors, no cookies); ``new_tab(base_url)`` gives a tab with cookies of its
own (someone signed in). ``oidc_provider`` is the stand-in OpenID Connect
provider on loopback (tests/participation/oidc_provider.py).
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
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio event loop in the main thread, which
# makes Django refuse ORM calls from it unless this is set.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("AYNI_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium per module.

    Playwright's sync API keeps an event loop running in the main thread while
    it is started; stopping it at the end of the module keeps later async
    tests (Channels, asyncio) out of that loop.
    """
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    browser = manager.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    manager.stop()


@pytest.fixture(scope="module")
def site_url(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A threaded live server with the demo municipality, shared by a module."""
    from django.core.cache import cache
    from pytest_django.live_server_helper import LiveServer

    from cms.demo.loader import load_demo
    from cms.models import GuideFeedback

    with django_db_blocker.unblock():
        # Transactional tests elsewhere in the run may have flushed the database.
        load_demo()
        cache.clear()
        feedback_before = set(GuideFeedback.objects.values_list("pk", flat=True))
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield server.url
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            # Leave the database as the other tests expect it.
            GuideFeedback.objects.exclude(pk__in=feedback_before).delete()
            cache.clear()


def _context(browser, base_url, **options):
    context = browser.new_context(base_url=base_url, locale="es-BO", **options)
    context.set_default_timeout(10_000)
    return context


# Contexts live for a module (the portal sets no cookies for anonymous
# visitors); every test gets its own tab. Not named "page"/"context": those
# belong to pytest-playwright, which would launch its own downloaded browser.
@pytest.fixture(scope="module")
def desktop_context(chromium, site_url):
    context = _context(chromium, site_url, viewport=DESKTOP)
    yield context
    context.close()


@pytest.fixture(scope="module")
def phone_context(chromium, site_url):
    context = _context(chromium, site_url, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield context
    context.close()


@pytest.fixture
def site_page(desktop_context):
    """A fresh desktop-sized tab (1280 x 900)."""
    page = desktop_context.new_page()
    yield page
    page.close()


@pytest.fixture
def phone_page(phone_context):
    """A fresh tab the size of a small phone (375 px wide)."""
    page = phone_context.new_page()
    yield page
    page.close()


@pytest.fixture
def new_tab(chromium):
    """Make a desktop-sized tab with cookies of its own: ``new_tab(base_url)`` (a new browser context each)."""
    contexts = []

    def make(base_url: str, **options):
        context = _context(chromium, base_url, viewport=DESKTOP, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# --- The product's server as a subprocess ---------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Portal:
    """The running portal: its address and its directory (database, e-mails as files, server log)."""

    def __init__(self, url: str, var_dir: Path):
        self.url = url
        self.var_dir = var_dir

    def mails(self) -> list[str]:
        folder = self.var_dir / "mail"
        if not folder.exists():
            return []
        return [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.iterdir(), key=os.path.getmtime)]


@pytest.fixture(scope="session")
def portal() -> Iterator[Portal]:
    from ayni.server import server_command

    var_dir = Path(tempfile.mkdtemp(prefix="ayni-e2e-portal-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_HOST", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        AYNI_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="ayni.settings.dev",
        SECRET_KEY="e2e-portal-not-secret",
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


# --- Sign-in with an OpenID Connect provider --------------------------------------------------------


@pytest.fixture(scope="module")
def oidc_provider():
    """The stand-in OpenID Connect provider (Ciudadanía Digital) on loopback, for a module."""
    from tests.participation.oidc_provider import Provider

    stand_in = Provider().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def oidc_enabled(settings, oidc_provider, site_url):
    """The portal signs in with ``oidc_provider``, whose registered addresses are the live server's."""
    from tests.participation.oidc_provider import CLIENT_ID, CLIENT_SECRET

    oidc_provider.redirect_uris = {f"{site_url}/cuentas/identidad/volver/"}
    oidc_provider.post_logout_redirect_uris = {f"{site_url}/participa/propuestas/"}
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_BUTTON_LABEL = "Ciudadanía Digital"
    settings.OIDC_ENABLED = True
    return oidc_provider
