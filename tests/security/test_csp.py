"""Content-Security-Policy on every public page, cached ones included, with no inline script or style."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cms.models import GuidePage
from opendata.models import Dataset
from participation.models import MunicipalUnit, Proposal

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
DATA_TYPES = {"application/ld+json", "application/json"}  # data blocks: never executed


class InlineFinder(HTMLParser):
    """Inline scripts, <style> blocks, style="" and on*="" attributes of a page."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.data_blocks = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            kind = (attributes.get("type") or "").strip().lower()
            if kind in DATA_TYPES:
                self.data_blocks += 1
            elif not attributes.get("src"):
                self.problems.append(f"inline <script type={kind!r}>")
        if tag == "style":
            self.problems.append("<style> block")
        for name, _value in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def public_urls() -> list[str]:
    guide = GuidePage.objects.live().public().first()
    dataset = Dataset.objects.filter(status=Dataset.Status.PUBLISHED).first()
    proposal = Proposal.objects.visible().first()
    urls = [
        "/",
        "/tramites/",
        guide.url,
        "/normativa/",
        "/transparencia/",
        "/noticias/",
        "/datos/",
        dataset.get_absolute_url(),
        "/participa/propuestas/",
        "/participa/reclamos/",
        "/participa/seguimiento/",
        "/cuentas/ingresar/",
        "/buscar/?q=licencia",
        "/en/",
        f"/participa/propuestas/{proposal.pk}/",
    ]
    return urls


def assert_strict(response, url: str, status: int = 200) -> None:
    assert response.status_code == status, url
    header = response.get("Content-Security-Policy")
    assert header, f"{url}: no Content-Security-Policy header"
    policy = directives(header)
    assert policy["script-src"] == ["'self'"], f"{url}: {header}"
    assert policy["style-src"] == ["'self'"], f"{url}: {header}"
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "'self'" in policy["connect-src"] and "data:" in policy["img-src"]
    finder = InlineFinder()
    finder.feed(response.content.decode())
    assert not finder.problems, f"{url}: {finder.problems}"


def test_every_public_page_type_has_the_strict_policy_and_no_inline_code(client):
    urls = public_urls()
    assert len(urls) >= 14
    for url in urls:
        assert_strict(client.get(url), url)


def test_json_ld_stays_a_data_block(client):
    """JSON-LD is not executed, so script-src 'self' needs no hash for it; it is still on the page."""
    dataset = Dataset.objects.filter(status=Dataset.Status.PUBLISHED).first()
    finder = InlineFinder()
    finder.feed(client.get(dataset.get_absolute_url()).content.decode())
    assert finder.data_blocks >= 1 and not finder.problems


def test_cached_pages_carry_the_policy(client):
    url = GuidePage.objects.live().public().first().url
    first = client.get(url)
    second = client.get(url)
    assert first["X-Ayni-Cache"] == "miss" and second["X-Ayni-Cache"] == "hit"
    assert_strict(second, url)
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_the_pages_after_filing_and_tracking_a_complaint(client):
    unit = MunicipalUnit.objects.get_or_create(slug="alumbrado-publico", defaults={"name": "Alumbrado"})[0]
    filed = client.post(
        "/participa/reclamos/",
        {
            "kind": "denuncia",
            "unit": unit.pk,
            "subject": "Cobro indebido en ventanilla",
            "description": "Me pidieron un pago extra sin recibo para atender mi trámite.",
            "submission_token": "csp-" + "a" * 20,
        },
    )
    assert_strict(filed, "complaint filed", status=201)
    code = filed.context["complaint"].code
    assert_strict(client.post("/participa/seguimiento/", {"codigo": code}), "tracking")


def test_api_docs_run_from_local_files(client):
    response = client.get("/api/docs/")
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    finder = InlineFinder()
    finder.feed(response.content.decode())
    assert not [p for p in finder.problems if "script" in p], finder.problems
    assert "cdn." not in response.content.decode()


def test_staff_back_offices_get_their_own_looser_policy(client):
    for url in ("/admin/login/", "/django-admin/login/"):
        policy = directives(client.get(url)["Content-Security-Policy"])
        assert "'unsafe-inline'" in policy["script-src"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'self'"]
    assert "'unsafe-inline'" not in client.get("/").get("Content-Security-Policy", "")


PROBE = """
import json
from django.conf import settings
print(json.dumps([bool(settings.CONTENT_SECURITY_POLICY), bool(settings.CONTENT_SECURITY_POLICY_REPORT_ONLY),
                  settings.AYNI_CSP_DIRECTIVES["connect-src"]]))
"""


def _policy_modes(tmp_path, module: str, **environment) -> list:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "AYNI_VAR_DIR": str(tmp_path)}
    env.update(DJANGO_SETTINGS_MODULE=module, SECRET_KEY="x" * 50, ALLOWED_HOSTS="ayni.example.org", **environment)
    setup = "import django; django.setup()\n"
    out = subprocess.run(
        [sys.executable, "-c", setup + PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_report_only_in_debug_enforced_otherwise(tmp_path):
    assert _policy_modes(tmp_path, "ayni.settings.dev", DEBUG="1")[:2] == [False, True]
    assert _policy_modes(tmp_path, "ayni.settings.dev", DEBUG="0")[:2] == [True, False]
    enforced, report_only, connect = _policy_modes(
        tmp_path,
        "ayni.settings.production",
        DEBUG="1",
        AYNI_BASE_URL="https://ayni.example.org",
        AYNI_WEBSOCKET_ORIGIN="https://ws.ayni.example.org",
    )
    assert (enforced, report_only) == (True, False)
    assert connect == ["'self'", "wss://ayni.example.org", "wss://ws.ayni.example.org"]
