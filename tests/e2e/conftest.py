"""Browser fixtures: Debian's Chromium driven by Playwright against a live server.

The tests in this folder are marked ``e2e`` (and ``django_db``, so that
pytest-django creates the test database). They use their own module-scoped
live server instead of pytest-django's ``live_server`` fixture, which would
request ``transactional_db`` and flush the database after every test (and so
force the demo municipality to be loaded again for each one). Here the demo is
loaded once per module (``load_demo`` is idempotent: transactional tests may
have flushed the database before) and whatever the live server wrote is
removed when the module ends.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

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
