#!/usr/bin/env python
"""Benchmark: the WhatsApp webhook's acknowledgement under a burst, and every message answered exactly once.

    python bench/webhook.py [--rate 100] [--seconds 10] [--only embedded|postgres] [--repeat N] [--no-write]

For each stack (the embedded default: SQLite + the database task queue; and
PostgreSQL + Redis when ``DATABASE_URL`` names a PostgreSQL server):

1. A throwaway var dir (and database: a new one on that server, dropped at the
   end; Redis: a ``redis-server`` of its own on a free port when one is
   installed, else ``REDIS_URL`` as given), migrated.
2. Starts the portal as ``make run`` does (``python -m ayni.server``) and the
   task worker (``manage.py worker``), with the WhatsApp sender pointed
   (``WHATSAPP_API_BASE_URL``) at a stand-in of the Graph API in this process
   that records every send.
3. Reference: signed-wrong POSTs (403: the same server; Django's view answers
   them, no database) at twice ``--rate`` for 5 s.
4. Posts ``--rate`` signed deliveries per second for ``--seconds`` (open loop),
   each one twice (the same body again 0.5 s later, as Meta re-delivers), each
   message from its own sender; reports the acknowledgement p50/p95/max and the
   non-200 answers.
5. Waits for the worker to answer everything, then checks that every message
   got exactly one reply (the stand-in's sends per sender) and none more. The
   CPU time of the server's processes during the burst (per POST) and of the
   worker until the last reply (per reply) is reported too.
6. Replaces the ``## Webhook de WhatsApp (bench/webhook.py)`` section of bench/results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import hashlib
import hmac
import http.server
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = "127.0.0.1"
SECTION_TITLE = "## Webhook de WhatsApp (bench/webhook.py)"
RESULTS_PATH = ROOT / "bench" / "results.md"
APP_SECRET = "bench-secret"
PHONE_ID = "100200300"
TEXT = "hola"  # answered with one reply (the greeting and the menu in one message)
REDELIVERY_DELAY = 0.5
IDLE_LIMIT = 4.0  # seconds: keep-alive connections idle longer are not reused (the server's limit is 5 s)


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


# --------------------------------------------------------------------------
# The Graph API's stand-in: records each send, answers like Meta
# --------------------------------------------------------------------------


class GraphStandIn:
    def __init__(self):
        self.sends: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                to = str(body.get("to", ""))
                with stand_in.lock:
                    stand_in.sends[to] += 1
                    n = sum(stand_in.sends.values())
                answer = json.dumps(
                    {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": to, "wa_id": to}],
                        "messages": [{"id": f"wamid.OUT{n}"}],
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((HOST, free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{HOST}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def total(self) -> int:
        with self.lock:
            return sum(self.sends.values())

    def reset(self) -> None:
        with self.lock:
            self.sends.clear()

    def close(self) -> None:
        self.server.shutdown()


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(
                f"el servidor terminó ({process.returncode}):\n{log.read_text(errors='replace')[-3000:]}"
            )
        try:
            if httpx.get(url, timeout=2).status_code in (200, 503):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"el servidor no respondió en {timeout:.0f} s")


class Stack:
    """A throwaway var dir (and PostgreSQL database, and Redis) with the portal and the worker running."""

    def __init__(self, label: str, graph_url: str, database_url: str = "", redis_url: str = ""):
        self.label = label
        self.tmp = Path(tempfile.mkdtemp(prefix="ayni-bench-webhook-"))
        self.log = self.tmp / "processes.log"
        self.port = free_port()
        self.database_url = database_url
        self.db_name = ""
        self.redis: subprocess.Popen | None = None
        self.redis_url = redis_url
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.graph_url = graph_url

    def __enter__(self) -> Stack:
        try:
            self._prepare()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _prepare(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        if self.database_url:
            import psycopg
            from psycopg import sql

            self.db_name = f"ayni_bench_webhook_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db_name)))
            parts = urlsplit(self.database_url)
            env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + self.db_name))
        if self.redis_url:
            if shutil.which("redis-server"):
                port = free_port()
                self.redis = start(
                    ["redis-server", "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
                    env,
                    self.tmp / "redis.log",
                )
                self.redis_url = f"redis://{HOST}:{port}/0"
                time.sleep(0.5)
            env["REDIS_URL"] = self.redis_url
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "ayni.settings.dev",
                "AYNI_VAR_DIR": str(self.tmp),
                "WHATSAPP_TOKEN": "bench",
                "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
                "WHATSAPP_APP_SECRET": APP_SECRET,
                "WHATSAPP_VERIFY_TOKEN": "bench",
                "WHATSAPP_API_BASE_URL": self.graph_url,
                "RASA_URL": f"http://{HOST}:{free_port()}",  # nobody there: the built-in understanding answers
                "CHATBOT_RETRAIN": "0",
                "LOG_LEVEL": "WARNING",
            }
        )
        self.env = env
        subprocess.run([PY, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
        self.web = start([PY, "-m", "ayni.server", "--bind", HOST, "--port", str(self.port)], env, self.log)
        wait_up(f"http://{HOST}:{self.port}/health/", self.web, self.log)
        self.worker = start([PY, "manage.py", "worker", "--tick", "5"], env, self.log)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/webhooks/whatsapp/"

    def __exit__(self, *exc_info) -> None:
        for process in (self.worker, self.web, self.redis):
            stop(process)
        if self.db_name:
            import psycopg
            from psycopg import sql

            with psycopg.connect(self.database_url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.db_name)))
        shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------


def delivery(sender: str, message_id: str) -> bytes:
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "59122000000", "phone_number_id": PHONE_ID},
                            "contacts": [{"profile": {"name": "Vecina"}, "wa_id": sender}],
                            "messages": [
                                {
                                    "from": sender,
                                    "id": message_id,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": TEXT},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(payload).encode()


def signed(body: bytes, secret: str = APP_SECRET) -> dict:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": signature}


async def _read_response(reader: asyncio.StreamReader) -> int:
    """The status of one HTTP/1.1 response, its body read (Content-Length or chunked)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        elif name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    elif length:
        await reader.readexactly(length)
    return status


