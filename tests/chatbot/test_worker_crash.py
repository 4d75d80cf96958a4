"""A worker killed (SIGKILL) in the middle of a webhook burst loses nothing and answers nothing twice.

Real processes on the embedded default (SQLite, the database task queue): the portal
(``python -m ayni.server``) and ``manage.py worker``, with the WhatsApp sender pointed
(``WHATSAPP_API_BASE_URL``) at a stand-in of the Graph API in this test that records each
send. Short timeouts come from ``tests/chatbot/crash_settings.py``.

Where the kill lands: the worker is frozen (SIGSTOP) at a random point of the burst and
killed there only if a task of its is RUNNING and no reply is between Meta's acceptance
and the portal's record of it (the stand-in has answered every request and every send is
in the ledger); otherwise it is let go for a moment and frozen again. A kill inside that
instant (about a millisecond per reply) would send that reply twice: the Cloud API has no
idempotency key, so a reply whose acceptance was never heard is sent again
(``chatbot.whatsapp``, docs/DESIGN.md) — the one duplicate the design accepts.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import hmac
import http.server
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.embedded_only]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "crash-secret"
PHONE_ID = "100200300"
MESSAGES = 40
RATE = 20  # messages per second, each delivered twice


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GraphStandIn:
    """Meta's Graph API at the HTTP boundary: records every send by recipient."""

    def __init__(self):
        self.sends: collections.Counter[str] = collections.Counter()
        self.in_flight = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                with outer.lock:
                    outer.in_flight += 1
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                    with outer.lock:
                        outer.sends[str(body.get("to"))] += 1
                        n = sum(outer.sends.values())
                    to = str(body.get("to"))
                    answer = json.dumps(
                        {
                            "messaging_product": "whatsapp",
                            "contacts": [{"input": to, "wa_id": to}],
                            "messages": [{"id": f"wamid.OUT{n}"}],
                        }
                    )
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer.encode())
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def total(self) -> int:
        with self.lock:
            return sum(self.sends.values())


def _start(command, env, log):
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def _signal(process, sig) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _stop(process) -> None:
    if process.poll() is None:
        _signal(process, signal.SIGCONT)
        _signal(process, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal(process, signal.SIGKILL)
            process.wait(timeout=10)


def _delivery(i: int) -> tuple[bytes, dict]:
    sender = f"591700{i:05d}"
    message = {"from": sender, "id": f"wamid.CRASH{i:05d}", "timestamp": str(int(time.time())), "type": "text"}
    message["text"] = {"body": "hola"}
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID}, "messages": [message]}
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "W", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}


def _burst(url: str, statuses: list[int]) -> None:
    """MESSAGES deliveries at RATE per second, each posted twice (Meta's re-delivery 0.3 s later)."""
    plan = sorted(
        [(i / RATE, i) for i in range(MESSAGES)] + [(i / RATE + 0.3, i) for i in range(MESSAGES)],
    )
    with httpx.Client(timeout=30) as client:
        started = time.monotonic()
        for offset, i in plan:
            time.sleep(max(0.0, started + offset - time.monotonic()))
            body, headers = _delivery(i)
            statuses.append(client.post(url, content=body, headers=headers).status_code)


def _query(db: Path, sql: str, timeout: float = 10) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=timeout)) as conn:
        return conn.execute(sql).fetchall()


def _write_lock_free(db: Path) -> bool:
    """Whether nobody holds the database's write lock (taken and given back at once)."""
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=0.05, isolation_level=None)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False


