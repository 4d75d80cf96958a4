"""Elasticsearch for scale, checked without a server (none can run here).

The backend is built from the settings the portal generates with
ELASTICSEARCH_URL set; its index settings, mappings, documents and queries
are inspected without connecting.
"""

import copy
import importlib

import pytest
from modelsearch.backends import import_backend
from modelsearch.query import Fuzzy

from cms.models import GuideAlias, GuidePage, GuideRequirement
from search import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def es_config(monkeypatch):
    import ayni.settings.search as search_settings

    monkeypatch.setenv("ELASTICSEARCH_URL", "http://elasticsearch:9200")
    try:
        yield copy.deepcopy(importlib.reload(search_settings).WAGTAILSEARCH_BACKENDS["default"])
    finally:
        monkeypatch.delenv("ELASTICSEARCH_URL")
        importlib.reload(search_settings)


@pytest.fixture
def es_backend(es_config):
    params = dict(es_config)
    return import_backend(params.pop("BACKEND"))(params)


def _flatten(tree, prefix=""):
    for key, value in tree.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from _flatten(value, name)
        else:
            yield name, value


def test_settings_select_the_elasticsearch9_backend(es_config):
    assert es_config["BACKEND"] == "wagtail.search.backends.elasticsearch9"
    assert es_config["URLS"] == ["http://elasticsearch:9200"]
    assert es_config["INDEX_PREFIX"] == "ayni_"


def test_index_settings_define_a_spanish_default_analyzer(es_backend):
    analysis = es_backend.settings["settings"]["index"]["analysis"]
    default = analysis["analyzer"]["default"]
    assert default["tokenizer"] == "standard"
    assert default["filter"] == ["lowercase", "asciifolding", "spanish_stop", "light_spanish_stemmer"]
    assert analysis["filter"]["spanish_stop"] == {"type": "stop", "stopwords": "_spanish_"}
    assert analysis["filter"]["light_spanish_stemmer"] == {"type": "stemmer", "language": "light_spanish"}


def test_portal_settings_merge_with_wagtails_without_conflicts(es_backend):
    # Elasticsearch reads "analysis" and "index.analysis" as the same place:
    # normalise like the server does and check nothing is defined twice.
    flat = {}
    for key, value in _flatten(es_backend.settings["settings"]):
        normalised = key if key.startswith("index.") else f"index.{key}"
        assert normalised not in flat, normalised
        flat[normalised] = value
    assert "index.analysis.analyzer.edgengram_analyzer.tokenizer" in flat  # Wagtail's autocomplete
    assert "index.analysis.analyzer.default.tokenizer" in flat
    assert flat["index.max_ngram_diff"] == 12


def test_text_fields_use_the_default_analyzer_and_keep_boosts(es_backend):
    mapping = es_backend.mapping_class(GuidePage).get_mapping()["properties"]
    title = next(v for k, v in mapping.items() if k.endswith("title") and "edgengram" not in k)
    assert title["type"] == "text" and "analyzer" not in title
    aliases = next(v for k, v in mapping.items() if k.endswith("alternative_names"))
    assert aliases["type"] == "nested"
    alias_name = next(v for k, v in aliases["properties"].items() if k == "name")
    assert alias_name["type"] == "text" and "analyzer" not in alias_name
    assert "_all_text_boost_3_0" in alias_name["copy_to"]  # aliases weigh like titles (boost=3)
    for name in ("_all_text", "_all_text_boost_3_0"):
        assert mapping[name]["type"] == "text" and "analyzer" not in mapping[name]


def test_documents_carry_aliases_and_requirements(es_backend, guide_page_factory):
    page = guide_page_factory(
        alternative_names=[GuideAlias(name="patente de negocio")],
        requirements=[GuideRequirement(text="Croquis de ubicación del local")],
    )
    document = es_backend.mapping_class(GuidePage).get_document(page)
    names = [item["name"] for item in document["cms_guidepage__alternative_names"]]
    assert "patente de negocio" in names
    assert any("Croquis" in item["text"] for item in document["cms_guidepage__requirements"])


def test_queries_are_fuzzy_on_elasticsearch(es_backend, monkeypatch):
    monkeypatch.setattr(selectors, "get_search_backend", lambda: es_backend)
    query = selectors._backend_query(["licencia", "funcionamiento"])
    assert isinstance(query, Fuzzy) and query.operator == "or"
    compiled = es_backend.query_compiler_class(GuidePage.objects.live(), query).get_query()
    assert "fuzziness': 'AUTO'" in str(compiled) and "licencia funcionamiento" in str(compiled)


def test_the_database_backend_gets_plain_or_queries():
    query = selectors._backend_query(["licencia", "funcionamiento"])
    assert not isinstance(query, Fuzzy) and query.operator == "or"
