#!/usr/bin/env python
"""Benchmark: a guide page with and without the page cache, against a static file.

    python bench/pages.py [--seconds 6] [--warmup 2] [--concurrency 1,10,50]

1. Prepares a throwaway var dir (``AYNI_VAR_DIR`` in a tempdir) with
   ``manage.py portal_setup``: embedded SQLite, or — when ``DATABASE_URL``
   points to PostgreSQL — a throwaway database on that server, dropped at
   the end.
2. Starts the portal's own server (``ayni.server``: gunicorn with ``--workers``
   uvicorn processes, default as in production: ``WEB_CONCURRENCY`` or two per
   core) twice, with ``AYNI_PAGE_CACHE_SECONDS=0`` and with the cache on, plus
   an extra row of gunicorn (WSGI, threads) with the cache on
   (``--no-gunicorn`` skips it). The static file is served the fastest way this
   stack serves one without its proxy: whitenoise, in the same server.
3. For each server loads the guide page and the hashed ``ayni.css`` with 1, 10
   and 50 concurrent keep-alive clients (a small asyncio HTTP/1.1 client in
   this file: no external tool), after a warm-up, for ``--seconds`` each.
4. Prints a table and replaces the ``## Páginas (bench/pages.py)`` section of
   ``bench/results.md``, keeping every other section.

Every server is stopped on exit, Ctrl-C or error. Only the standard library is
used by the measuring side (``psycopg`` only for a PostgreSQL ``DATABASE_URL``),
so ``tests/test_bench_pages.py`` can import this module cheaply.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import datetime as dt
import http.client
import importlib.util
import json
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = "127.0.0.1"
SECTION_TITLE = "## Páginas (bench/pages.py)"
RESULTS_PATH = ROOT / "bench" / "results.md"
RESULTS_PREAMBLE = "# Resultados de rendimiento\n\nCada script de `bench/` reescribe solo su propia sección.\n"
DEFAULT_GUIDE = "/tramites/licencia-de-funcionamiento/"
STATIC_NAME = "css/ayni.css"

TARGET_STATIC = "archivo estático"
TARGET_GUIDE_UNCACHED = "guía sin caché"
TARGET_GUIDE_CACHED = "guía con caché"


def say(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------
# Statistics and formatting (unit-tested in tests/test_bench_pages.py)
# --------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0–100) with linear interpolation between ranks.

    Same definition as numpy's default ("linear"); NaN for no values.
    """
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(value: float | None, reference: float | None) -> float | None:
    """value / reference, or None when either is missing, NaN or the reference is 0."""
    if value is None or reference is None:
        return None
    if math.isnan(value) or math.isnan(reference) or reference == 0:
        return None
    return value / reference


def fmt_ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "—"
    ms = seconds * 1000
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 1000 else f"{ms:.0f}"


def fmt_rate(rate: float) -> str:
    return f"{rate:.1f}" if rate < 100 else f"{rate:.0f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 10:
        return f"{value:.1f}×"
    if value >= 0.1:
        return f"{value:.2f}×"
    return f"{value:.3f}×"


