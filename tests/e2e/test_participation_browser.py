"""Register → verify → propose → another user supports (live count); anonymous denuncia → follow it.

On the product's server as a subprocess (the ``portal`` fixture of tests/e2e/conftest.py).
Run with ``pytest -m e2e tests/e2e/test_participation_browser.py``; needs Debian's Chromium.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.a11y import blocking_violations

pytestmark = pytest.mark.e2e

PASSWORD = "Llama-Andina-2025"


def assert_accessible(page) -> None:
    blocking = blocking_violations(page)
    assert blocking == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in blocking]


def register_and_verify(page, portal, email: str, name: str) -> None:
    before = len(portal.mails())
    page.goto("/cuentas/registro/")
    assert_accessible(page)
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Nombre (opcional)").fill(name)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Crear la cuenta").click()
    page.get_by_role("heading", name="Revisa tu correo").wait_for()
    mails = portal.mails()
    assert len(mails) == before + 1
    link = re.search(r"https?://\S+/cuentas/verificar/\S+/", mails[-1]).group(0)
    page.goto(link)
    page.get_by_role("heading", name="Correo verificado").wait_for()
    page.goto("/cuentas/ingresar/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/participa/propuestas/")


def test_propose_and_see_supports_arrive_live(new_tab, portal):
    author = new_tab(portal.url)
    register_and_verify(author, portal, "autora.e2e@ejemplo.bo", "Autora")
    assert_accessible(author)
    author.get_by_role("link", name="Presentar una propuesta").click()
    author.get_by_label("Título").fill("Bebederos de agua en el parque")
    author.get_by_label("Descripción").fill("Instalar bebederos de agua potable en el parque central para deportistas.")
    author.get_by_label("Categoría").select_option(label="Espacios públicos")
    author.get_by_role("button", name="Guardar la propuesta").click()
    author.get_by_role("heading", name="Bebederos de agua en el parque").wait_for()
    proposal_url = author.url
    count = author.locator("#support-count")
    assert count.inner_text() == "0"
    # Locator assertions poll without evaluating strings in the page (the CSP forbids eval).
    expect(author.locator("html")).to_have_attribute("data-live", "on")
    assert_accessible(author)

    supporter = new_tab(portal.url)
    register_and_verify(supporter, portal, "apoyo.e2e@ejemplo.bo", "Vecino")
    supporter.goto(proposal_url)
    supporter.get_by_role("button", name="Apoyar esta propuesta").click()
    supporter.get_by_role("button", name="Retirar mi apoyo").wait_for()

    # The author's page was not reloaded: the count arrives through the websocket.
    # With several worker processes the count may come from another one (channel layer or poll).
    expect(count).to_have_text("1", timeout=15_000)
    assert count.inner_text() == "1"


def _png(path) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 200)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_anonymous_denuncia_with_attachment_is_followed_with_its_code(new_tab, portal, tmp_path):
    page = new_tab(portal.url)
    page.goto("/participa/reclamos/")
    assert_accessible(page)
    page.get_by_role("radio", name="Denuncia").check()
    page.get_by_label("Unidad municipal").select_option(label="Administración Tributaria Municipal")
    page.get_by_label("Asunto").fill("Cobro sin recibo en catastro")
    page.get_by_label("Descripción").fill("En la ventanilla de catastro piden un pago extra sin recibo.")
    page.get_by_label("Adjuntos (opcional)").set_input_files(_png(tmp_path / "prueba.png"))
    page.get_by_label("Presentar la denuncia de forma anónima").check()
    page.get_by_role("button", name="Enviar").click()
    page.get_by_role("heading", name="Recibimos tu caso").wait_for()
    code = page.locator(".tracking-code").inner_text().strip()
    assert re.fullmatch(r"DN-[A-Z0-9]{5}-[A-Z0-9]{5}", code)
    assert_accessible(page)

    other = new_tab(portal.url)
    other.goto("/participa/seguimiento/")
    other.get_by_label("Código de seguimiento").fill(code.lower())
    other.get_by_role("button", name="Consultar").click()
    other.get_by_role("heading", name=f"Caso {code}").wait_for()
    assert "Recibido" in other.content()
    assert_accessible(other)
