"""Supports per second and p95 latency at 1, 10 and 50 concurrent users (PostgreSQL).

For each concurrency level the script creates a fresh proposal and N users; every
user sends its support, spread over C threads, each with its own database
connection, through the real service ``participation.services.proposal_support``
(unique constraint + the supporter's counter row + the proposal's copy of the
count + live-count broadcast after commit), and then sends it again (the repeat
must change nothing; timed apart). The reference is a bare ``INSERT`` of the same
rows into the same table with the same concurrency, measured in the same run.
At the end of each level, after the worker's roll-up of the counts, it checks
them: lost or doubled supports must be 0.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ayni .venv/bin/python bench/supports.py [--users 300] [--no-write]

It creates a temporary database ``ayni_bench_supports_<pid>`` next to the one in
DATABASE_URL, migrates the project into it and drops it at the end.
Writes the "## Apoyos (bench/supports.py)" section of bench/results.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
HEADING = "## Apoyos (bench/supports.py)"
sys.path.insert(0, str(ROOT))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def replace_section(text: str, heading: str, body: str) -> str:
    """Replace (or append) the section that starts with ``heading``; keep the others."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    block = [heading, "", *body.rstrip("\n").splitlines(), ""]
    if start is None:
        return text.rstrip("\n") + "\n\n" + "\n".join(block)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[:start] + block + lines[end:]).rstrip("\n") + "\n"


def _setup(db_name: str, base_url: str):
    import dj_database_url
    import psycopg

    admin = dj_database_url.parse(base_url)
    conninfo = dict(
        host=admin["HOST"] or "127.0.0.1", port=admin["PORT"] or 5432, user=admin["USER"], dbname="postgres"
    )
    if admin.get("PASSWORD"):
        conninfo["password"] = admin["PASSWORD"]
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    url = base_url.rsplit("/", 1)[0] + "/" + db_name
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ayni.settings.test"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # all apps: saving a proposal refreshes its search document
    return conninfo


def _teardown(conninfo: dict, db_name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _run(calls, concurrency: int) -> tuple[float, list[float]]:
    from django.db import connections

    chunks = [calls[i::concurrency] for i in range(concurrency)]
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)

    def worker(chunk):
        mine = []
        try:
            barrier.wait()
            for call in chunk:
                started = time.perf_counter()
                call()
                mine.append(time.perf_counter() - started)
        finally:
            connections.close_all()
            with lock:
                latencies.extend(mine)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(worker, chunk) for chunk in chunks]
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - started
    return elapsed, latencies


def bench_level(concurrency: int, users: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from participation import services
    from participation.models import Profile, Proposal, ProposalCategory, Support

    User = get_user_model()
    category, _ = ProposalCategory.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    author = User.objects.create_user(username=f"autor-{concurrency}-{time.time_ns()}")
    people = User.objects.bulk_create(
        [User(username=f"b{concurrency}-{n}-{time.time_ns()}", email=f"b{n}@x.bo") for n in range(users)]
    )
    Profile.objects.bulk_create([Profile(user=u, email_verified_at=timezone.now()) for u in people])
    people = list(User.objects.filter(pk__in=[u.pk for u in people]).select_related("participation_profile"))
    proposal = Proposal.objects.create(author=author, title="Bench", body="x" * 30, category=category)
    reference = Proposal.objects.create(author=author, title="Bench ref", body="x" * 30, category=category)

    # Reference: bare INSERT of the same rows, same concurrency, autocommit.
    table = Support._meta.db_table

    def bare(user_id):
        def call():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (proposal_id, user_id, level, created_at) VALUES (%s, %s, 'email', now())",
                    [reference.pk, user_id],
                )

        return call

    ref_elapsed, ref_lat = _run([bare(u.pk) for u in people], concurrency)

    # The service: every user supports once (the same rows as the reference), then
    # every user again (the repeat must change nothing), timed apart.
    calls = [lambda u=u: services.proposal_support(proposal=proposal, user=u) for u in people]
    elapsed, lat = _run(calls, concurrency)
    repeat_elapsed, repeat_lat = _run(calls, concurrency)
    # The worker's poll brings the proposal's copy of the count up to its counter rows.
    services.support_counts_rollup(proposal_ids=[proposal.pk])
    proposal.refresh_from_db()
    rows = Support.objects.filter(proposal=proposal).count()
    return {
        "concurrency": concurrency,
        "supports": users,
        "rate": users / elapsed,
        "p50": statistics.median(lat) * 1000,
        "p95": p95(lat) * 1000,
        "repeat_rate": users / repeat_elapsed,
        "repeat_p95": p95(repeat_lat) * 1000,
        "ref_rate": users / ref_elapsed,
        "ref_p95": p95(ref_lat) * 1000,
        "lost": max(0, users - rows),
        "doubled": max(0, rows - users) + abs(proposal.support_count - rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=300, help="users per concurrency level (each supports twice)")
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--no-write", action="store_true", help="do not touch bench/results.md")
    args = parser.parse_args()
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        print("bench/supports.py necesita DATABASE_URL=postgres://… (PostgreSQL).", file=sys.stderr)
        return 2
    db_name = f"ayni_bench_supports_{os.getpid()}"
    load = os.getloadavg()
    started = time.time()
    conninfo = _setup(db_name, base_url)
    try:
        rows = [bench_level(int(level), args.users) for level in args.levels.split(",")]
    finally:
        _teardown(conninfo, db_name)
    header = (
        "| Conc. | Apoyos | apoyos/s | p50 ms | p95 ms | INSERT solo filas/s | INSERT p95 ms "
        "| apoyos/s ÷ INSERT | repetidos/s | repetidos p95 ms | perdidos | duplicados |"
        "\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [
        f"| {r['concurrency']} | {r['supports']} | {r['rate']:.0f} | {r['p50']:.1f} "
        f"| {r['p95']:.1f} | {r['ref_rate']:.0f} | {r['ref_p95']:.1f} | {r['rate'] / r['ref_rate']:.2f}× "
        f"| {r['repeat_rate']:.0f} | {r['repeat_p95']:.1f} | {r['lost']} | {r['doubled']} |"
        for r in rows
    ]
    body = "\n".join(
        [
            f"- **Fecha:** {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- **Máquina:** {os.cpu_count()} CPU, Python {platform.python_version()}, "
            f"carga media al empezar {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}",
            "- **Base de datos:** PostgreSQL (base temporal), un hilo = una conexión",
            f"- **Medición:** por nivel, {args.users} usuarios verificados apoyan la misma propuesta "
            "con `participation.services.proposal_support` (apoyos/s); después todos repiten su apoyo, que no "
            "debe contar (repetidos/s, medido aparte); referencia: `INSERT` directo de las mismas filas en "
            "`participation_support` con la misma concurrencia, en la misma corrida. Perdidos y duplicados se "
            "cuentan tras la repetición y tras `support_counts_rollup` (el sondeo del worker)",
            f"- **Duración total:** {time.time() - started:.0f} s",
            "",
            header,
            *lines,
        ]
    )
    print(body)
    if not args.no_write:
        text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Resultados de rendimiento\n"
        RESULTS.write_text(replace_section(text, HEADING, body), encoding="utf-8")
    return 0 if all(r["lost"] == 0 and r["doubled"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
