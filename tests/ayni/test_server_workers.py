"""The portal's real HTTP server (ayni.server: gunicorn with several uvicorn worker
processes), started the way `make run`, the Dockerfile and compose start it:
pages answer from every worker, the chat's websocket answers, and a live support
count reaches open pages whichever process saved the support.

On the embedded default (no REDIS_URL) the channel layer is per process, so the
count arrives through each process's poll of the database; with REDIS_URL (the
PostgreSQL + Redis pass) it arrives through channels-redis. The support is saved
by a third process (``manage.py shell``), so neither path can be the web
process's own in-memory broadcast.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from websockets.sync.client import connect

from ayni.server import server_command
from chatbot.runtime import free_port

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2

SETUP = """
from django.contrib.auth import get_user_model
from participation.models import Proposal, ProposalCategory
author = get_user_model().objects.create_user("autora", "autora@example.org", "x" * 12)
category, _ = ProposalCategory.objects.get_or_create(slug="movilidad", defaults={"name": "Movilidad"})
proposal = Proposal.objects.create(title="Más bicisendas", body="Una red de bicisendas en el centro.",
                                   category=category, author=author)
print(proposal.pk)
"""

SUPPORT = """
import sys
from django.contrib.auth import get_user_model
from django.utils import timezone
from participation.models import Profile, Proposal
from participation.services import proposal_support
user = get_user_model().objects.create_user("vecino-{n}", "vecino-{n}@example.org", "x" * 12)
Profile.objects.update_or_create(user=user, defaults={{"email_verified_at": timezone.now()}})
print(proposal_support(proposal=Proposal.objects.get(pk={pk}), user=user)[0])
"""


def _env(var_dir: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(var_dir),
        "LANG": "C.UTF-8",
        "AYNI_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "ayni.settings.test",  # static files without a manifest
        "SECRET_KEY": "server-workers-test-" + "k" * 40,
        "CHATBOT": "off",
        "PYTHONUNBUFFERED": "1",
        "AYNI_PAGE_CACHE_SECONDS": "0",
    }
    if os.environ.get("REDIS_URL"):  # the PostgreSQL + Redis pass: channels-redis between the workers
        env["REDIS_URL"] = os.environ["REDIS_URL"]
        prefix = f"ayni_workers_{uuid.uuid4().hex[:8]}"
        env["CACHE_KEY_PREFIX"] = env["CHANNELS_PREFIX"] = prefix
    return env


def _shell(env: dict, code: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split()[-1]


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("workers-var")
    env = _env(var_dir)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=900,
    )
    proposal = int(_shell(env, SETUP))
    port = free_port()
    output = var_dir / "server-output.txt"
    with output.open("wb") as sink:
        server = subprocess.Popen(
            server_command("127.0.0.1", port, workers=WORKERS),
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, output.read_text()
            try:
                urllib.request.urlopen(f"http://{base}/health/", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not come up: " + output.read_text()
                time.sleep(0.3)
        yield {"base": base, "env": env, "proposal": proposal, "server": server, "output": output}
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)


def _worker_pids(server: subprocess.Popen) -> set[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return {int(pid) for pid in children}


def _socket(portal, path: str):
    """A browser's websocket: with the page's Origin (Channels checks it against ALLOWED_HOSTS)."""
    return connect(f"ws://{portal['base']}{path}", origin=f"http://{portal['base']}", open_timeout=30)


def test_several_worker_processes_serve_the_pages(portal):
    assert len(_worker_pids(portal["server"])) == WORKERS
    for path in ("/", "/participa/propuestas/", "/participa/reclamos/", "/health/"):
        with urllib.request.urlopen(f"http://{portal['base']}{path}", timeout=30) as response:
            assert response.status == 200, path


def test_a_support_saved_by_another_process_reaches_every_open_page(portal):
    pk = portal["proposal"]
    with contextlib.ExitStack() as stack:
        # More sockets than workers: the kernel spreads them over the processes.
        sockets = [stack.enter_context(_socket(portal, f"/ws/participa/propuestas/{pk}/")) for _ in range(6)]
        sockets += [stack.enter_context(_socket(portal, "/ws/participa/propuestas/")) for _ in range(2)]
        time.sleep(4)  # the pollers (embedded default) take their first reading
        count = int(_shell(portal["env"], SUPPORT.format(n=1, pk=pk)))
        assert count == 1
        for socket in sockets:
            message = json.loads(socket.recv(timeout=20))
            assert message == {"proposal": pk, "count": 1, "identity_count": 0}


def test_the_chat_answers_over_its_websocket(portal):
    with _socket(portal, "/ws/chat/") as socket:
        socket.send(json.dumps({"text": "hola"}))
        answer = json.loads(socket.recv(timeout=30))
    assert answer["replies"] and answer["intent"], answer
