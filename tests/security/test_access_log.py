"""The product's ASGI server, started as `make run`, the Dockerfile and compose start it
(ayni.server), writes no line that ties a client address to a participation path or a
tracking code; the portal's own access log (ayni.access_log) still records the requests.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from ayni.server import AyniWorker, server_command
from chatbot.runtime import free_port

ROOT = Path(__file__).resolve().parents[2]
CODE_RE = re.compile(r"(RC|DN|SG)-[A-Z0-9]{5}-[A-Z0-9]{5}")
SETUP_UNIT = (
    "from participation.models import MunicipalUnit;"
    "print(MunicipalUnit.objects.get_or_create(slug='obras', defaults={'name': 'Obras Públicas'})[0].pk)"
)


def _env(var_dir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(var_dir),
        "LANG": "C.UTF-8",
        "AYNI_VAR_DIR": str(var_dir),
        # Test settings: base's middleware and logging, static files without a manifest.
        "DJANGO_SETTINGS_MODULE": "ayni.settings.test",
        "SECRET_KEY": "access-log-test-" + "k" * 40,
        "CHATBOT": "off",
        "PYTHONUNBUFFERED": "1",
    }


class Browser:
    """Cookies and CSRF like a browser, over plain urllib."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, data: dict | None = None, *, json_body: dict | None = None) -> tuple[int, str]:
        headers = {"User-Agent": "Mozilla/5.0 (access-log test)"}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def csrf(self, path: str) -> str:
        status, html = self.request(path)
        assert status == 200, (path, status)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The real server (two worker processes), started with ayni.server's arguments, on a free loopback port."""
    var_dir = tmp_path_factory.mktemp("access-log-var")
    env = _env(var_dir)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    unit = subprocess.run(
        [*manage, "shell", "-c", SETUP_UNIT], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()[-1]
    port = free_port()
    output = var_dir / "server-output.txt"
    with output.open("wb") as sink:
        server = subprocess.Popen(
            server_command("127.0.0.1", port, workers=2), cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, output.read_text()
            try:
                urllib.request.urlopen(base + "/health/", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not come up: " + output.read_text()
                time.sleep(0.3)
        yield base, int(unit), server, output
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=20)


def test_filing_and_tracking_leave_no_address_or_code_in_the_server_output(served):
    base, unit, server, output = served
    browser = Browser(base)
    token = browser.csrf("/participa/reclamos/")
    status, html = browser.request(
        "/participa/reclamos/",
        {
            "csrfmiddlewaretoken": token,
            "kind": "denuncia",
            "anonymous": "on",
            "unit": unit,
            "subject": "Cobro indebido en ventanilla",
            "description": "Me pidieron un pago extra sin recibo para atender mi trámite municipal.",
            "submission_token": "access-log-" + "t" * 20,
        },
    )
    assert status == 201, html[:2000]
    code = CODE_RE.search(html)[0]
    token = browser.csrf("/participa/seguimiento/")
    status, html = browser.request("/participa/seguimiento/", {"csrfmiddlewaretoken": token, "codigo": code})
    assert status == 200 and code in html
    browser.request("/api/complaints/lookup/", json_body={"code": code})
    # Old-style requests that carry the code in the URL must not leak it into a log either.
    browser.request(f"/participa/seguimiento/?codigo={code}")
    browser.request(f"/api/complaints/{code}/")
    browser.request(f"/en/participa/seguimiento/?codigo={code}")
    browser.request("/tramites/")
    time.sleep(1)  # let the last log lines reach the file
    server.terminate()
    server.wait(timeout=20)
    text = output.read_text()
    assert code not in text and code.lower() not in text
    assert "127.0.0.1" not in text, text
    assert not re.search(r"\b\d{1,3}(\.\d{1,3}){3}\b", text), text  # no IPv4 address at all
    # The portal's own access log records requests, but filing and tracking leave no line at all
    # (their exact moment could be matched against a log kept elsewhere).
    assert "complaint_form" not in text and "participation:tracking" not in text, text
    assert "complaint filed" not in text, text  # an anonymous denuncia is not logged at all
    assert '"GET /tramites/"' in text or '"GET /tramites/" ' in text, text
    assert "seguimiento" not in text and "codigo" not in text, text


def test_bin_run_and_the_images_start_the_server_the_same_way():
    run_py = (ROOT / "bin" / "run.py").read_text()
    assert "server_command(HOST, PORT" in run_py
    command = server_command("0.0.0.0", 8000)
    assert not any(part.startswith("--access-log") for part in command)  # gunicorn: no access log
    assert command[command.index("--forwarded-allow-ips") + 1] == ""  # trust no proxy header
    assert command[command.index("--worker-class") + 1] == "ayni.server.AyniWorker"
    # uvicorn inside each worker: no access log and no proxy headers either.
    assert AyniWorker.CONFIG_KWARGS["access_log"] is False and AyniWorker.CONFIG_KWARGS["proxy_headers"] is False
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["python", "-m", "ayni.server", "--bind", "0.0.0.0", "--port", "8000"]' in dockerfile
    assert "--proxy-headers" not in dockerfile
    compose = (ROOT / "docker-compose.yml").read_text()
    assert '["python", "-m", "ayni.server", "--bind", "0.0.0.0", "--port", "8000"]' in compose
    assert "--proxy-headers" not in compose


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, expected",
    [
        ("/en/participa/propuestas/7/", "[participation:proposal_detail]"),
        ("/cuentas/verificar/secret-token/", "[accounts:verify]"),
        ("/participa/no-existe/DN-AAAAA-BBBBB/", "[wagtail_serve]"),
        ("/buscar/?q=mi+vecino", "/buscar/"),
    ],
)
def test_the_access_log_drops_codes_ids_tokens_and_query_strings(client, caplog, path, expected):
    with caplog.at_level(logging.INFO, logger="ayni.access"):
        client.get(path)
    (line,) = [record.getMessage() for record in caplog.records if record.name == "ayni.access"]
    assert line.startswith(f'"GET {expected}'), line
    assert "AAAAA" not in line and "secret" not in line and "?" not in line and "vecino" not in line


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/participa/seguimiento/?codigo=DN-AAAAA-BBBBB"),
        ("post", "/participa/seguimiento/"),
        ("post", "/participa/reclamos/"),
        ("post", "/api/complaints/lookup/"),
        ("get", "/api/complaints/DN-AAAAA-BBBBB/"),
    ],
)
def test_filing_and_tracking_leave_no_access_log_line(client, caplog, method, path):
    with caplog.at_level(logging.INFO, logger="ayni.access"):
        getattr(client, method)(path)
        client.get("/tramites/")
    lines = [record.getMessage() for record in caplog.records if record.name == "ayni.access"]
    assert len(lines) == 1 and "/tramites/" in lines[0], lines
