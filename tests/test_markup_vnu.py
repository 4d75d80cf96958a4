"""The Nu Html Checker (vnu-jar, the W3C validator) finds no error on the public pages.

The main pages of every kind, in Spanish and in English, are rendered with the Django
test client (forms with their errors shown), written to a temporary folder and checked
in one Java run (the checker takes seconds to start). ``vnu-jar`` comes from the npm
registry, pinned, into ``var/vnu`` (kept between runs, never installed globally):
``make vnu`` runs only this test. Without Java or npm the test is skipped.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from ayni.env import BASE_DIR

pytestmark = [pytest.mark.django_db, pytest.mark.embedded_only]

VNU_VERSION = "26.9.27"
VNU_DIR = BASE_DIR / "var" / "vnu"
VNU_JAR = VNU_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
GUIDE_SLUG = "licencia-de-funcionamiento"

# The main public pages of every kind (under /en/ for English).
PUBLIC_PAGES = {
    "inicio": "/",
    "tramites": "/tramites/",
    "guia": f"/tramites/{GUIDE_SLUG}/",
    "noticias": "/noticias/",
    "normativa": "/normativa/",
    "transparencia": "/transparencia/",
    "datos": "/datos/",
    "participa": "/participa/",
    "propuestas": "/participa/propuestas/",
    "reclamo": "/participa/reclamos/",
    "seguimiento": "/participa/seguimiento/",
    "buscar": "/buscar/?q=licencia",
    "ingresar": "/cuentas/ingresar/",
    "registro": "/cuentas/registro/",
}
# One page of each detail kind, found from its index as a visitor would: name → (index, link pattern).
DETAIL_PAGES = {
    "noticia": ("/noticias/", r"(?!feed/)[\w-]+/"),
    "norma": ("/normativa/", r"[\w-]+/"),
    "informe-transparencia": ("/transparencia/", r"[\w-]+/"),
    "conjunto-de-datos": ("/datos/", r"[\w-]+/"),
    "propuesta": ("/participa/propuestas/", r"\d+/"),
}
# Forms with their errors shown (an empty or wrong submission answers the form again).
FORMS_WITH_ERRORS = {
    "reclamo-errores": ("/participa/reclamos/", {"kind": "reclamo", "subject": ""}),
    "seguimiento-errores": ("/participa/seguimiento/", {"codigo": "NO-EXISTE"}),
    "ingresar-errores": ("/cuentas/ingresar/", {"username": "nadie@example.org", "password": "x"}),
    "registro-errores": ("/cuentas/registro/", {"email": "no-es-correo"}),
}


def _vnu_jar() -> Path:
    """The pinned vnu.jar, installed from the npm registry into var/vnu on first use."""
    if not shutil.which("java"):
        pytest.skip("Nu Html Checker: Java is not installed (vnu.jar needs a Java runtime)")
    version_file = VNU_DIR / "node_modules" / "vnu-jar" / "package.json"
    if VNU_JAR.exists() and json.loads(version_file.read_text())["version"] == VNU_VERSION:
        return VNU_JAR
    if not shutil.which("npm"):
        pytest.skip("Nu Html Checker: npm is not installed (vnu-jar comes from the npm registry)")
    VNU_DIR.mkdir(parents=True, exist_ok=True)
    # --ignore-scripts: the package's postinstall would download a Java runtime; the jar is in the tarball.
    command = ["npm", "install", "--prefix", str(VNU_DIR), "--ignore-scripts", "--no-audit", "--no-fund"]
    result = subprocess.run(
        [*command, "--no-save", f"vnu-jar@{VNU_VERSION}"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0 and VNU_JAR.exists(), f"npm could not install vnu-jar:\n{result.stderr[-2000:]}"
    return VNU_JAR


def _first_link(client, prefix: str, section: str, pattern: str) -> str:
    """The first link to a detail page in the main content of a section's index."""
    html = client.get(prefix + section).content.decode()
    main = html[html.find("<main") :]
    # English links may still lead to the Spanish page (issue 14, item 3): check whatever a visitor reaches.
    match = re.search(rf'href="((?:{re.escape(prefix)})?{re.escape(section)}{pattern})"', main)
    assert match, f"no link matching {pattern!r} on {prefix}{section}"
    path = unquote(match.group(1))
    if prefix and not path.startswith(prefix) and client.get(prefix + path).status_code == 200:
        path = prefix + path
    return path


