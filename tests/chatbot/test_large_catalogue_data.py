"""The large evaluation catalogue and its held-out questions are well formed (issue 10, item 4).

Data checks only (no database): the catalogue has the demo format, its slugs are
new, and every held-out question names an existing guide, is not a training
phrase, a title or an alias, and is not mistaken for an emergency.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chatbot.urgent import detect

ROOT = Path(__file__).resolve().parents[2]
LARGE = ROOT / "chatbot" / "eval" / "catalogue_large.yaml"
HELDOUT = ROOT / "chatbot" / "eval" / "heldout_large.yaml"
DEMO = ROOT / "cms" / "demo" / "tramites.yaml"
NORMATIVA = ROOT / "cms" / "demo" / "normativa.yaml"
ASKS = {"requirements", "cost", "duration", "office", "online", "none"}


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def demo() -> list[dict]:
    return _load(DEMO)["tramites"]


@pytest.fixture(scope="module")
def large() -> list[dict]:
    return _load(LARGE)["tramites"]


@pytest.fixture(scope="module")
def examples() -> list[dict]:
    return _load(HELDOUT)["examples"]


def _nonempty_text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _nonempty_list(value) -> bool:
    return isinstance(value, list) and bool(value) and all(_nonempty_text(item) for item in value)


def test_catalogue_has_the_demo_format(large):
    data = _load(LARGE)
    assert set(data) == set(_load(DEMO)), "same top-level blocks as the demo (municipality, tramites)"
    assert _nonempty_text(data["municipality"]["name"])
    assert len(large) >= 160
    normativa = {n["id"] for n in _load(NORMATIVA)["normativa"]}
    problems = []
    for guide in large:
        slug = guide.get("slug", "?")
        for key in ("slug", "title", "category", "summary", "office"):
            if not _nonempty_text(guide.get(key)):
                problems.append((slug, key))
        for key in ("aliases", "requirements", "steps", "tags"):
            if not _nonempty_list(guide.get(key)):
                problems.append((slug, key))
        cost, duration = guide.get("cost") or {}, guide.get("duration") or {}
        if not (isinstance(cost.get("amount_bs"), int) and cost["amount_bs"] >= 0 and _nonempty_text(cost.get("text"))):
            problems.append((slug, "cost"))
        if not (
            isinstance(duration.get("business_days"), int)
            and duration["business_days"] >= 0
            and _nonempty_text(duration.get("text"))
        ):
            problems.append((slug, "duration"))
        if not isinstance(guide.get("online"), bool):
            problems.append((slug, "online"))
        if not isinstance(guide.get("legal_basis"), list) or set(guide["legal_basis"]) - normativa:
            problems.append((slug, "legal_basis"))
    assert not problems


def test_slugs_are_unique_and_new(demo, large):
    slugs = [g["slug"] for g in large]
    assert len(slugs) == len(set(slugs))
    assert not set(slugs) & {g["slug"] for g in demo}


def test_catalogue_has_near_twins(large):
    """The hard cases on purpose: several guides about the same thing."""
    titles = " | ".join(g["title"].lower() for g in large)
    for word in ("renovación", "baja", "transferencia", "duplicado", "modificación"):
        assert titles.count(word) >= 2, word
    licences = [g for g in large if g["title"].lower().startswith("licencia de funcionamiento para")]
    assert len(licences) >= 8


def test_heldout_guides_exist_and_asks_are_known(demo, large, examples):
    slugs = {g["slug"] for g in demo + large}
    assert len(examples) >= 260
    unknown = [e["text"] for e in examples if e["guide"] is not None and e["guide"] not in slugs]
    assert not unknown
    assert all(e["asks"] in ASKS for e in examples)
    assert all(e["asks"] == "none" for e in examples if e["guide"] is None)
    assert sum(e["guide"] is None for e in examples) >= 30
    covered = {e["guide"] for e in examples if e["guide"]}
    assert len(covered & {g["slug"] for g in large}) >= 150


def test_heldout_texts_are_unique_and_not_titles_or_aliases(demo, large, examples):
    texts = [e["text"].strip().lower() for e in examples]
    assert len(texts) == len(set(texts))
    names = {n.strip().lower() for g in demo + large for n in [g["title"], *g["aliases"]]}
    assert not set(texts) & names


def test_heldout_is_separate_from_training_data(examples):
    training = " ".join(
        p.read_text(encoding="utf-8").lower() for p in (ROOT / "chatbot" / "rasa" / "data").glob("*.yml")
    )
    leaked = [e["text"] for e in examples if f"- {e['text'].lower()}\n" in training]
    assert not leaked
    small = {e["text"].lower() for e in _load(ROOT / "chatbot" / "eval" / "heldout.yaml")["examples"]}
    assert not small & {e["text"].lower() for e in examples}


def test_heldout_guide_questions_are_not_emergencies(examples):
    """A question about a guide must reach the guide, not the urgent answer."""
    urgent = [(e["text"], detect(e["text"])) for e in examples if e["guide"] and detect(e["text"])]
    assert not urgent
