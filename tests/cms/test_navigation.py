"""The header: every section, the account links, the current section marked, in the visitor's language."""

import re

import pytest

from ayni.templatetags.ayni_web import current_section

pytestmark = pytest.mark.django_db

GUIDE = "/tramites/licencia-de-funcionamiento/"
SECTIONS = {
    "es": ["Trámites", "Participa", "Datos", "Normativa", "Transparencia", "Noticias"],
    "en": ["Procedures", "Take part", "Data", "Regulations", "Transparency", "News"],
}


def _nav(html: str, label: str = "Principal|Main") -> str:
    return re.search(rf'<nav aria-label="(?:{label})"[^>]*>(.*?)</nav>', html, re.S).group(1)


def _links(nav: str) -> list[tuple[str, str, str]]:
    """(href, aria-current or "", text) of each link."""
    return [
        (href, current, text)
        for href, current, text in re.findall(r'<a href="([^"]+)"(?: aria-current="([^"]+)")?>([^<]+)</a>', nav)
    ]


@pytest.mark.parametrize(("language", "prefix"), [("es", "/"), ("en", "/en/")])
def test_every_header_link_answers_and_stays_in_the_language(client, language, prefix):
    html = client.get(prefix).content.decode()
    links = _links(_nav(html))
    assert [text for _href, _current, text in links] == SECTIONS[language]
    for href, _current, _text in links:
        assert href.startswith(prefix), href
        response = client.get(href)
        assert response.status_code == 200, href
        # The page it leads to is in the same language (its <html lang> and its own header).
        page = response.content.decode()
        assert re.search(r'<html lang="(es-BO|en)">', page).group(1) == ("es-BO" if language == "es" else "en"), href
        assert [text for _h, _c, text in _links(_nav(page))] == SECTIONS[language], href
    assert re.search(rf'<a class="brand" href="{prefix}">', html)


@pytest.mark.parametrize(
    ("path", "marked", "current"),
    [
        ("/tramites/", "Trámites", "page"),
        (GUIDE, "Trámites", "true"),
        ("/participa/", "Participa", "page"),
        ("/participa/propuestas/", "Participa", "true"),
        ("/datos/", "Datos", "page"),
        ("/normativa/", "Normativa", "page"),
        ("/noticias/", "Noticias", "page"),
        ("/en/transparencia/", "Transparency", "page"),
        ("/en/participa/reclamos/", "Take part", "true"),
        ("/", None, None),
        ("/buscar/", None, None),
    ],
)
def test_the_current_section_is_marked(client, path, marked, current):
    html = client.get(path).content.decode()
    marks = [(text, mark) for _href, mark, text in _links(_nav(html)) if mark]
    assert marks == ([(marked, current)] if marked else [])


def test_a_cached_header_keeps_each_section_its_own_mark(client, settings):
    """The header fragment is cached per section: the mark of one page never shows on another."""
    settings.AYNI_PAGE_CACHE_SECONDS = 0
    for _ in range(2):
        for path, marked in (("/datos/", "Datos"), ("/normativa/", "Normativa"), ("/", None)):
            marks = [text for _h, mark, text in _links(_nav(client.get(path).content.decode())) if mark]
            assert marks == ([marked] if marked else []), path


def test_current_section_reads_the_path_without_the_language_prefix():
    assert current_section("/tramites/licencia/", "es") == ("tramites", False)
    assert current_section("/en/datos/", "en") == ("datos", True)
    assert current_section("/en/", "en") == ("", False)
    assert current_section("/documentos/1/x.pdf", "es") == ("", False)
    assert current_section("/tramitesx/", "es") == ("", False)


def test_account_links_for_visitors_and_residents(client, citizen):
    html = client.get("/noticias/").content.decode()
    account = _nav(html, "Tu cuenta")
    assert _links(account) == [
        ("/cuentas/ingresar/?next=/noticias/", "", "Ingresar"),
        ("/cuentas/registro/", "", "Registrarse"),
    ]
    # On the login page itself: no way back to it, and the link is marked.
    login = _nav(client.get("/cuentas/ingresar/").content.decode(), "Tu cuenta")
    assert ("/cuentas/ingresar/", "page", "Ingresar") in _links(login)
    english = _nav(client.get("/en/noticias/").content.decode(), "Your account")
    assert [href for href, _c, _t in _links(english)] == [
        "/en/cuentas/ingresar/?next=/en/noticias/",
        "/en/cuentas/registro/",
    ]

    client.force_login(citizen)
    account = _nav(client.get("/noticias/").content.decode(), "Tu cuenta")
    assert _links(account) == [("/cuentas/perfil/", "", "Mi cuenta")]
    assert re.search(r'<form method="post" action="/cuentas/salir/">.*?>Salir</button></form>', account, re.S)


@pytest.mark.parametrize("path", ["/participa/", "/en/participa/"])
def test_the_participation_landing_page_answers(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    ("path", "target"), [("/cuentas/", "/cuentas/ingresar/"), ("/en/cuentas/", "/en/cuentas/ingresar/")]
)
def test_the_accounts_landing_leads_to_signing_in(client, path, target):
    response = client.get(path)
    assert (response.status_code, response["Location"]) == (302, target)
    assert client.get(target).status_code == 200


def test_the_phone_menu_is_a_disclosure_that_works_without_javascript(client):
    html = client.get(GUIDE).content.decode()
    header = html.split("</header>", 1)[0]
    menu = re.search(
        r'<details class="site-menu" id="menu">\s*<summary class="menu-button">(.*?)</summary>', header, re.S
    )
    assert menu and "Menú" in menu.group(1)
    # The sections, the languages and the account are inside it; the search box stays outside (always visible).
    details = header.split('<details class="site-menu"', 1)[1]
    for label in ("Principal", "Idioma", "Tu cuenta"):
        assert f'<nav aria-label="{label}"' in details
    assert 'id="q-header"' not in details
    assert re.search(r'<script src="[^"]*js/menu[^"]*\.js" defer></script>', html)


@pytest.mark.parametrize(
    ("path", "other"),
    [
        (GUIDE, "/en/tramites/operating-licence/"),  # its translation, with its own slug
        ("/en/tramites/operating-licence/", GUIDE),
        ("/participa/", "/en/participa/"),
        ("/buscar/?q=licencia", "/en/buscar/?q=licencia"),
    ],
)
def test_the_language_switch_goes_to_the_same_page_in_the_other_language(client, path, other):
    page = client.get(path).content.decode()
    languages = re.findall(r'<a href="([^"]+)" lang="(es|en)" hreflang="\2"', _nav(page, "Idioma|Language"))
    switch = dict((code, href) for href, code in languages)
    assert set(switch) == {"es", "en"}
    assert other in switch.values()
    assert client.get(other).status_code == 200
