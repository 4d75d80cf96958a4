"""``manage.py search_eval``: top-1 / top-3 accuracy of the portal search over a YAML file of queries,
and the shape of the large relevance set (chatbot/eval/search_large.yaml)."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from search import selectors

ROOT = Path(__file__).resolve().parents[2]
LARGE_SET = ROOT / "chatbot" / "eval" / "search_large.yaml"


def _slugs(path: Path) -> set[str]:
    return {guide["slug"] for guide in yaml.safe_load(path.read_text(encoding="utf-8"))["tramites"]}


def _run(tmp_path, examples, *flags) -> str:
    file = tmp_path / "queries.yaml"
    file.write_text(yaml.safe_dump({"examples": examples}, allow_unicode=True), encoding="utf-8")
    out = StringIO()
    call_command("search_eval", str(file), *flags, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_prints_top_one_and_top_three_on_the_demo_guides(tmp_path):
    second = selectors.search(query="licencia", type_name="guide").hits[1].slug
    unrelated = [h.slug for h in selectors.search(query="permiso para construir", type_name="guide").hits]
    assert "registro-de-mascotas" not in unrelated  # precondition of the "no aparece" line
    examples = [
        {"q": "licencia de funcionamiento", "guide": "licencia-de-funcionamiento"},
        {"q": "catastro", "guide": "certificado-catastral"},
        {"q": "permiso para construir", "guide": "permiso-de-construccion"},
        {"q": "licencia", "guide": second},  # second place: in the top 3, not first
        {"q": "permiso para construir", "guide": "registro-de-mascotas"},  # not found at all
    ]

    output = _run(tmp_path, examples)

    assert "Búsqueda de guías: 5 consultas sobre 5 guías" in output
    assert "Guía correcta en primer lugar (top 1): 60.0% (3/5)" in output
    assert "Guía correcta entre las 3 primeras (top 3): 80.0% (4/5)" in output
    assert "✗" not in output  # misses only with --show-errors

    errors = _run(tmp_path, examples, "--show-errors").splitlines()
    misses = [line for line in errors if "✗" in line]
    assert len(misses) == 2
    # Worst first, each with the expected guide, where it came and the top 3 got.
    assert misses[0].startswith("  ✗ 'permiso para construir': esperada registro-de-mascotas (no aparece); obtenidas: ")
    assert misses[0].endswith(", ".join(unrelated[:3]))
    assert misses[1].startswith(f"  ✗ 'licencia': esperada {second} (puesto 2); obtenidas: ")


@pytest.mark.django_db
def test_a_guide_that_is_not_published_is_an_error_not_a_miss(tmp_path):
    with pytest.raises(CommandError, match="no están publicadas.*guia-inexistente"):
        _run(tmp_path, [{"q": "licencia", "guide": "guia-inexistente"}])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("examples", "message"),
    [([], "no tiene ejemplos"), ([{"q": "licencia"}], "Ejemplo 1: se esperan los campos")],
)
def test_a_malformed_file_is_reported_in_spanish(tmp_path, examples, message):
    with pytest.raises(CommandError, match=message):
        _run(tmp_path, examples)


def test_the_large_relevance_set_is_large_varied_and_names_real_guides():
    examples = yaml.safe_load(LARGE_SET.read_text(encoding="utf-8"))["examples"]
    large = _slugs(ROOT / "chatbot" / "eval" / "catalogue_large.yaml")
    demo = _slugs(ROOT / "cms" / "demo" / "tramites.yaml")
    queries = [example["q"] for example in examples]
    guides = {example["guide"] for example in examples}

    assert not sorted(guides - large - demo), "slugs that are in no catalogue"
    assert len(queries) >= 120 and len(set(queries)) == len(queries)
    assert len(guides) >= 100 and len(guides & large) >= 100
    assert guides & demo  # some demo guides too
    assert all(1 <= len(query.split()) <= 6 for query in queries)  # search-box queries, not sentences
