"""URLs from outside (another CKAN portal, editors) are only ever http(s) (issue 9)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template

from ayni.validators import safe_http_url, validate_http_url, validate_rich_text_links
from opendata import services
from opendata.ckan.harvest import ckan_harvest
from opendata.ckan.mapping import resource_dict
from opendata.models import Dataset, Resource

UNSAFE = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x00javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://ftp.ejemplo.bo/datos.csv",
    "//evil.example/x",
    "/relativo",
    "https://",
    "http://exa mple.bo/",
]


@pytest.mark.parametrize("value", UNSAFE)
def test_only_absolute_http_urls_pass(value):
    with pytest.raises(ValidationError) as exc:
        validate_http_url(value)
    assert "http://" in exc.value.messages[0]
    assert safe_http_url(value) == ""


@pytest.mark.parametrize(
    "value", ["https://datos.ejemplo.bo/recurso.csv", "http://ejemplo.bo/a?b=1&c=%20", "HTTPS://EJEMPLO.BO/"]
)
def test_http_urls_pass(value):
    validate_http_url(value)
    assert safe_http_url(value) == value


class FakeCkan:
    """package_search of a remote portal that serves one hostile package."""

    def __init__(self, packages):
        self.packages = packages

    def package_search(self, *, fq, rows, start, include_private):
        return {"results": self.packages[start : start + rows], "count": len(self.packages)}


def _package(name, resources):
    return {
        "id": f"id-{name}",
        "name": name,
        "title": "Presupuesto ajeno",
        "notes": "Cosechado.",
        "state": "active",
        "private": False,
        "resources": resources,
    }


@pytest.mark.django_db
def test_a_harvested_javascript_url_never_reaches_the_database_or_the_page(client, caplog):
    resources = [
        {"id": "r1", "name": "Trampa", "url": "javascript:alert(1)", "format": "HTML"},
        {"id": "r2", "name": "Trampa dos", "url": "  JAVA\tSCRIPT:alert(document.cookie)", "format": "HTML"},
        {"id": "r3", "name": "Datos incrustados", "url": "data:text/html,<script>alert(1)</script>"},
        {"id": "r4", "name": "Presupuesto", "url": "https://datos.otro.bo/presupuesto.csv", "format": "CSV"},
    ]
    with caplog.at_level("WARNING", logger="opendata.ckan.harvest"):
        report = ckan_harvest(url="https://datos.otro.bo", ckan=FakeCkan([_package("presupuesto-ajeno", resources)]))

    assert report.created == 1 and not report.errors
    dataset = Dataset.objects.get(slug="presupuesto-ajeno")
    assert list(dataset.resources.values_list("url", flat=True)) == ["https://datos.otro.bo/presupuesto.csv"]
    assert not Resource.objects.filter(url__icontains="script").exists()
    assert not Resource.objects.filter(url__startswith="data:").exists()
    assert dataset.source_url == "https://datos.otro.bo/dataset/presupuesto-ajeno"
    assert caplog.text.count("skipped") == 3

    html = client.get(dataset.get_absolute_url()).content.decode()
    assert "https://datos.otro.bo/presupuesto.csv" in html
    assert "javascript" not in html.lower() and "alert(" not in html


@pytest.mark.django_db
def test_a_package_name_cannot_turn_the_source_link_into_a_script():
    ckan = FakeCkan([_package("x\"onmouseover='alert(1)'", [])])
    ckan_harvest(url="javascript:alert(1)//", ckan=ckan)
    dataset = Dataset.objects.get(is_external=True, title="Presupuesto ajeno")
    assert dataset.source_url == ""


@pytest.fixture
def url_resource(db):
    dataset = services.dataset_create(
        title="Enlaces de prueba", slug="enlaces-de-prueba", description="Prueba.", publish=True
    )
    return services.resource_create(
        dataset=dataset, slug="enlace", title="Enlace", kind=Resource.Kind.URL, url="https://ejemplo.bo/datos.csv"
    )


def test_editors_cannot_store_a_script_link_on_a_resource(url_resource):
    with pytest.raises(ValidationError) as exc:
        services.resource_create(
            dataset=url_resource.dataset, slug="otro", kind=Resource.Kind.URL, url="javascript:alert(1)"
        )
    assert "http://" in str(exc.value)
    url_resource.url = "ftp://ftp.ejemplo.bo/datos.csv"
    with pytest.raises(ValidationError):
        url_resource.full_clean()


def test_a_script_link_already_stored_is_not_rendered(client, url_resource):
    Resource.objects.filter(pk=url_resource.pk).update(url="javascript:alert(1)")  # legacy row, no validation
    Dataset.objects.filter(pk=url_resource.dataset_id).update(is_external=True, source_url="javascript:alert(2)")
    html = client.get(url_resource.dataset.get_absolute_url()).content.decode()
    assert "Enlaces de prueba" in html
    assert "javascript" not in html.lower() and "alert(" not in html


def test_the_ckan_bridge_never_sends_a_script_link(url_resource):
    url_resource.url = "javascript:alert(1)"
    assert resource_dict(url_resource, None)["url"] == ""
    url_resource.url = "https://ejemplo.bo/datos.csv"
    assert resource_dict(url_resource, None)["url"] == "https://ejemplo.bo/datos.csv"


def test_guide_and_news_fields_refuse_script_links():
    from cms.models import GuidePage, NewsPage

    online_url = GuidePage._meta.get_field("online_url")
    for value in ("javascript:alert(1)", "ftp://ejemplo.bo/x"):
        with pytest.raises(ValidationError):
            online_url.clean(value, None)
    assert online_url.clean("https://tramites.ejemplo.bo/", None) == "https://tramites.ejemplo.bo/"

    body = NewsPage._meta.get_field("body")
    for value in (
        '<p><a href="javascript:alert(1)">clic</a></p>',
        "<p><a href='  JavaScript:alert(1)'>clic</a></p>",
        '<p><a href="java&#x09;script:alert(1)">clic</a></p>',
        '<p><a href="data:text/html,x">clic</a></p>',
    ):
        with pytest.raises(ValidationError):
            body.clean(value, None)
    fine = '<p><a href="https://ejemplo.bo">a</a> <a href="mailto:x@ejemplo.bo">b</a> <a href="#c">c</a></p>'
    assert body.clean(fine, None) == fine
    validate_rich_text_links('<a linktype="page" id="3">interno</a>')


def test_the_admin_rich_text_editor_drops_script_links():
    """Draftail's converter (what editors save through) already refuses them; kept as a guard."""
    import json

    from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter

    converter = ContentstateConverter(features=["link"])
    contentstate = {
        "blocks": [
            {
                "key": "a",
                "text": "clic",
                "type": "unstyled",
                "depth": 0,
                "inlineStyleRanges": [],
                "entityRanges": [{"offset": 0, "length": 4, "key": 0}],
            }
        ],
        "entityMap": {"0": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": "javascript:alert(1)"}}},
    }
    assert "javascript" not in converter.to_database_format(json.dumps(contentstate))


@pytest.mark.django_db
def test_stored_pages_render_without_script_links(client):
    from cms.models import GuidePage, NewsPage

    news = NewsPage.objects.live().first()
    guide = GuidePage.objects.live().filter(online=True).first()
    assert news is not None and guide is not None  # demo content
    NewsPage.objects.filter(pk=news.pk).update(body='<p>Nota <a href="javascript:alert(1)">clic</a></p>')
    GuidePage.objects.filter(pk=guide.pk).update(online_url="javascript:alert(2)")
    for page in (news, guide):
        html = client.get(page.url).content.decode()
        assert page.title in html
        assert "javascript:" not in html.lower() and "alert(" not in html


def test_the_template_filters():
    rendered = Template(
        '{% load ayni_urls %}<a href="{{ bad|http_url }}"></a><a href="{{ good|http_url }}"></a>{{ body|safe_links }}'
    ).render(
        Context(
            {
                "bad": "javascript:alert(1)",
                "good": "https://ejemplo.bo/",
                "body": '<a href="javascript:alert(1)">x</a>',
            }
        )
    )
    assert "javascript" not in rendered and 'href="https://ejemplo.bo/"' in rendered