def test_sigkill_of_the_worker_mid_burst_answers_every_message_exactly_once(tmp_path):
    graph = GraphStandIn()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.chatbot.crash_settings",
            "AYNI_VAR_DIR": str(tmp_path),
            "WHATSAPP_TOKEN": "crash",
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": "crash",
            "WHATSAPP_API_BASE_URL": graph.url,
            "RASA_URL": f"http://127.0.0.1:{_free_port()}",  # nobody: the built-in understanding answers
            "WEB_CONCURRENCY": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    db = tmp_path / "ayni.sqlite3"
    assert db.exists(), list(tmp_path.iterdir())
    port = _free_port()
    log = (tmp_path / "processes.log").open("ab")
    web = _start([sys.executable, "-m", "ayni.server", "--bind", "127.0.0.1", "--port", str(port)], env, log)
    worker = _start([sys.executable, "manage.py", "worker", "--tick", "1"], env, log)
    processes = [web, worker]
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health/", timeout=2).status_code in (200, 503):
                    break
            assert web.poll() is None, (tmp_path / "processes.log").read_text()
            time.sleep(0.2)
        statuses: list[int] = []
        burst = threading.Thread(target=_burst, args=(f"http://127.0.0.1:{port}/webhooks/whatsapp/", statuses))
        burst.start()

        # Freeze the worker at some point mid-burst; kill it there when a task of its is running
        # and no reply sits between the stand-in's acceptance and the ledger.
        running_at_kill: list[str] = []
        deadline = time.monotonic() + 40
        while graph.total() < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        # A backlog first: on a quiet machine a reply takes a few milliseconds and the worker sits
        # idle between deliveries, so a freeze would rarely find a task running. Frozen for a second
        # (never while it holds the database's write lock, which the webhook needs), it comes back
        # to a queue of replies and works through them one after another.
        while time.monotonic() < deadline:
            _signal(worker, signal.SIGSTOP)
            time.sleep(0.05)
            if _write_lock_free(db):
                time.sleep(1.0)
                break
            _signal(worker, signal.SIGCONT)
            time.sleep(0.03)
        _signal(worker, signal.SIGCONT)
        while time.monotonic() < deadline and not running_at_kill:
            _signal(worker, signal.SIGSTOP)
            time.sleep(0.05)
            try:
                recorded = _query(db, "SELECT COUNT(*) FROM chatbot_whatsappoutbound", timeout=0.2)[0][0]
                running = _query(
                    db, "SELECT id FROM django_tasks_database_dbtaskresult WHERE status='RUNNING'", timeout=0.2
                )
            except sqlite3.OperationalError:  # frozen while it held the database's lock: not here
                recorded, running = -1, []
            running = [row[0] for row in running]
            with graph.lock:
                settled = graph.in_flight == 0 and sum(graph.sends.values()) == recorded
            if settled and running:
                _signal(worker, signal.SIGKILL)
                worker.wait(timeout=10)
                running_at_kill = running
            else:
                _signal(worker, signal.SIGCONT)
                time.sleep(0.03)
        assert running_at_kill, "the worker was never caught with a task running"
        answered_at_kill = graph.total()
        assert answered_at_kill < MESSAGES  # killed mid-burst, with work left

        worker = _start([sys.executable, "manage.py", "worker", "--tick", "1"], env, log)
        processes.append(worker)
        burst.join(timeout=60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answered = _query(db, "SELECT COUNT(*) FROM chatbot_whatsappmessage WHERE status='answered'")[0][0]
            busy = _query(
                db, "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('RUNNING', 'READY')"
            )
            if answered == MESSAGES and busy[0][0] == 0:
                break
            time.sleep(0.5)
        time.sleep(1)  # a second reply, if any, would come now

        assert statuses.count(200) == 2 * MESSAGES, collections.Counter(statuses)
        with graph.lock:
            sends = dict(graph.sends)
        senders = {f"591700{i:05d}" for i in range(MESSAGES)}
        assert set(sends) == senders
        assert {to: n for to, n in sends.items() if n != 1} == {}  # every message: exactly one reply
        states = dict(_query(db, "SELECT status, COUNT(*) FROM chatbot_whatsappmessage GROUP BY status"))
        assert states == {"answered": MESSAGES}
        assert _query(db, "SELECT COUNT(*) FROM chatbot_whatsappoutbound")[0][0] == MESSAGES
        # The tasks the dead worker held were taken over (the sweep), not left RUNNING for ever.
        marks = ",".join("?" * len(running_at_kill))
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            after = dict(
                conn.execute(
                    f"SELECT id, status FROM django_tasks_database_dbtaskresult WHERE id IN ({marks})",  # noqa: S608
                    running_at_kill,
                ).fetchall()
            )
        assert set(after.values()) == {"SUCCESSFUL"}, after
        assert _query(db, "SELECT COUNT(*) FROM chatbot_whatsappdelivery WHERE processed_at IS NULL")[0][0] == 0
        assert set(r[0] for r in _query(db, "SELECT body FROM chatbot_whatsappdelivery")) == {""}
    finally:
        for process in processes:
            _stop(process)
        log.close()
        graph.server.shutdown()
