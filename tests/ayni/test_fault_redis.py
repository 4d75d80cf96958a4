"""The worker killed (SIGKILL) and Redis stopped in the middle of a webhook burst, on PostgreSQL + Redis.

The other half of tests/chatbot/test_worker_crash.py (which runs on the embedded default):
real processes — the portal (``python -m ayni.server``) and ``manage.py worker`` (Redis
Queue) — on a PostgreSQL database and a redis-server of this test's own (never the
machine's), the WhatsApp sender pointed at the stand-in of the Graph API of that test.

Mid-burst the worker is killed and Redis is stopped (SIGKILL: whatever the queue held is
gone, as after a Redis that lost its memory); a worker is started again while Redis is
still down, then Redis comes back empty. The webhook records every delivery in the
database before it answers, so the queue's loss must cost nothing: afterwards every
message has exactly one reply, and no page, webhook or health check answered 500 (the
health check may say "degraded", 503, while Redis is down).

Runs once, in the PostgreSQL + Redis pass (skipped without a PostgreSQL DATABASE_URL).
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import httpx
import pytest

from tests.chatbot.test_worker_crash import ROOT, SECRET, GraphStandIn, _delivery, _free_port, _signal, _start, _stop

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="PostgreSQL + Redis pass only (DATABASE_URL to PostgreSQL)",
    ),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed"),
]

PHONE_ID = "100200300"
MESSAGES = 60
RATE = 20  # messages per second, each delivered twice
PAGES = ("/", "/health/", "/buscar/?q=licencia", "/participa/propuestas/")


def _server_url(database: str) -> str:
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))


def _template(env: dict) -> str:
    """A migrated database kept on the server as the template of this test's databases, by migrations.

    Migrating takes minutes on a loaded machine; the first run makes it, later runs copy it
    (``CREATE DATABASE … TEMPLATE``). Named after the migration files and Django's and Wagtail's
    versions, so a new migration makes a new one.
    """
    import django
    import psycopg
    import wagtail

    digest = hashlib.sha256(f"{django.__version__} {wagtail.__version__}".encode())
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(f"{path.relative_to(ROOT)} {path.stat().st_size}".encode())
    name = f"ayni_fault_template_{digest.hexdigest()[:12]}"
    with psycopg.connect(_server_url("postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return name
        building = f"{name}_{uuid.uuid4().hex[:6]}"
        conn.execute(f'CREATE DATABASE "{building}"')
        try:
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, check=True,
                           env={**env, "DATABASE_URL": _server_url(building), "REDIS_URL": ""},
                           capture_output=True, timeout=900)  # fmt: skip
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        except BaseException:
            conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                raise
    return name


@contextlib.contextmanager
def _database(env: dict):
    """A database of this test's own, copied from the migrated template, dropped at the end."""
    import psycopg

    template = _template(env)
    name = f"ayni_fault_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _server_url(name)
    finally:
        with psycopg.connect(_server_url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _redis(port: int, log) -> subprocess.Popen:
    import redis

    process = _start(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {}, log
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(200):
        with contextlib.suppress(redis.ConnectionError):
            if client.ping():
                return process
        time.sleep(0.05)
    raise AssertionError("redis-server did not come up")


def _burst(url: str, statuses: list[int]) -> None:
    """MESSAGES deliveries at RATE per second, each posted twice (Meta's re-delivery 0.3 s later)."""
    plan = sorted([(i / RATE, i) for i in range(MESSAGES)] + [(i / RATE + 0.3, i) for i in range(MESSAGES)])
    with httpx.Client(timeout=30) as client:
        started = time.monotonic()
        for offset, i in plan:
            time.sleep(max(0.0, started + offset - time.monotonic()))
            body, headers = _delivery(i)
            statuses.append(client.post(url, content=body, headers=headers).status_code)


def _pages(base: str, answers: list[tuple[str, int]], stop: threading.Event) -> None:
    """Pages read while everything happens (a resident browsing): the path and status of each answer."""
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            for path in PAGES:
                try:
                    answers.append((path, client.get(base + path).status_code))
                except httpx.HTTPError as exc:  # no answer at all counts as broken too
                    answers.append((path, type(exc).__name__))
            time.sleep(0.05)


def _count(database_url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def test_worker_killed_and_redis_stopped_mid_burst_answers_every_message_exactly_once(tmp_path):
    graph = GraphStandIn()
    redis_port = _free_port()
    log = (tmp_path / "processes.log").open("ab")
    processes: list[subprocess.Popen] = []
    stop_pages = threading.Event()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    prefix = f"fault{uuid.uuid4().hex[:8]}"
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.ayni.fault_settings",  # short leases and sweeps
            "AYNI_VAR_DIR": str(tmp_path),
            "REDIS_SOCKET_TIMEOUT": "0.5",
            "CACHE_KEY_PREFIX": prefix,
            "CHANNELS_PREFIX": prefix,
            "WHATSAPP_TOKEN": "crash",
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": "crash",
            "WHATSAPP_API_BASE_URL": graph.url,
            "WHATSAPP_REPLY_SWEEP_SECONDS": "3",
            "RASA_URL": f"http://127.0.0.1:{_free_port()}",  # nobody: the built-in understanding answers
            "WEB_CONCURRENCY": "2",
            "LOG_LEVEL": "WARNING",
        }
    )
    with _database(env) as database_url:
        env.update({"DATABASE_URL": database_url, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"})
        try:
            redis_server = _redis(redis_port, log)
            processes.append(redis_server)
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            web = _start([sys.executable, "-m", "ayni.server", "--bind", "127.0.0.1", "--port", str(port)], env, log)
            worker = _start([sys.executable, "manage.py", "worker", "--tick", "1"], env, log)
            processes += [web, worker]
            for _ in range(600):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/health/", timeout=2).status_code == 200:
                        break
                assert web.poll() is None, (tmp_path / "processes.log").read_text()
                time.sleep(0.2)
            else:
                raise AssertionError("the portal did not come up: " + (tmp_path / "processes.log").read_text())

            statuses: list[int] = []
            pages: list[tuple[str, int | str]] = []
            burst = threading.Thread(target=_burst, args=(f"{base}/webhooks/whatsapp/", statuses))
            reader = threading.Thread(target=_pages, args=(base, pages, stop_pages))
            reader.start()
            burst.start()

            # Mid-burst: the worker killed, then Redis killed (its queue is lost with it). The worker is
            # frozen first and killed only when no reply sits between Meta's acceptance and the
            # portal's record of it (the one duplicate the design accepts: test_worker_crash.py).
            deadline = time.monotonic() + 30
            while graph.total() < 5 and time.monotonic() < deadline:
                time.sleep(0.02)
            while time.monotonic() < deadline:
                _signal(worker, signal.SIGSTOP)
                time.sleep(0.05)
                recorded = _count(database_url, "SELECT COUNT(*) FROM chatbot_whatsappoutbound")[0][0]
                with graph.lock:
                    settled = graph.in_flight == 0 and sum(graph.sends.values()) == recorded
                if settled:
                    break
                _signal(worker, signal.SIGCONT)
                time.sleep(0.03)
            _signal(worker, signal.SIGKILL)
            worker.wait(timeout=10)
            _signal(redis_server, signal.SIGKILL)
            redis_server.wait(timeout=10)
            answered_at_kill = graph.total()
            assert 0 < answered_at_kill < MESSAGES  # killed mid-burst, with work left

            # A worker comes back while Redis is still down; deliveries keep arriving.
            worker = _start([sys.executable, "manage.py", "worker", "--tick", "1"], env, log)
            processes.append(worker)
            time.sleep(3)
            redis_server = _redis(redis_port, log)  # back, empty
            processes.append(redis_server)
            burst.join(timeout=60)
            # The worker started without Redis waited for it instead of exiting (no supervisor here).
            assert worker.poll() is None, (tmp_path / "processes.log").read_text()[-4000:]

            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                answered = _count(database_url, "SELECT COUNT(*) FROM chatbot_whatsappmessage WHERE status='answered'")
                if answered[0][0] == MESSAGES:
                    break
                time.sleep(0.5)
            time.sleep(1.5)  # a second reply, if any, would come now
            stop_pages.set()
            reader.join(timeout=30)

            assert statuses.count(200) == 2 * MESSAGES, collections.Counter(statuses)
            with graph.lock:
                sends = dict(graph.sends)
            states = dict(_count(database_url, "SELECT status, COUNT(*) FROM chatbot_whatsappmessage GROUP BY status"))
            senders = {f"591700{i:05d}" for i in range(MESSAGES)}
            assert set(sends) == senders, (sorted(senders - set(sends)), states)
            assert {to: n for to, n in sends.items() if n != 1} == {}  # every message: exactly one reply
            assert states == {"answered": MESSAGES}
            assert _count(database_url, "SELECT COUNT(*) FROM chatbot_whatsappoutbound")[0][0] == MESSAGES
            broken = collections.Counter(
                (path, status)
                for path, status in pages
                if not isinstance(status, int) or (status >= 500 and (path, status) != ("/health/", 503))
            )
            assert broken == {}, broken
            seen = collections.Counter(pages)
            assert all(seen[(path, 200)] for path in PAGES), seen  # each page answered, and fully when all was up
        finally:
            stop_pages.set()
            for process in processes:
                _stop(process)
            log.close()
            graph.server.shutdown()
