"""`make run` (bin/run.py) serves the portal at once; Rasa is prepared in the background.

The Rasa side is made unavailable here (no Python 3.10 on the PATH, no pyenv):
the portal must come up, the chat must answer with the built-in understanding,
and the output must say what happened to Rasa. Switching to Rasa once its model
is loaded, without a restart, is tested with the real Rasa server in
tests/chatbot/test_integration.py (test_killing_rasa_mid_conversation).
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chatbot.runtime import free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.embedded_only


def _get(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def test_make_run_serves_before_rasa_is_ready(tmp_path):
    port = free_port()
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
        "AYNI_VAR_DIR": str(tmp_path / "var"),
        "AYNI_PORT": str(port),
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "LOG_LEVEL": "WARNING",
    }
    output = tmp_path / "run.log"
    with open(output, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "bin/run.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, output.read_text()[-3000:]
            try:
                status, _body = _get(f"http://127.0.0.1:{port}/health/")
                break
            except OSError:
                assert time.monotonic() < deadline, output.read_text()[-3000:]
                time.sleep(1)
        assert status == 200
        body = json.dumps({"sender": "make-run", "text": "cuanto cuesta el certificado catastral"}).encode()
        status, answer = _get(f"http://127.0.0.1:{port}/api/chat/", body)
        answer = json.loads(answer)
        assert status == 200 and answer["engine"] == "fallback"
        assert answer["guide"]["slug"] == "certificado-catastral"
        deadline = time.monotonic() + 60
        while "[asistente] Rasa no pudo prepararse" not in output.read_text():
            assert time.monotonic() < deadline, output.read_text()[-3000:]
            time.sleep(0.5)
        text = output.read_text()
        assert "preparando Rasa en segundo plano" in text
        assert process.poll() is None  # Rasa failing never stops the portal
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