def fmt_cpu(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table padded so that it also reads well in a terminal."""
    rows = [list(map(str, row)) for row in rows]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, expected {len(headers)}: {row}")
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out) + "\n"


def replace_section(text: str, title: str, section: str) -> str:
    """Replace the level-2 section headed ``title`` (up to the next ``# ``/``## ``
    heading outside a code fence) with ``section``; append it if absent.

    Everything else in ``text`` is kept byte for byte.
    """
    section = section.rstrip("\n") + "\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == title), None)
    if start is None:
        if not text.strip():
            return section
        return text.rstrip("\n") + "\n\n" + section
    end = len(lines)
    in_fence = False
    for i in range(start + 1, len(lines)):
        stripped = lines[i].lstrip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and (stripped.startswith("## ") or stripped.startswith("# ")):
            end = i
            break
    before = "".join(lines[:start])
    after = "".join(lines[end:])
    if after:
        section += "\n"
    return before + section + after


def update_results_file(path: Path, section: str, title: str = SECTION_TITLE) -> None:
    """Rewrite only our section of ``path`` under an exclusive lock (other
    bench scripts may update their own sections of the same file)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            text = handle.read()
            if not text.strip():
                text = RESULTS_PREAMBLE
            new = replace_section(text, title, section)
            handle.seek(0)
            handle.write(new)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------


@dataclass
class Measurement:
    server: str
    target: str
    kind: str  # "static" or "guide"
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: int = 0
    error_kinds: Counter = field(default_factory=Counter)
    cache: Counter = field(default_factory=Counter)  # X-Ayni-Cache values seen
    server_cpu: float | None = None  # fraction of one core
    client_cpu: float | None = None

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds > 0 else math.nan

    @property
    def cpu_per_request(self) -> float | None:
        """Server CPU seconds per successful request: less sensitive than req/s
        to other processes competing for the same cores."""
        if self.server_cpu is None or not self.latencies:
            return None
        return self.server_cpu * self.seconds / len(self.latencies)


TABLE_HEADERS = [
    "Servidor",
    "Objetivo",
    "Conc.",
    "p50 ms",
    "p95 ms",
    "req/s",
    "Errores",
    "req/s ÷ estático",
    "p50 ÷ estático",
    "p95 ÷ estático",
    "CPU servidor",
    "CPU ms/pet.",
    "CPU cliente",
]


def static_reference(measurements: Sequence[Measurement], m: Measurement) -> Measurement | None:
    """The static-file measurement of the same server at the same concurrency."""
    for other in measurements:
        if other.kind == "static" and other.server == m.server and other.concurrency == m.concurrency:
            return other
    return None


def table_rows(measurements: Sequence[Measurement]) -> list[list[str]]:
    rows = []
    for m in measurements:
        ref = static_reference(measurements, m)
        rows.append(
            [
                m.server,
                m.target,
                str(m.concurrency),
                fmt_ms(m.p50),
                fmt_ms(m.p95),
                fmt_rate(m.rate),
                str(m.errors),
                fmt_ratio(ratio(m.rate, ref.rate) if ref else None),
                fmt_ratio(ratio(m.p50, ref.p50) if ref else None),
                fmt_ratio(ratio(m.p95, ref.p95) if ref else None),
                fmt_cpu(m.server_cpu),
                "—" if m.cpu_per_request is None else fmt_ms(m.cpu_per_request),
                fmt_cpu(m.client_cpu),
            ]
        )
    return rows


def render_section(measurements: Sequence[Measurement], info: dict[str, str], notes: Sequence[str] = ()) -> str:
    out = [SECTION_TITLE, ""]
    out += [f"- **{key}:** {value}" for key, value in info.items()]
    out += [
        "",
        markdown_table(TABLE_HEADERS, table_rows(measurements)).rstrip("\n"),
        "",
        "Los cocientes comparan con el archivo estático servido por el mismo servidor, en la misma "
        "ejecución y con la misma concurrencia (req/s ÷ estático = 1 significa «tan rápido como el "
        "estático»; p50 ÷ estático = 10 significa «latencia 10 veces mayor»). CPU en % de un núcleo; "
        "«CPU ms/pet.» es el tiempo de CPU del servidor por petición servida, la cifra que menos depende "
        "de otros procesos que compitan por los núcleos.",
    ]
    if notes:
        out += [""] + [f"- {note}" for note in notes]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# Load generator: asyncio HTTP/1.1 with keep-alive, closed loop
# --------------------------------------------------------------------------


class HTTPError(Exception):
    pass


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes], int, bool]:
    """Read one response; returns (status, headers, body size, keep-alive)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise HTTPError(f"bad status line {lines[0][:80]!r}")
    status = int(parts[1])
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
    keep_alive = headers.get(b"connection", b"").lower() != b"close" and parts[0] == b"HTTP/1.1"
    if b"content-length" in headers:
        size = int(headers[b"content-length"])
        await reader.readexactly(size)
    elif b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        size = 0
        while True:
            chunk_line = await reader.readuntil(b"\r\n")
            length = int(chunk_line.split(b";", 1)[0].strip(), 16)
            if length == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                break
            await reader.readexactly(length + 2)
            size += length
    else:
        size = len(await reader.read())
        keep_alive = False
    return status, headers, size, keep_alive


def build_request(host: str, port: int, path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: ayni-bench/1\r\n"
        "Accept: text/html,text/css,*/*\r\nAccept-Language: es\r\n\r\n"
    ).encode("ascii")


async def fetch_once(host: str, port: int, path: str, timeout: float = 30) -> tuple[int, dict[bytes, bytes], int]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(build_request(host, port, path))
        status, headers, size, _ = await asyncio.wait_for(read_response(reader), timeout)
        return status, headers, size
    finally:
        writer.close()


async def run_load(
    host: str,
    port: int,
    path: str,
    concurrency: int,
    warmup: float,
    seconds: float,
    measurement: Measurement,
    timeout: float = 30,
) -> Measurement:
    """``concurrency`` clients each send requests back to back on a keep-alive
    connection. Requests completing during the warm-up are discarded; the ones
    completing inside the measuring window are recorded."""
    request = build_request(host, port, path)
    begin = time.perf_counter()
    window_start = begin + warmup
    window_end = window_start + seconds

    def in_window(t: float) -> bool:
        return window_start <= t <= window_end

    async def client() -> None:
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while time.perf_counter() < window_end:
                try:
                    if conn is None:
                        conn = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
                    reader, writer = conn
                    t0 = time.perf_counter()
                    writer.write(request)
                    status, headers, _size, keep_alive = await asyncio.wait_for(read_response(reader), timeout)
                    t1 = time.perf_counter()
                except (
                    OSError,
                    TimeoutError,
                    asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError,
                    HTTPError,
                    ValueError,
                ) as exc:
                    if in_window(time.perf_counter()):
                        measurement.errors += 1
                        measurement.error_kinds[type(exc).__name__] += 1
                    if conn is not None:
                        conn[1].close()
                        conn = None
                    await asyncio.sleep(0.01)
                    continue
                if in_window(t1):
                    if status == 200:
                        measurement.latencies.append(t1 - t0)
                    else:
                        measurement.errors += 1
                        measurement.error_kinds[f"HTTP {status}"] += 1
                    measurement.cache[headers.get(b"x-ayni-cache", b"-").decode("latin-1")] += 1
                if not keep_alive:
                    conn[1].close()
                    conn = None
        finally:
            if conn is not None:
                conn[1].close()

    async with asyncio.timeout(warmup + seconds + timeout + 5), asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(client())
    return measurement


# --------------------------------------------------------------------------
# Processes: CPU accounting, servers
# --------------------------------------------------------------------------


def session_cpu_seconds(session_id: int) -> float | None:
    """User+system CPU seconds of every live process in a session (Linux /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields[0] is field 3 (state): session is field 6, utime 14, stime 15.
        if int(fields[3]) == session_id:
            total += int(fields[11]) + int(fields[12])
    return total / tick


_RUNNING: list[Server] = []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class ServerSpec:
    label: str
    kind: str  # "ayni" (ayni.server) or "gunicorn" (WSGI, threads)
    cache_seconds: int
    guide_target: str
    gunicorn_workers: int = 1
    gunicorn_threads: int = 4
    workers: int = 2

    def command(self, port: int, log: Path) -> list[str]:
        if self.kind == "ayni":
            sys.path.insert(0, str(ROOT))
            from ayni.server import server_command

            return server_command(HOST, port, workers=self.workers, python=PY)
        return [
            PY, "-m", "gunicorn", "-k", "gthread", "-w", str(self.gunicorn_workers),
            "--threads", str(self.gunicorn_threads), "-b", f"{HOST}:{port}",
            "--access-logfile", "-", "ayni.wsgi:application",
        ]  # fmt: skip


class Server:
    """A server subprocess in its own session, stopped (SIGTERM, then SIGKILL)
    when the ``with`` block ends for any reason."""

    def __init__(self, spec: ServerSpec, env: dict[str, str], log_dir: Path):
        self.spec = spec
        self.port = free_port()
        self.env = {**env, "AYNI_PAGE_CACHE_SECONDS": str(spec.cache_seconds)}
        self.log_path = log_dir / f"server-{spec.kind}-{spec.cache_seconds}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        say(f"→ Arrancando {self.spec.label} en http://{HOST}:{self.port}/ …")
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.spec.command(self.port, self.log_path),
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        _RUNNING.append(self)
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def wait_ready(self, timeout: float = 180) -> None:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.spec.label} terminó con código {self.process.returncode}\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/health/")
                if conn.getresponse().status == 200:
                    conn.close()
                    say(f"  listo en {time.monotonic() - started:.1f} s")
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.spec.label} no respondió en {timeout:.0f} s\n{self.log_tail()}")

    def cpu_seconds(self) -> float | None:
        return session_cpu_seconds(self.process.pid) if self.process else None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self in _RUNNING:
            _RUNNING.remove(self)
            say(f"  {self.spec.label} detenido")


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


