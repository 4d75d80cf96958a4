"""The one way the portal's HTTP server is started: ``make run`` (bin/run.py), the
Dockerfile's CMD and docker-compose's web service all run this module, so the
server's arguments cannot drift between them (tests/security/test_access_log.py
runs the same command).

The process model (docs/DESIGN.md, "Serving"): gunicorn supervises several
worker processes, each an asyncio server (uvicorn) running the ASGI application
(pages, the JSON API, the WhatsApp webhook and the websockets). Under ASGI a
process runs every synchronous view and ORM call on one thread, so one process
does one dynamic request at a time: the portal scales with the number of
worker processes, ``WEB_CONCURRENCY`` (gunicorn's own variable; default: two
per core, at least 2). Websockets work across workers through the channel layer
(Redis when ``REDIS_URL`` is set; on the embedded default each page's live count
is also re-read from the database, see participation.consumers).

The rule (docs/DESIGN.md): the server writes no access log of its own. Its
access log line holds the client's address and port next to the full path and
query string, which for a tracking lookup or a denuncia ties the person to the
case. The portal's own access log (``ayni.access_log``) writes method, path,
status and duration without any client address. Client addresses for rate
limits come from ``ayni.clients`` (AYNI_TRUSTED_PROXIES), so the server is not
told to trust X-Forwarded-For either (no proxy headers, no forwarded IPs).

    python -m ayni.server [--bind HOST] [--port PORT] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import sys

from uvicorn_worker import UvicornWorker

APPLICATION = "ayni.asgi:application"
WORKER_CLASS = "ayni.server.AyniWorker"


class AyniWorker(UvicornWorker):
    """uvicorn inside gunicorn, without access log, proxy headers, lifespan or a Server header.

    Django's ASGI handler has no lifespan protocol; the access log and the proxy
    headers are off for the reasons in the module's docstring.
    """

    CONFIG_KWARGS = {
        "loop": "auto",
        "http": "auto",
        "ws": "auto",
        "lifespan": "off",
        "access_log": False,
        "proxy_headers": False,
        "server_header": False,
        # Chat frames over 1 MiB never reach the consumer (chatbot.consumers).
        "ws_max_size": 1024 * 1024,
    }

    def load_wsgi(self):
        """Load the application, then do the apps' warm-up (``ayni.warmup``) before serving."""
        super().load_wsgi()
        from ayni import warmup

        warmup.run()


def default_workers() -> int:
    """``WEB_CONCURRENCY`` if set, else two per core (at least 2): while one process waits
    on the database or an outside service, the other uses the core."""
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        return max(1, int(configured))
    return max(2, 2 * (os.cpu_count() or 1))


def server_command(host: str, port: int | str, *, workers: int | None = None, python: str | None = None) -> list[str]:
    """gunicorn with ``workers`` uvicorn processes, no access log, warnings only on stderr."""
    return [
        python or sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        WORKER_CLASS,
        "--workers",
        str(workers or default_workers()),
        "--bind",
        f"{host}:{port}",
        # No --access-logfile: gunicorn writes no access log without it.
        "--error-logfile",
        "-",
        "--log-level",
        "warning",
        # A worker busy longer than this (a stuck request) is restarted; websockets do not count.
        "--timeout",
        os.environ.get("WEB_TIMEOUT", "60"),
        "--graceful-timeout",
        "20",
        "--keep-alive",
        "5",
        # Do not trust X-Forwarded-* from anybody (ayni.clients decides from AYNI_TRUSTED_PROXIES).
        "--forwarded-allow-ips",
        "",
        APPLICATION,
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Ayni's HTTP server (gunicorn + uvicorn workers, no access log).")
    parser.add_argument("--bind", default=os.environ.get("AYNI_HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("AYNI_PORT", "8000"))
    parser.add_argument("--workers", type=int, default=None, help="default: WEB_CONCURRENCY or two per core")
    args = parser.parse_args(argv)
    command = server_command(args.bind, args.port, workers=args.workers)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