async def open_loop(url: str, schedule: list[tuple[float, bytes, dict, int]], connections: int = 256):
    """POST each body at its offset (seconds from the start), reusing idle keep-alive connections.

    Each request takes the most recently freed connection (or opens one, up to ``connections``
    at once; beyond that it waits for one). A connection idle for ``IDLE_LIMIT`` seconds is
    closed instead of reused, as HTTP clients do: the server closes keep-alive connections
    idle for 5 s (``ayni.server``), and a request sent on one it just closed would fail.
    Latency (ms) is counted from the moment the request was due, so any wait for a connection
    counts; answers other than the expected status are counted. A plain asyncio client:
    httpx's pool cannot keep up with hundreds of requests a second.
    """
    parts = urlsplit(url)
    latencies: list[float] = []
    others: collections.Counter[str] = collections.Counter()
    idle: list = []  # (reader, writer, freed at)
    slots = asyncio.Semaphore(connections)

    def take():
        while idle:
            reader, writer, freed = idle.pop()
            if time.perf_counter() - freed < IDLE_LIMIT:
                return reader, writer
            writer.close()
        return None

    async def one(due: float, body: bytes, headers: dict, expected: int) -> None:
        head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        async with slots:
            conn = take()
            try:
                if conn is None:
                    conn = await asyncio.open_connection(parts.hostname, parts.port)
                conn[1].write(head.encode() + body)
                status = await asyncio.wait_for(_read_response(conn[0]), 60)
            except (OSError, ConnectionError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                others[type(exc).__name__] += 1
                if conn is not None:
                    conn[1].close()
                return
            idle.append((*conn, time.perf_counter()))
        if status == expected:
            latencies.append((time.perf_counter() - due) * 1000)
        else:
            others[f"HTTP {status}"] += 1

    tasks = []
    started = time.perf_counter()
    for offset, body, headers, expected in schedule:
        due = started + offset
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, body, headers, expected)))
    await asyncio.gather(*tasks)
    for _reader, writer, _freed in idle:
        writer.close()
    return latencies, others


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
        children = [int(child) for child in out]
        found += children
        todo += children
    return found