# --------------------------------------------------------------------------
# Throwaway database and var dir
# --------------------------------------------------------------------------

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}


@dataclass
class Database:
    label: str
    url: str | None = None  # None: embedded SQLite in AYNI_VAR_DIR
    admin_url: str | None = None
    name: str | None = None

    def drop(self) -> None:
        if not self.name:
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            try:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
            except psycopg.errors.SyntaxError:  # PostgreSQL < 13
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.name)))
        say(f"  base de datos temporal {self.name} eliminada")
        self.name = None


def throwaway_database(database_url: str) -> Database:
    """Embedded SQLite unless DATABASE_URL is PostgreSQL: then a new database
    with a random name on that server (dropped by ``Database.drop``)."""
    if not database_url:
        return Database("SQLite embebida (directorio temporal)")
    parts = urllib.parse.urlsplit(database_url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        say("  DATABASE_URL es SQLite: se usa un archivo SQLite nuevo en el directorio temporal")
        return Database("SQLite embebida (directorio temporal)")
    if scheme not in POSTGRES_SCHEMES:
        raise SystemExit(f"DATABASE_URL con esquema «{scheme}» no está soportado por el benchmark")
    import psycopg
    from psycopg import sql

    name = f"ayni_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin_url = urllib.parse.urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = conn.info.server_version
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    host = parts.hostname or "socket local"
    major = version // 10000
    say(f"  base de datos temporal {name} creada en {host}")
    return Database(f"PostgreSQL {major} en {host} (base temporal)", url=url, admin_url=admin_url, name=name)


def run_portal_setup(env: dict[str, str]) -> None:
    say("→ portal_setup en el directorio temporal …")
    started = time.monotonic()
    process = subprocess.Popen(
        [PY, "manage.py", "portal_setup"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in process.stdout:
            line = line.rstrip()
            if line and "contraseña" not in line.lower() and "password" not in line.lower():
                say(f"  │ {line}")
        process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    if process.returncode:
        raise RuntimeError(f"portal_setup terminó con código {process.returncode}")
    say(f"  portal_setup: {time.monotonic() - started:.0f} s")


def static_url(var_dir: Path, name: str = STATIC_NAME) -> str:
    """The hashed URL of ``name`` from whitenoise's manifest (or the plain one)."""
    manifest = var_dir / "static" / "staticfiles.json"
    with contextlib.suppress(OSError, ValueError, KeyError):
        return "/static/" + json.loads(manifest.read_text())["paths"][name]
    return "/static/" + name


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def machine_info() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cpus = os.cpu_count()
    text = f"{cpus} CPU" + (f" ({model})" if model else "")
    text += f", {platform.system()} {platform.release()}, Python {platform.python_version()}"
    load = load_average()
    if load:
        text += f", carga media al empezar {load}"
    return text


def load_average() -> str:
    with contextlib.suppress(OSError, AttributeError):
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    return ""


def machine_busy() -> bool:
    """True when the 1-minute load exceeds the core count (other work competes)."""
    with contextlib.suppress(OSError, AttributeError):
        return os.getloadavg()[0] > (os.cpu_count() or 1)
    return False


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6, help="segundos medidos por punto (6)")
    parser.add_argument("--warmup", type=float, default=2, help="segundos de calentamiento por punto (2)")
    parser.add_argument("--concurrency", default="1,10,50", help="clientes simultáneos, separados por comas")
    parser.add_argument("--cache-seconds", type=int, default=600, help="AYNI_PAGE_CACHE_SECONDS con caché (600)")
    parser.add_argument("--guide", default=DEFAULT_GUIDE, help=f"ruta de la guía ({DEFAULT_GUIDE})")
    parser.add_argument("--workers", type=int, default=0, help="procesos web (por defecto: los de producción)")
    parser.add_argument("--no-gunicorn", action="store_true", help="sin la fila extra de gunicorn (WSGI)")
    parser.add_argument("--gunicorn-workers", type=int, default=1)
    parser.add_argument("--gunicorn-threads", type=int, default=4)
    parser.add_argument("--settings", default="ayni.settings.dev", help="DJANGO_SETTINGS_MODULE (ayni.settings.dev)")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="archivo de resultados")
    parser.add_argument("--no-write", action="store_true", help="no escribir el archivo de resultados")
    args = parser.parse_args(argv)
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    if not args.concurrency or min(args.concurrency) < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--concurrency, --seconds y --warmup deben ser positivos")
    if args.cache_seconds <= 0:
        parser.error("--cache-seconds debe ser > 0")
    return args


def server_specs(args: argparse.Namespace) -> list[ServerSpec]:
    if not args.workers:
        sys.path.insert(0, str(ROOT))
        from ayni.server import default_workers

        args.workers = default_workers()
    w = args.workers
    specs = [
        ServerSpec(f"ayni.server ({w} procesos), sin caché", "ayni", 0, TARGET_GUIDE_UNCACHED, workers=w),
        ServerSpec(
            f"ayni.server ({w} procesos), caché {args.cache_seconds} s",
            "ayni",
            args.cache_seconds,
            TARGET_GUIDE_CACHED,
            workers=w,
        ),
    ]
    if args.no_gunicorn:
        pass
    elif importlib.util.find_spec("gunicorn") is None:
        say("  (gunicorn no está instalado: sin la fila WSGI; `pip install gunicorn` para añadirla)")
    else:
        w, t = args.gunicorn_workers, args.gunicorn_threads
        specs.append(
            ServerSpec(
                f"extra: gunicorn (WSGI, {w}×{t} hilos), caché {args.cache_seconds} s",
                "gunicorn",
                args.cache_seconds,
                TARGET_GUIDE_CACHED,
                gunicorn_workers=w,
                gunicorn_threads=t,
            )
        )
    return specs


def measure(server: Server, path: str, target: str, kind: str, concurrency: int, args) -> Measurement:
    m = Measurement(server.spec.label, target, kind, concurrency, args.seconds)
    cpu_server_0 = None
    cpu_client_0 = 0.0

    async def go() -> None:
        nonlocal cpu_server_0, cpu_client_0
        # CPU is sampled over the measuring window only.
        task = asyncio.create_task(run_load(HOST, server.port, path, concurrency, args.warmup, args.seconds, m))
        await asyncio.sleep(args.warmup)
        cpu_server_0, cpu_client_0 = server.cpu_seconds(), time.process_time()
        await asyncio.sleep(args.seconds)
        cpu_server_1, cpu_client_1 = server.cpu_seconds(), time.process_time()
        if cpu_server_0 is not None and cpu_server_1 is not None:
            m.server_cpu = (cpu_server_1 - cpu_server_0) / args.seconds
        m.client_cpu = (cpu_client_1 - cpu_client_0) / args.seconds
        await task

    asyncio.run(go())
    extra = f", errores {dict(m.error_kinds)}" if m.errors else ""
    say(
        f"  {target:17} c={concurrency:<3} p50 {fmt_ms(m.p50):>7} ms  p95 {fmt_ms(m.p95):>7} ms  "
        f"{fmt_rate(m.rate):>6} req/s  CPU srv {fmt_cpu(m.server_cpu)} cli {fmt_cpu(m.client_cpu)}{extra}"
    )
    return m


def check_target(server: Server, path: str, kind: str) -> tuple[int, str]:
    """One request before measuring: status 200 or abort; returns (size, cache header)."""
    for _ in range(2):  # the second one shows whether the page cache hits
        status, headers, size = asyncio.run(fetch_once(HOST, server.port, path))
    if status != 200:
        raise RuntimeError(f"{server.spec.label}: GET {path} → HTTP {status}\n{server.log_tail()}")
    return size, headers.get(b"x-ayni-cache", b"-").decode("latin-1")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signals: list[int] = []

    def on_sigterm(signum, _frame):
        signals.append(signum)
        raise KeyboardInterrupt  # same clean-up path as Ctrl-C

    previous_sigterm = signal.signal(signal.SIGTERM, on_sigterm)
    specs = server_specs(args)
    points = len(specs) * 2 * len(args.concurrency)
    say(
        f"Benchmark de páginas: {len(specs)} servidores × 2 objetivos × {len(args.concurrency)} concurrencias, "
        f"~{points * (args.seconds + args.warmup):.0f} s de carga más la preparación"
    )
    measurements: list[Measurement] = []
    notes: list[str] = []
    sizes: dict[str, int] = {}
    database: Database | None = None
    started = time.monotonic()
    busy_at_start = machine_busy()
    info = {
        "Fecha": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "Máquina": machine_info(),
    }
    try:
        with tempfile.TemporaryDirectory(prefix="ayni-bench-") as tmp:
            var_dir = Path(tmp)
            say(f"→ Directorio temporal: {var_dir}")
            env = {
                **os.environ,
                "AYNI_VAR_DIR": str(var_dir),
                "DJANGO_SETTINGS_MODULE": args.settings,
                "DEBUG": "0",
                "PYTHONUNBUFFERED": "1",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
            }
            env.pop("DATABASE_URL", None)
            database = throwaway_database(os.environ.get("DATABASE_URL", "").strip())
            if database.url:
                env["DATABASE_URL"] = database.url
            cache_label = "diskcache en var/cache (compartida por los procesos del servidor)"
            if env.get("REDIS_URL", "").strip():
                prefix = f"ayni-bench-{secrets.token_hex(4)}"
                env["CACHE_KEY_PREFIX"] = env["CHANNELS_PREFIX"] = prefix
                cache_label = f"Redis (REDIS_URL, prefijo {prefix})"
            run_portal_setup(env)
            static_path = static_url(var_dir)
            for spec in specs:
                with Server(spec, env, var_dir) as server:
                    targets = [(static_path, TARGET_STATIC, "static"), (args.guide, spec.guide_target, "guide")]
                    for path, target, kind in targets:
                        size, cache_header = check_target(server, path, kind)
                        sizes[target] = size
                        if kind == "guide":
                            expected = "hit" if spec.cache_seconds else "-"
                            if cache_header != expected:
                                notes.append(
                                    f"⚠ {spec.label}: X-Ayni-Cache «{cache_header}» en la 2.ª petición "
                                    f"(se esperaba «{expected}»)"
                                )
                                say(f"  ⚠ {notes[-1]}")
                    for concurrency in args.concurrency:
                        for path, target, kind in targets:
                            measurements.append(measure(server, path, target, kind, concurrency, args))
                    guide_cache = Counter()
                    for m in measurements:
                        if m.server == spec.label and m.kind == "guide":
                            guide_cache.update(m.cache)
                    total = sum(guide_cache.values()) or 1
                    seen = ", ".join(f"{k} {v / total:.0%}" for k, v in guide_cache.most_common())
                    notes.append(f"{spec.label}: X-Ayni-Cache de la guía durante la medición: {seen or 'nada'}")
    except KeyboardInterrupt:
        say("\nInterrumpido: se detienen los servidores; no se escribe ningún resultado.")
        return 143 if signals else 130
    finally:
        _stop_all()
        if database is not None:
            try:
                database.drop()
            except Exception as exc:  # report it and go on
                say(f"  ⚠ no se pudo borrar la base temporal {database.name}: {exc}")
        signal.signal(signal.SIGTERM, previous_sigterm)

    info["Base de datos"] = database.label
    info["Caché de páginas"] = cache_label
    info["Medición"] = (
        f"{args.warmup:g} s de calentamiento + {args.seconds:g} s medidos por punto; cliente asyncio HTTP/1.1 "
        "keep-alive en bucle cerrado, en la misma máquina (comparte los núcleos con el servidor); "
        f"sin Accept-Encoding; ayni.server con {args.workers} procesos uvicorn, sin registro de accesos del "
        "servidor (el del portal va a la salida)"
    )
    info["Objetivos"] = (
        f"guía `{args.guide}` ({sizes.get(TARGET_GUIDE_CACHED, sizes.get(TARGET_GUIDE_UNCACHED, 0))} B), "
        f"archivo estático `{static_path}` ({sizes.get(TARGET_STATIC, 0)} B, whitenoise)"
    )
    info["Duración total"] = f"{time.monotonic() - started:.0f} s (carga media al terminar {load_average() or '?'})"
    if busy_at_start or machine_busy():
        notes.insert(
            0,
            "⚠ La carga media superó el número de núcleos: otros procesos competían por la CPU, así que "
            "req/s y latencias absolutas salen peores de lo normal y ruidosas; los cocientes dentro de la "
            "ejecución y «CPU ms/pet.» son más fiables.",
        )
    section = render_section(measurements, info, notes)
    say("")
    say(section)
    if not args.no_write:
        update_results_file(args.output, section)
        say(f"Escrito en {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