def _pages(client, citizen, lang: str) -> dict[str, tuple[str, str]]:
    """Page name → HTML of the main public pages in one language (prefix "" or "/en")."""
    prefix = "" if lang == "es" else f"/{lang}"
    paths = {name: prefix + path for name, path in PUBLIC_PAGES.items()}
    for name, (section, pattern) in DETAIL_PAGES.items():
        paths[name] = _first_link(client, prefix, section, pattern)
    pages: dict[str, tuple[str, str]] = {}
    for name, path in paths.items():
        response = client.get(path)
        if response.status_code == 301 and lang != "es":  # a Spanish slug under /en/: the English translation's own
            path = response["Location"]
            response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        pages[f"{lang}-{name}"] = (path, response.content.decode())
    # Forms with their errors shown (an empty or wrong submission answers the form again).
    for name, (path, data) in FORMS_WITH_ERRORS.items():
        path = prefix + path
        response = client.post(path, data)
        assert response.status_code in (200, 400, 422), f"POST {path}: {response.status_code}"
        html = response.content.decode()
        assert 'class="errorlist' in html, f"POST {path} shows no error"
        pages[f"{lang}-{name}"] = (f"POST {path}", html)
    # The guide's feedback form, sent empty, answers with its errors.
    action = re.search(r'action="([^"]*tramites-opinion/[^"]*)"', pages[f"{lang}-guia"][1]).group(1)
    response = client.post(action, {"comment": ""})
    assert response.status_code == 400 and 'class="errorlist' in response.content.decode()
    pages[f"{lang}-opinion-errores"] = (f"POST {action}", response.content.decode())
    # Pages of a signed-in resident: the profile and a new proposal with its errors.
    client.force_login(citizen)
    response = client.get(f"{prefix}/cuentas/perfil/")
    assert response.status_code == 200
    pages[f"{lang}-perfil"] = (f"{prefix}/cuentas/perfil/", response.content.decode())
    response = client.post(f"{prefix}/participa/propuestas/nueva/", {"title": ""})
    assert response.status_code == 400 and 'class="errorlist' in response.content.decode()
    pages[f"{lang}-propuesta-nueva-errores"] = (f"POST {prefix}/participa/propuestas/nueva/", response.content.decode())
    client.logout()
    response = client.get(f"{prefix}/pagina-que-no-existe/")
    assert response.status_code == 404
    pages[f"{lang}-404"] = (f"{prefix}/pagina-que-no-existe/", response.content.decode())
    return pages


def _report(messages: list[dict], files: dict[str, str]) -> str:
    lines = []
    for message in messages:
        name = Path(urlsplit(message.get("url", "")).path).stem
        where = files.get(name, message.get("url", "?"))
        line = message.get("lastLine", message.get("firstLine", "?"))
        lines.append(f"{where} (línea {line}): {message.get('message')}\n    {message.get('extract', '').strip()}")
    return "\n".join(lines)


def test_public_pages_have_no_html_errors(client, verified_citizen, tmp_path):
    jar = _vnu_jar()
    pages = {**_pages(client, verified_citizen, "es"), **_pages(client, verified_citizen, "en")}
    files = {}
    for name, (path, html) in pages.items():
        (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
        files[name] = path
    result = subprocess.run(
        ["java", "-jar", str(jar), "--errors-only", "--format", "json", *sorted(map(str, tmp_path.glob("*.html")))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error") or m.get("subType") == "fatal"]
    assert len(pages) >= 50
    assert not errors, f"El validador Nu encontró {len(errors)} errores:\n{_report(errors, files)}"
    assert result.returncode == 0, result.stderr[-2000:]