def cpu_seconds(pids: list[int], *, reaped: bool = False) -> float:
    """User + system CPU of ``pids`` (with ``reaped``, also of their children that have ended)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        if reaped:
            total += int(fields[13]) + int(fields[14])
    return total / os.sysconf("SC_CLK_TCK")


def run_stack(stack: Stack, graph: GraphStandIn, rate: int, seconds: float, run: str) -> dict:
    # Reference: the same server refusing a bad signature (no database), at the same request rate.
    bad = delivery("59100000000", f"wamid.REF{run}")
    ref_rate = 2 * rate
    reference = [(i / ref_rate, bad, signed(bad, "wrong-secret"), 403) for i in range(int(ref_rate * min(seconds, 5)))]
    say(f"  referencia: {len(reference)} POST mal firmados a {ref_rate}/s …")
    asyncio.run(open_loop(stack.url, reference[: len(reference) // 2]))  # warm-up: connections, caches
    ref_latencies, ref_others = asyncio.run(open_loop(stack.url, reference))
    graph.reset()
    total = int(rate * seconds)
    senders = [f"5917{run}{i:05d}" for i in range(total)]
    plan = []
    for i, sender in enumerate(senders):
        body = delivery(sender, f"wamid.B{run}{i:05d}")
        headers = signed(body)
        plan.append((i / rate, body, headers, 200))
        plan.append((i / rate + REDELIVERY_DELAY, body, headers, 200))  # Meta delivers it again
    plan.sort(key=lambda item: item[0])
    say(f"  {total} mensajes a {rate}/s, cada uno entregado dos veces ({len(plan)} POST) …")
    load = os.getloadavg()
    web = _descendants(stack.web.pid)  # the server's worker processes
    worker = [stack.worker.pid, *_descendants(stack.worker.pid)]
    web_cpu, worker_cpu = cpu_seconds(web), cpu_seconds(worker, reaped=True)
    started = time.monotonic()
    latencies, others = asyncio.run(open_loop(stack.url, plan))
    posted = time.monotonic() - started
    web_cpu = cpu_seconds(web) - web_cpu
    say(f"  acuse p95 {percentile(latencies, 95):.1f} ms; esperando al worker …")
    deadline = time.monotonic() + max(300, 3 * seconds)
    while time.monotonic() < deadline and graph.total() < total:
        if stack.worker.poll() is not None:
            raise RuntimeError(f"el worker terminó ({stack.worker.returncode})")
        time.sleep(0.5)
    answered_after = time.monotonic() - started
    worker = sorted(set(worker) | set(_descendants(stack.worker.pid)))
    worker_cpu = cpu_seconds(worker, reaped=True) - worker_cpu
    time.sleep(5)  # a duplicate would come now
    with graph.lock:
        sends = {sender: graph.sends.get(sender, 0) for sender in senders}
        strays = sum(n for to, n in graph.sends.items() if to not in sends)
    if strays or any(n != 1 for n in sends.values()):  # show what the portal and the worker said
        say(stack.log.read_text(errors="replace")[-4000:])
    return {
        "label": stack.label,
        "latencies": latencies,
        "others": others,
        "ref": ref_latencies,
        "ref_others": ref_others,
        "total": total,
        "posts": len(plan),
        "posted_s": posted,
        "answered_s": answered_after,
        "web_cpu_ms": web_cpu * 1000 / len(plan),
        "worker_cpu_ms": worker_cpu * 1000 / max(1, graph.total()),
        "once": sum(1 for n in sends.values() if n == 1),
        "none": sum(1 for n in sends.values() if n == 0),
        "twice": sum(1 for n in sends.values() if n > 1) + strays,
        "load": load,
    }


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def write_section(text: str) -> None:
    current = RESULTS_PATH.read_text(encoding="utf-8") if RESULTS_PATH.exists() else "# Resultados de rendimiento\n"
    if SECTION_TITLE in current:
        before, rest = current.split(SECTION_TITLE, 1)
        after = rest.split("\n## ", 1)
        tail = ("\n## " + after[1]) if len(after) == 2 else ""
        current = before.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n" + tail
    else:
        current = current.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    RESULTS_PATH.write_text(current, encoding="utf-8")


def report(rows: list[dict], args, started: float, server: str) -> str:
    lines = [
        SECTION_TITLE,
        "",
        f"- **Fecha:** {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- **Máquina:** {os.cpu_count()} CPU (compartida), {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}",
        f"- **Montaje:** el portal como lo arranca `make run` ({server}) y `manage.py worker`, "
        "con el envío de WhatsApp apuntado (`WHATSAPP_API_BASE_URL`) a un sustituto local de la Graph API "
        "que cuenta los envíos por remitente",
        f"- **Carga:** {args.rate} mensajes firmados/s durante {args.seconds:.0f} s (bucle abierto), cada uno "
        f"entregado dos veces (el mismo cuerpo otra vez {REDELIVERY_DELAY} s después), cada mensaje de su propio "
        "remitente; el acuse se cuenta desde el momento en que tocaba enviar el POST hasta su respuesta completa "
        "(cliente asyncio que reutiliza conexiones persistentes, hasta 256)",
        "- **Referencia:** POST con firma incorrecta (403: mismo servidor; lo responde Django, sin base de datos) "
        f"a {2 * args.rate}/s durante 5 s, en la misma corrida",
        "- **CPU:** «CPU web» es el tiempo de CPU de los procesos del servidor durante la ráfaga por POST; "
        "«CPU worker» el del proceso `manage.py worker` (y sus hijos) desde la ráfaga hasta la última respuesta, "
        "por mensaje respondido (sin PostgreSQL ni Redis)",
        "",
        "| Pila | Carga media (1/5/15 min) | POST | Acuse p50 ms | p95 ms | máx. ms | Ref. p95 ms "
        "| p95 ÷ ref. | No 200 | Respondidos una vez | Sin respuesta | Respuestas de más | Todo respondido a los "
        "| CPU web ms/POST | CPU worker ms/respuesta |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lat, ref = row["latencies"], row["ref"]
        others = sum(row["others"].values())
        detail = f" ({', '.join(f'{k}: {v}' for k, v in row['others'].items())})" if others else ""
        lines.append(
            f"| {row['label']} | {'/'.join(f'{x:.1f}' for x in row['load'])} | {row['posts']} "
            f"| {percentile(lat, 50):.1f} | {percentile(lat, 95):.1f} | {max(lat, default=float('nan')):.1f} "
            f"| {percentile(ref, 95):.1f} | {percentile(lat, 95) / percentile(ref, 95):.2f}× | {others}{detail} "
            f"| {row['once']} de {row['total']} | {row['none']} | {row['twice']} | {row['answered_s']:.0f} s "
            f"| {row['web_cpu_ms']:.2f} | {row['worker_cpu_ms']:.1f} |"
        )
    lines += [
        "",
        "Objetivo (issue 12): p95 ≤ 20 ms en PostgreSQL + Redis y ≤ 100 ms en la pila embebida; 0 respuestas "
        "distintas de 200; cada mensaje respondido exactamente una vez. La máquina (2 núcleos) es compartida con "
        "las pruebas de otras personas: la carga media de la tabla es la del momento de la medición, y con carga "
        "alta las latencias suben aunque el portal no cambie; las cifras de CPU dependen menos de ello.",
        "",
        f"Duración total: {time.monotonic() - started:.0f} s.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--only", choices=["embedded", "postgres"])
    parser.add_argument("--no-write", action="store_true", help="no escribir bench/results.md")
    parser.add_argument("--repeat", type=int, default=1, help="corridas por pila (una fila cada una)")
    args = parser.parse_args()
    started = time.monotonic()
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "") or "redis://127.0.0.1:6379/0"
    stacks = []
    if args.only in (None, "embedded"):
        stacks.append(("SQLite + cola en la base (embebida)", "", ""))
    if args.only in (None, "postgres"):
        if urlsplit(database_url).scheme.startswith("postgres"):
            stacks.append(("PostgreSQL + Redis", database_url, redis_url))
        else:
            say("DATABASE_URL no es PostgreSQL: solo la pila embebida")
    graph = GraphStandIn()
    server = " ".join(
        subprocess.run(
            [PY, "-c", "import ayni.server as s; print(getattr(s, 'WORKER_CLASS', 'daphne'))"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.split()
    )
    server = f"`python -m ayni.server`: {'gunicorn + uvicorn' if server != 'daphne' else 'daphne'}"
    rows = []
    try:
        for n, (label, db_url, r_url) in enumerate(stacks):
            for repeat in range(max(1, args.repeat)):
                say(f"→ {label} ({repeat + 1}/{max(1, args.repeat)})")
                with Stack(label, graph.url, db_url, r_url) as stack:
                    run = f"{n}{repeat}{int(time.time()) % 100:02d}"
                    rows.append(run_stack(stack, graph, args.rate, args.seconds, run=run))
    finally:
        graph.close()
    section = report(rows, args, started, server)
    print(section)
    if not args.no_write:
        write_section(section)
    bad = [r for r in rows if sum(r["others"].values()) or r["none"] or r["twice"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
