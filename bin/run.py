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
sys.path.insert(0, str(ROOT))

from ayni.server import daphne_command  # noqa: E402

PY = sys.executable
HOST = os.environ.get("AYNI_HOST", "127.0.0.1")
PORT = os.environ.get("AYNI_PORT", "8000")


def main() -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "ayni.settings.dev")}
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("AYNI_BASE_URL", f"http://{HOST}:{PORT}")
    subprocess.run([PY, "manage.py", "portal_setup"], cwd=ROOT, env=env, check=True)

    # The task worker of the configured queue, plus the periodic jobs (ayni.schedule).
    worker = ["worker"]
    commands = {
        # ayni.server: the same arguments as the Dockerfile and compose (no server access log).
        "web": daphne_command(HOST, PORT, python=PY),
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
    """Other processes: the chatbot's Rasa server and action server on loopback.

    Creates the Rasa venv (Python 3.10) when missing, regenerates the training
    data from the guides and trains only when it changed (content hash).
    ``CHATBOT=off`` skips all of it and the chat answers in fallback mode.
    """
    if env.get("CHATBOT", "on").lower() in {"off", "0", "false", "no"}:
        print("CHATBOT=off: sin Rasa; el chat responde en modo básico (búsqueda).", flush=True)
        return {}
    sys.path.insert(0, str(ROOT))
    from urllib.parse import urlsplit

    from chatbot import runtime

    try:
        runtime.export_guides(PY, env)
        model = runtime.ensure_model()
    except Exception as exc:  # the portal still runs; the chat falls back to search
        print(f"El asistente (Rasa) no pudo prepararse ({exc}); el chat responderá en modo básico.", flush=True)
        return {}
    env.setdefault("RASA_URL", "http://127.0.0.1:5005")
    # Rasa's HTTP API needs this token; the portal (same env) sends it (chatbot.rasa_client).
    env["RASA_AUTH_TOKEN"] = runtime.rasa_auth_token()
    rasa_port = urlsplit(env["RASA_URL"]).port or 5005
    actions_port = int(env.get("RASA_ACTIONS_PORT", "5055"))
    rasa, rasa_env, rasa_cwd = runtime.rasa_command(model=model, port=rasa_port, actions_port=actions_port)
    actions, actions_env, _cwd = runtime.actions_command(
        port=actions_port, portal_url=f"http://{HOST}:{PORT}", public_url=env.get("AYNI_BASE_URL", "")
    )

    def with_env(command: list[str], extra: dict, cwd: Path) -> list[str]:
        changed = [f"{k}={v}" for k, v in extra.items() if env.get(k) != v]
        return ["env", "-C", str(cwd), *[f"-u{k}" for k in ("DJANGO_SETTINGS_MODULE",)], *changed, *command]

    return {
        "rasa": with_env(rasa, rasa_env, rasa_cwd),
        "rasa-actions": with_env(actions, actions_env, ROOT),
    }


if __name__ == "__main__":
    sys.exit(main())
