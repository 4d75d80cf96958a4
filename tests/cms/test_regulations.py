"""Regulations: status (vigente / modificada / abrogada), text and PDF, and the links
between a norm and the guides that cite it, both ways."""

import datetime as dt
import io
import re

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from cms.models import GuideLegalBasis, RegulationPage
from tests.cms.factories import GuidePageFactory, RegulationPageFactory

pytestmark = pytest.mark.django_db


def _html(client, page) -> str:
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


def test_status_details_are_checked():
    law = RegulationPageFactory(date=dt.date(2020, 1, 10))
    law.status_date = dt.date(2021, 1, 1)
    with pytest.raises(ValidationError) as error:
        law.full_clean()  # a norm in force carries no repeal date
    assert "status_date" in error.value.message_dict

    law.status = RegulationPage.Status.REPEALED
    law.status_date = dt.date(2019, 1, 1)
    law.status_by = law
    with pytest.raises(ValidationError) as error:
        law.full_clean()
    assert set(error.value.message_dict) == {"status_date", "status_by"}

    law.status_date = dt.date(2021, 1, 1)
    law.status_by = RegulationPageFactory()
    law.full_clean()
    assert not law.in_force
    law.status = RegulationPage.Status.AMENDED
    assert law.in_force


def test_a_repealed_norm_says_so_in_words_and_links_the_norm_that_repeals_it(client):
    new = RegulationPageFactory(title="Ley Municipal nueva de licencias")
    old = RegulationPageFactory(
        title="Ley Municipal antigua de licencias",
        status=RegulationPage.Status.REPEALED,
        status_date=dt.date(2025, 6, 30),
        status_by=new,
    )
    html = _html(client, old)
    assert re.search(r'<span class="badge badge-warn">Estado: Abrogada</span>\s*Esta norma ya no está en vigor\.', html)
    assert f'La abroga: <a href="{new.url}">' in html
    assert '<time datetime="2025-06-30">30/06/2025</time>' in html

    amended = RegulationPageFactory(status=RegulationPage.Status.AMENDED, status_by_citation="Ley N° 1390 de 2021")
    html = _html(client, amended)
    assert "Estado: Vigente con modificaciones" in html and "La modifica: Ley N° 1390 de 2021." in html
    assert "Esta norma está en vigor." in _html(client, new)


def test_norm_and_guides_link_both_ways(client):
    law = RegulationPageFactory(title="Ley Municipal de ferias")
    guide = GuidePageFactory(title="Permiso de feria", legal_basis=[GuideLegalBasis(regulation=law)])
    GuidePageFactory(title="Permiso en borrador", live=False, legal_basis=[GuideLegalBasis(regulation=law)])
    GuidePageFactory(title="Otro trámite")

    html = _html(client, law)
    section = html[html.index('id="tramites-que-la-citan"') :]
    assert f'<a href="{guide.url}">Permiso de feria</a>' in section
    assert "Permiso en borrador" not in html and "Otro trámite" not in html

    guide_html = _html(client, guide)
    assert f'<a href="{law.url}">{law.citation} – Ley Municipal de ferias</a>' in guide_html

    # The guide marks a repealed norm in its legal basis.
    law.status = RegulationPage.Status.REPEALED
    law.save_revision().publish()
    assert '<span class="badge badge-warn">Abrogada</span>' in _html(client, guide)

    lonely = RegulationPageFactory()
    assert "Ningún trámite del portal cita esta norma." in _html(client, lonely)


def test_index_filters_by_status(client):
    RegulationPageFactory(title="Decreto abrogado de prueba", status=RegulationPage.Status.REPEALED)
    RegulationPageFactory(title="Decreto vigente de prueba")
    html = client.get("/normativa/?estado=abrogada").content.decode()
    assert "Decreto abrogado de prueba" in html and "Decreto vigente de prueba" not in html
    assert '<option value="abrogada" selected>Abrogada</option>' in html
    html = client.get("/normativa/?estado=otro").content.decode()  # unknown: no filter
    assert "Decreto abrogado de prueba" in html and "Decreto vigente de prueba" in html


def test_demo_norms_have_text_and_a_pdf_linked_from_the_page(client):
    cpe = RegulationPage.objects.get(slug="cpe-2009")
    html = _html(client, cpe)
    assert "Extracto del texto oficial" in html and "<h3>Artículo 20</h3>" in html

    law = RegulationPage.objects.get(slug="lma-217-2016")
    html = _html(client, law)
    assert "Resumen (no es el texto oficial)" in html
    assert "Trámites que la citan" in html and "Ningún trámite del portal" not in html
    size = law.document.file_size
    link = re.escape(f'href="{law.document.url}" download>Descargar el texto de la norma (PDF, ')
    assert size and re.search(link + r"[\d,.]+\xa0KB\)", html)

    with law.document.file.open("rb") as handle:
        content = handle.read()
    assert len(content) == size
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Ley Municipal Autónoma N° 217/2016" in text and "Licencias de Funcionamiento" in text
    assert "Resumen (no es el texto oficial)" in text and "no es una publicación oficial" in text

    # (Not fetched through Wagtail's document view: the suite keeps files in memory, which that view
    # cannot stream, and overriding STORAGES here would swap the storages other apps' fields hold.)

    # Every demo norm has its text and its own PDF.
    demo = RegulationPage.objects.filter(slug__in=["cpe-2009", "ley-164-2011", "de-053-2018", "ley-004-2010"])
    assert all(page.body and page.document_id for page in demo)
    assert len({page.document_id for page in demo}) == 4
    assert demo.get(slug="ley-004-2010").status == RegulationPage.Status.AMENDED


def test_loader_completes_a_norm_loaded_before_norms_had_a_text():
    from cms.demo.loader import ensure_regulations
    from cms.models import RegulationIndexPage

    RegulationPage.objects.filter(slug="ley-004-2010").update(body="", document=None, status="vigente")
    messages = []
    ensure_regulations(RegulationIndexPage.objects.get(locale__language_code="es"), report=messages.append)
    page = RegulationPage.objects.get(slug="ley-004-2010")
    assert page.body and page.document_id and page.status == RegulationPage.Status.AMENDED
    assert page.live and not page.has_unpublished_changes
    assert messages == ["  normas: 14 (0 nuevas, 1 completadas con su texto)"]
