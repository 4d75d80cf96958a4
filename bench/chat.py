#!/usr/bin/env python
"""Benchmark: the chat API end to end against Rasa's own parse.

    python bench/chat.py [--messages 40] [--workers N]

1. A throwaway var dir (SQLite) prepared with ``manage.py portal_setup``; the
   training project is exported from its guides and the Rasa NLU model is
   trained or reused from var/rasa-models (content hash).
2. Starts the portal with its own server (``ayni.server``: gunicorn with uvicorn
   worker processes, as ``make run`` and compose do) and the Rasa NLU server on free loopback ports
   (Rasa only understands; the portal answers in process).
3. Sends the held-out questions (chatbot/eval/heldout.yaml) to Rasa's
   ``/model/parse`` and to ``/api/chat/`` with 1 and 20 concurrent
   conversations; reports p50/p95 and their ratio to ``/model/parse`` with the
   same concurrency in the same run.
4. Replaces the ``## Asistente (bench/chat.py)`` section of bench/results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from chatbot import runtime  # noqa: E402

SECTION_TITLE = "## Asistente (bench/chat.py)"
RESULTS_PATH = ROOT / "bench" / "results.md"
APP_SECRET = "bench-secret"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def timed_post(client: httpx.AsyncClient, url: str, **kwargs) -> tuple[float, int]:
    started = time.perf_counter()
    response = await client.post(url, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code == 200 and url.endswith("/api/chat/") and response.json().get("engine") != "rasa":
        return elapsed, 599  # answered without Rasa: not the path this benchmark measures
    return elapsed, response.status_code


async def conversations(url: str, texts: list[str], concurrency: int, body) -> tuple[list[float], int]:
    """``concurrency`` conversations, each sending its share of the messages one after another."""
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def one(worker: int) -> None:
            nonlocal errors
            for i in range(worker, len(texts), concurrency):
                ms, status = await timed_post(client, url, json=body(worker, texts[i]))
                if status == 200:
                    latencies.append(ms)
                else:  # an error is counted, never timed: a fast 4xx must not flatter the ratio
                    errors += 1

        await asyncio.gather(*(one(w) for w in range(concurrency)))
    return latencies, errors


def start(command, env, cwd, log) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=40, help="questions per concurrency level")
    parser.add_argument("--workers", type=int, default=2, help="portal worker processes (ayni.server)")
    args = parser.parse_args()

    texts = [e["text"] for e in yaml.safe_load((ROOT / "chatbot/eval/heldout.yaml").read_text())["examples"]]
    texts = (texts * (1 + args.messages // len(texts)))[: args.messages]
    started_at = time.monotonic()
    load_before = os.getloadavg()
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="ayni-bench-chat-") as tmp:
        portal_port, rasa_port = runtime.free_port(), runtime.free_port()
        env = {
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
            "DJANGO_SETTINGS_MODULE": "ayni.settings.dev",
            "AYNI_VAR_DIR": tmp,
            "RASA_URL": f"http://127.0.0.1:{rasa_port}",
            "RASA_TIMEOUT": "30",
            # One benchmark client sends every conversation: the per-client chat limit would refuse most.
            "AYNI_CHAT_RATE": "1000000",
            "RASA_AUTH_TOKEN": runtime.rasa_auth_token(),  # the portal's var dir is a throwaway one
            "WHATSAPP_TOKEN": "bench",
            "WHATSAPP_PHONE_NUMBER_ID": "1",
            "WHATSAPP_APP_SECRET": APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": "bench",
            "LOG_LEVEL": "WARNING",
        }
        subprocess.run(
            [sys.executable, "manage.py", "portal_setup"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        # The training project in the shared var/ (where the model cache is), from this portal's guides.
        guides = Path(tmp) / "guides.yml"
        subprocess.run(
            [sys.executable, "manage.py", "chatbot_export", "--output", str(guides)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        runtime.write_project(guides.read_text(encoding="utf-8"))
        model = runtime.ensure_model()
        log = open(Path(tmp) / "servers.log", "w")  # noqa: SIM115
        try:
            from ayni.server import server_command

            processes.append(start(server_command("127.0.0.1", portal_port, workers=args.workers), env, ROOT, log))
            processes.append(start(*runtime.rasa_command(model=model, port=rasa_port), log))
            runtime.wait_until_up(f"http://127.0.0.1:{portal_port}/health/", timeout=120, process=processes[0])
            runtime.wait_until_model_loaded(f"http://127.0.0.1:{rasa_port}", timeout=600, process=processes[1])
            rasa = f"http://127.0.0.1:{rasa_port}"
            parse_url = f"{rasa}/model/parse?token={runtime.rasa_auth_token()}"  # Rasa's API is behind a token
            chat = f"http://127.0.0.1:{portal_port}/api/chat/"
            # Warm-up: first parses and the first guide answers are slower.
            asyncio.run(conversations(chat, texts[:5], 1, lambda w, t: {"sender": "warm", "text": t}))
            asyncio.run(conversations(parse_url, texts[:5], 1, lambda w, t: {"text": t}))
            rows = []
            for concurrency in (1, 20):
                parse, parse_errors = asyncio.run(
                    conversations(parse_url, texts, concurrency, lambda w, t: {"text": t})
                )
                run_id = time.time_ns()
                answers, chat_errors = asyncio.run(
                    conversations(chat, texts, concurrency, lambda w, t, r=run_id: {"sender": f"b{r}-{w}", "text": t})
                )
                rows.append((concurrency, parse, parse_errors, answers, chat_errors))
        finally:
            stop(processes)
            log.close()

    lines = [
        SECTION_TITLE,
        "",
        f"- **Fecha:** {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- **Máquina:** {os.cpu_count()} CPU, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}; carga media al empezar " + "/".join(f"{x:.1f}" for x in load_before),
        f"- **Montaje:** portal con `ayni.server` ({args.workers} procesos uvicorn, SQLite temporal) y Rasa 3.6 "
        "(solo NLU) "
        f"en loopback; {len(texts)} preguntas del conjunto de evaluación por nivel; "
        "cada conversación envía sus mensajes en serie",
        "- **Referencia:** `/model/parse` de Rasa con las mismas preguntas y la misma concurrencia, "
        "en la misma corrida (`/api/chat/` = ese mismo parse + la respuesta del portal: la guía, el estado "
        "de la conversación en la base y el registro)",
        "",
        "| Conversaciones | /model/parse p50 ms | p95 ms | /api/chat/ p50 ms | p95 ms "
        "| p50 ÷ parse | p95 ÷ parse | Errores |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for concurrency, parse, parse_errors, answers, chat_errors in rows:
        p50p, p95p = percentile(parse, 50), percentile(parse, 95)
        p50c, p95c = percentile(answers, 50), percentile(answers, 95)
        lines.append(
            f"| {concurrency} | {p50p:.1f} | {p95p:.1f} | {p50c:.1f} | {p95c:.1f} | {p50c / p50p:.1f}× | "
            f"{p95c / p95p:.1f}× | {parse_errors + chat_errors} |"
        )
    lines += [
        "",
        "El acuse del webhook de WhatsApp se mide en `bench/webhook.py`.",
        "",
        f"Duración total: {time.monotonic() - started_at:.0f} s.",
    ]
    section = "\n".join(lines) + "\n"
    print(section)
    write_section(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
