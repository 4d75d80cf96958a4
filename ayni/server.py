"""The one way the portal's ASGI server is started: ``make run`` (bin/run.py), the
Dockerfile's CMD and docker-compose's web service all run this module, so the
server's arguments cannot drift between them (tests/security/test_access_log.py
runs the same command).

The rule (docs/DESIGN.md): the server writes no access log of its own. Its
access log line holds the client's address and port next to the full path and
query string, which for a tracking lookup or a denuncia ties the person to the
case. The portal's own access log (``ayni.access_log``) writes method, path,
status and duration without any client address. Client addresses for rate
limits come from ``ayni.clients`` (AYNI_TRUSTED_PROXIES), so the server is not
told to trust X-Forwarded-For either (no ``--proxy-headers``).

    python -m ayni.server [--bind HOST] [--port PORT]
"""

from __future__ import annotations

import argparse
import os
import sys

APPLICATION = "ayni.asgi:application"


def daphne_command(host: str, port: int | str, *, python: str | None = None) -> list[str]:
    """daphne with verbosity 0: no access log (daphne writes one at its default verbosity 1), warnings only."""
    return [python or sys.executable, "-m", "daphne", "--verbosity", "0", "-b", host, "-p", str(port), APPLICATION]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Ayni's ASGI server (daphne, without access log).")
    parser.add_argument("--bind", default=os.environ.get("AYNI_HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("AYNI_PORT", "8000"))
    args = parser.parse_args(argv)
    command = daphne_command(args.bind, args.port)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
