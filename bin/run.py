#!/usr/bin/env python
"""`make run`: prepare the portal, then run the HTTP server (several worker processes) and the task worker.

Ctrl-C (or SIGTERM) stops every process this script started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ayni.server import default_workers, server_command  # noqa: E402

PY = sys.executable
HOST = os.environ.get("AYNI_HOST", "127.0.0.1")
PORT = os.environ.get("AYNI_PORT", "8000")


def main() -> int:
    env = _environment()
    chatbot_on = env.get("CHATBOT", "on").lower() not in {"off", "0", "false", "no"}
    if chatbot_on:
        _rasa_environment(env)
    subprocess.run([PY, "manage.py", "portal_setup"], cwd=ROOT, env=env, check=True)

    # The task worker of the configured queue, plus the periodic jobs (ayni.schedule).
    commands = {
        # ayni.server: the same process model and arguments as the Dockerfile and compose
        # (WEB_CONCURRENCY worker processes, default two per core; no server access log).
        "web": server_command(HOST, PORT, python=PY),
        "worker": [PY, "manage.py", "worker"],
    }
    processes: dict[str, subprocess.Popen] = {}
    lock = threading.Lock()
    stopping = threading.Event()
    for name, command in commands.items():
        processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)

    def stop(*_args) -> None:
        _stop_all(processes, lock, stopping)

    if chatbot_on:
        # The portal serves now; the Rasa venv and the training run meanwhile (the chat answers
        # with the built-in understanding) and the portal switches to Rasa once its model is loaded.
        threading.Thread(target=start_rasa, args=(env, processes, lock, stopping), daemon=True).start()
    else:
        print("CHATBOT=off: sin Rasa; el chat responde con la comprensión integrada.", flush=True)

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    print(
        f"\nAyni está en http://{HOST}:{PORT}/  (administración: /admin/; {default_workers()} procesos web"
        " y un proceso de tareas). Ctrl-C para detener.\n",
        flush=True,
    )
    try:
        return _watch(processes, lock, stop)
    except KeyboardInterrupt:
        print("\nDeteniendo…", flush=True)
        stop()
    return 0


def _environment() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "ayni.settings.dev")}
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("AYNI_BASE_URL", f"http://{HOST}:{PORT}")
    return env


def _rasa_environment(env: dict) -> None:
    sys.path.insert(0, str(ROOT))
    from chatbot import runtime

    env.setdefault("RASA_URL", "http://127.0.0.1:5005")
    # Rasa's HTTP API needs this token; the portal and the worker (same env) send it.
    env["RASA_AUTH_TOKEN"] = runtime.rasa_auth_token()


def _stop_all(processes: dict, lock: threading.Lock, stopping: threading.Event) -> None:
    """SIGTERM to every process group started, SIGKILL to those still running after 10 s."""
    stopping.set()
    with lock:
        running = list(processes.values())
    for process in running:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _watch(processes: dict, lock: threading.Lock, stop) -> int:
    """Wait until a process ends: Rasa's end is only told; any other's stops everything (its exit code)."""
    while True:
        with lock:
            current = list(processes.items())
        for name, process in current:
            if process.poll() is None:
                continue
            if name == "rasa":  # the chat goes on with the built-in understanding
                print(f"Rasa terminó (código {process.returncode}); el chat sigue sin Rasa.", flush=True)
                with lock:
                    processes.pop(name, None)
                continue
            print(f"El proceso «{name}» terminó con código {process.returncode}; deteniendo todo.", flush=True)
            stop()
            return process.returncode or 1
        time.sleep(0.5)


def start_rasa(env: dict, processes: dict, lock: threading.Lock, stopping: threading.Event) -> None:
    """In the background: the Rasa venv (first run: several minutes), the training project from the
    guides, the NLU model (trained only when its data changed), then the Rasa server on loopback."""
    from urllib.parse import urlsplit

    from chatbot import runtime

    started = time.monotonic()
    try:
        print(
            "[asistente] preparando Rasa en segundo plano; mientras tanto responde la comprensión integrada", flush=True
        )
        runtime.ensure_venv()
        runtime.export_guides(PY, env)
        model = runtime.ensure_model()
        port = urlsplit(env["RASA_URL"]).port or 5005
        command, rasa_env, cwd = runtime.rasa_command(model=model, port=port)
        with lock:
            if stopping.is_set():
                return
            processes["rasa"] = subprocess.Popen(command, cwd=cwd, env=rasa_env, start_new_session=True)
        runtime.wait_until_model_loaded(env["RASA_URL"], timeout=600, process=processes["rasa"])
        print(f"[asistente] Rasa listo en {time.monotonic() - started:.0f} s: el chat lo usa desde ahora", flush=True)
    except Exception as exc:  # the portal still runs; the chat keeps the built-in understanding
        if not stopping.is_set():
            print(
                f"[asistente] Rasa no pudo prepararse ({exc}); el chat sigue con la comprensión integrada.", flush=True
            )


if __name__ == "__main__":
    sys.exit(main())
