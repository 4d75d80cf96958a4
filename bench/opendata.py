"""Open data benchmark: the CKAN bridge against bare ckanapi, downloads against a static file.

1. Starts (or reuses) the real CKAN of ``opendata/ckan/dev/run_ckan.sh``.
2. Prepares a throwaway portal (``AYNI_VAR_DIR`` in a tempdir, embedded SQLite,
   ``portal_setup --no-demo``), creates N datasets with one small CSV each.
3. Times publishing them to CKAN through the bridge (``ckan_sync --all``,
   ``CKAN_SYNC_WORKERS`` datasets at once) and the same work done with bare
   sequential ckanapi calls (package_create + resource_create with the same
   file: the reference, timed before and after the bridge and averaged), and
   with bare ckanapi from as many threads as the bridge uses (for
   information); then a resync with no change (bridge:
   content hash, no HTTP) against bare ``package_show`` of every package (the
   least a naive client must do to find out).
4. Uploads a 10 MB CSV as a resource, starts the portal under one server
   (gunicorn if installed, else daphne) and measures download throughput of
   ``/datos/<slug>/<resource>.csv`` against a 10 MB static file served by the
   same server (whitenoise) in the same run.
5. Prints the table and replaces the ``## Datos abiertos (bench/opendata.py)``
   section of ``bench/results.md``.

    .venv/bin/python bench/opendata.py [--datasets 100] [--downloads 5] [--no-write]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
RESULTS = ROOT / "bench" / "results.md"
TITLE = "## Datos abiertos (bench/opendata.py)"


def say(message: str) -> None:
    print(message, flush=True)


def replace_section(text: str, section: str) -> str:
    lines, out, skipping, done = text.splitlines(), [], False, False
    for line in lines:
        if line.strip() == TITLE:
            skipping, done = True, True
            out.extend(section.rstrip().splitlines())
            continue
        if skipping and line.startswith(("## ", "# ")):
            skipping = False
            out.append("")  # the blank line before the next section was skipped with ours
        if not skipping:
            out.append(line)
    if not done:
        out.extend(["", *section.rstrip().splitlines()])
    return "\n".join(out).rstrip() + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def small_csv(i: int) -> bytes:
    rows = "".join(f"{n},distrito {n},{(n * 37 + i) % 1000}.5\n" for n in range(1, 51))
    return f"id,nombre,monto\n{rows}".encode()


def big_csv(size: int) -> bytes:
    out, n = io.StringIO(), 0
    out.write("id,fecha,distrito,concepto,monto\n")
    while out.tell() < size:
        n += 1
        day = f"2024-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
        out.write(f"{n},{day},Distrito {n % 14 + 1},Concepto número {n % 97},{n * 1.25:.2f}\n")
    return out.getvalue().encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--downloads", type=int, default=5)
    parser.add_argument("--mb", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    started_at = time.monotonic()
    load_start = os.getloadavg()

    from opendata.ckan.dev.server import ensure_ckan, stop_ckan

    say("→ CKAN real (run_ckan.sh) …")
    ckan = ensure_ckan()
    var_dir = Path(tempfile.mkdtemp(prefix="ayni-bench-opendata-"))
    server = None
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(
            AYNI_VAR_DIR=str(var_dir),
            DJANGO_SETTINGS_MODULE="ayni.settings.dev",
            CKAN_URL=ckan.url,
            CKAN_API_TOKEN=ckan.token,
            CKAN_ORGANIZATION=ckan.organization,
            ALLOWED_HOSTS="127.0.0.1,localhost",
        )
        say("→ portal_setup --no-demo en un directorio temporal …")
        subprocess.run(
            [PY, "manage.py", "portal_setup", "--no-demo"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        os.environ.update(env)
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        import ckanapi
        from django.conf import settings

        from opendata import services
        from opendata.ckan import services as ckan_services

        run = uuid.uuid4().hex[:6]
        settings.CKAN_URL = ""  # create without queueing, then time the sync alone
        say(f"→ {args.datasets} conjuntos con un CSV de 50 filas cada uno …")
        for i in range(args.datasets):
            dataset = services.dataset_create(
                title=f"Conjunto de prueba {i}", slug=f"bench-{run}-{i}", tags=["bench"], publish=True
            )
            resource = services.resource_create(dataset=dataset, slug="datos", title="Datos")
            services.resource_version_upload(resource=resource, filename="datos.csv", data=small_csv(i))
        settings.CKAN_URL = ckan.url

        remote = ckanapi.RemoteCKAN(ckan.url, apikey=ckan.token)
        import requests

        # HTTP/1.1 answers: a threaded CKAN (keep-alive, requests side by side); HTTP/1.0: one at a time.
        keep_alive = requests.get(f"{ckan.url}/api/3/action/status_show", timeout=30).raw.version == 11

        def bare_sequential(tag: str) -> float:
            say(f"→ lo mismo con ckanapi directo, secuencial ({tag}: package_create + resource_create) …")
            t = time.perf_counter()
            for i in range(args.datasets):
                package = remote.action.package_create(
                    name=f"bare-{run}-{tag}-{i}",
                    title=f"Conjunto de prueba {i}",
                    owner_org=ckan.organization,
                    license_id="cc-by",
                    tags=[{"name": "bench"}],
                )
                upload = io.BytesIO(small_csv(i))
                upload.name = "datos.csv"
                remote.action.resource_create(package_id=package["id"], name="Datos", format="CSV", upload=upload)
            elapsed = time.perf_counter() - t
            say(f"  {elapsed:.1f} s")
            return elapsed

        # The reference runs before and after the bridge: the mean cancels a drift of the machine's load.
        bare_before = bare_sequential("antes")
        say("→ publicar por el puente (ckan_sync --all) …")
        t = time.perf_counter()
        report = ckan_services.ckan_sync(all_datasets=True)
        bridge_publish = time.perf_counter() - t
        assert report.failed == 0 and report.sent == args.datasets, report.errors
        say(f"  {bridge_publish:.1f} s")
        bare_after = bare_sequential("despues")
        bare_publish = (bare_before + bare_after) / 2

        from concurrent.futures import ThreadPoolExecutor

        from opendata.ckan.client import http_session, sync_workers

        workers = sync_workers()
        say(f"→ lo mismo con ckanapi directo desde {workers} hilos (una sesión) …")
        shared = ckanapi.RemoteCKAN(ckan.url, apikey=ckan.token, session=http_session(connections=workers))

        def bare_one(i: int) -> None:
            package = shared.action.package_create(
                name=f"hilos-{run}-{i}",
                title=f"Conjunto de prueba {i}",
                owner_org=ckan.organization,
                license_id="cc-by",
                tags=[{"name": "bench"}],
            )
            upload = io.BytesIO(small_csv(i))
            upload.name = "datos.csv"
            shared.action.resource_create(package_id=package["id"], name="Datos", format="CSV", upload=upload)

        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(bare_one, range(args.datasets)))
        bare_parallel = time.perf_counter() - t
        say(f"  {bare_parallel:.1f} s")

        say("→ resincronizar sin cambios …")
        t = time.perf_counter()
        report = ckan_services.ckan_sync(all_datasets=True)
        bridge_resync = time.perf_counter() - t
        assert report.sent == 0 and report.failed == 0
        t = time.perf_counter()
        for i in range(args.datasets):
            remote.action.package_show(id=f"bare-{run}-antes-{i}")
        bare_resync = time.perf_counter() - t
        say(f"  puente {bridge_resync:.2f} s; package_show × {args.datasets}: {bare_resync:.2f} s")

        say(f"→ CSV de {args.mb} MB y archivo estático del mismo tamaño …")
        settings.CKAN_URL = ""
        data = big_csv(args.mb * 1024 * 1024)
        dataset = services.dataset_create(title="Descarga grande", slug=f"grande-{run}", publish=True)
        resource = services.resource_create(dataset=dataset, slug="movimientos", title="Movimientos")
        services.resource_version_upload(resource=resource, filename="movimientos.csv", data=data)
        static_dir = Path(settings.STATIC_ROOT) / "bench"
        static_dir.mkdir(parents=True, exist_ok=True)
        (static_dir / "grande.csv").write_bytes(data)

        import importlib.util

        port = free_port()
        if importlib.util.find_spec("gunicorn"):
            server_name = "gunicorn (WSGI, 1 proceso × 4 hilos)"
            command = [
                str(ROOT / ".venv/bin/gunicorn"),
                "-b",
                f"127.0.0.1:{port}",
                "-k",
                "gthread",
                "--no-control-socket",  # another gunicorn on the machine may hold the default one
                "--threads",
                "4",
                "-w",
                "1",
                "ayni.wsgi:application",
            ]
        else:
            server_name = "daphne (ASGI)"
            command = [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(port), "ayni.asgi:application"]
        log = open(var_dir / "server.log", "w")
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        import requests

        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if requests.get(f"{base}/health/", timeout=2).status_code < 500:
                    break
            except requests.RequestException:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
        if server.poll() is not None:
            log.flush()
            raise RuntimeError(f"{server_name} did not start:\n{(var_dir / 'server.log').read_text()[-3000:]}")

        def throughput(path: str) -> tuple[float, int]:
            rates, size = [], 0
            requests.get(base + path, timeout=120).raise_for_status()  # warm-up (export written on first request)
            for _ in range(args.downloads):
                t = time.perf_counter()
                with requests.get(base + path, stream=True, timeout=120) as response:
                    response.raise_for_status()
                    size = sum(len(chunk) for chunk in response.iter_content(1024 * 1024))
                rates.append(size / (time.perf_counter() - t) / 1_048_576)
            return statistics.median(rates), size

        portal_rate, portal_size = throughput(f"/datos/grande-{run}/movimientos.csv")
        static_rate, static_size = throughput("/static/bench/grande.csv")
        say(f"  portal {portal_rate:.1f} MB/s, estático {static_rate:.1f} MB/s")

        rows = [
            (
                f"Publicar {args.datasets} conjuntos en CKAN",
                f"{bridge_publish:.1f} s",
                f"{bare_publish:.1f} s (ckanapi secuencial: package_create + resource_create; media de "
                f"{bare_before:.1f} s antes y {bare_after:.1f} s después del puente)",
                f"{bridge_publish / bare_publish:.2f}×",
            ),
            (
                f"Publicar {args.datasets} conjuntos en CKAN, en paralelo",
                f"{bridge_publish:.1f} s ({workers} a la vez)",
                f"{bare_parallel:.1f} s (ckanapi desde {workers} hilos, una sesión; informativo)",
                f"{bridge_publish / bare_parallel:.2f}×",
            ),
            (
                f"Resincronizar {args.datasets} sin cambios",
                f"{bridge_resync:.2f} s (0 envíos)",
                f"{bare_resync:.2f} s (ckanapi: package_show × {args.datasets})",
                f"{bridge_resync / bare_resync:.3f}×",
            ),
            (
                f"Descargar CSV de {portal_size / 1_048_576:.1f} MB",
                f"{portal_rate:.1f} MB/s",
                f"{static_rate:.1f} MB/s (archivo estático de {static_size / 1_048_576:.1f} MB, whitenoise)",
                f"{portal_rate / static_rate:.2f}×",
            ),
        ]
        load_end = os.getloadavg()
        section = "\n".join(
            [
                TITLE,
                "",
                f"- **Fecha:** {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                f"- **Máquina:** {os.cpu_count()} CPU, Python {sys.version.split()[0]}, carga media al empezar "
                + "/".join(f"{x:.1f}" for x in load_start)
                + ", al terminar "
                + "/".join(f"{x:.1f}" for x in load_end),
                "- **CKAN:** 2.11 real en loopback (run_ckan.sh, sin Solr, `ckan run`"
                + (" con hilos, HTTP/1.1 keep-alive" if keep_alive else " sin hilos: una petición a la vez, HTTP/1.0")
                + "), "
                + ("arrancado por el script" if ckan.started else "reutilizado"),
                f"- **Portal:** SQLite embebida, almacenamiento en disco; servidor {server_name}; "
                f"{args.downloads} descargas por objetivo (mediana), cliente requests en la misma máquina",
                f"- **Duración total:** {time.monotonic() - started_at:.0f} s",
                "",
                "| Medición | Portal (puente) | Referencia en la misma ejecución | Cociente |",
                "|---|---|---|---|",
                *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
                "",
                "Cociente < 1 en tiempos = más rápido que la referencia; en MB/s, > 1 = más rápido. "
                f"El puente envía {workers} conjuntos a la vez (`CKAN_SYNC_WORKERS`) por una sola sesión HTTP; "
                "la referencia exigida es ckanapi secuencial (cociente ≤ 1,0). Un conjunto nuevo se crea sin "
                "`package_show` previo y uno ya publicado se actualiza por el id guardado; "
                "la resincronización sin cambios compara la huella del contenido y no llama a CKAN.",
            ]
        )
        say("\n" + section)
        if not args.no_write:
            RESULTS.write_text(
                replace_section(RESULTS.read_text() if RESULTS.exists() else "# Resultados de rendimiento\n", section)
            )
            say(f"→ escrito en {RESULTS.relative_to(ROOT)}")
        return 0
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        stop_ckan(ckan)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
