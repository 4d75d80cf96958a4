#!/usr/bin/env python
"""`make run`: prepare the portal, then run the ASGI server and the task worker.

Ctrl-C (or SIGTERM) stops every process this script started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = os.environ.get("AYNI_HOST", "127.0.0.1")
PORT = os.environ.get("AYNI_PORT", "8000")


def main() -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "ayni.settings.dev")}
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("AYNI_BASE_URL", f"http://{HOST}:{PORT}")
    subprocess.run([PY, "manage.py", "portal_setup"], cwd=ROOT, env=env, check=True)

    worker = ["rqworker", "default", "--with-scheduler"] if env.get("REDIS_URL") else ["db_worker"]
    commands = {
        "web": [PY, "-m", "daphne", "-b", HOST, "-p", PORT, "ayni.asgi:application"],
        "worker": [PY, "manage.py", *worker],
    }
    commands.update(extra_services(env))
    processes: dict[str, subprocess.Popen] = {}
    for name, command in commands.items():
        processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)

    def stop(*_args) -> None:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    print(f"\nAyni está en http://{HOST}:{PORT}/  (administración: /admin/). Ctrl-C para detener.\n", flush=True)
    try:
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"El proceso «{name}» terminó con código {process.returncode}; deteniendo todo.", flush=True)
                    stop()
                    return process.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nDeteniendo…", flush=True)
        stop()
    return 0


def extra_services(env: dict) -> dict[str, list[str]]:
    """Other processes (the chatbot adds Rasa here)."""
    return {}


if __name__ == "__main__":
    sys.exit(main())
