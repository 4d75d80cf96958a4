import pytest

from search.vocabulary import EXACT, ONE_TYPO, SAME_STEM, STEM_PREFIX, TWO_TYPOS, expand

pytestmark = pytest.mark.django_db


def _variants(term):
    (expansion,) = expand([term])
    return expansion


def test_an_indexed_word_matches_itself_and_its_plural():
    expansion = _variants("licencia")
    assert expansion.variants["licencia"] == EXACT
    assert expansion.best == "licencia" and not expansion.corrected


def test_a_plural_not_in_the_index_finds_the_singular():
    expansion = _variants("licencias")
    assert expansion.variants["licencia"] == SAME_STEM
    assert not expansion.corrected


def test_a_verb_finds_the_noun_through_its_stem():
    expansion = _variants("construir")
    assert expansion.variants.get("construccion") == STEM_PREFIX


@pytest.mark.parametrize(
    ("typed", "meant", "quality"),
    [
        ("lisencia", "licencia", ONE_TYPO),
        ("catastal", "catastral", ONE_TYPO),
        ("construcion", "construccion", ONE_TYPO),
        ("infraciones", "infracciones", ONE_TYPO),
        ("exumasion", "exhumacion", TWO_TYPOS),
    ],
)
def test_typos_are_corrected_against_the_vocabulary(typed, meant, quality):
    expansion = _variants(typed)
    assert expansion.variants[meant] == quality
    assert expansion.best == meant and expansion.corrected


def test_typo_corrections_bring_the_words_that_share_the_stem():
    expansion = _variants("lisencias")
    assert "licencia" in expansion.variants


def test_unknown_words_short_words_and_numbers_are_not_guessed():
    assert expand(["xqzwv"])[0].variants == {}
    assert "ley" not in expand(["lez"])[0].variants  # three letters: too short to guess
    assert expand(["99999"])[0].variants == {}


def test_at_most_ten_variants_per_term():
    assert all(len(e.variants) <= 10 for e in expand(["licencia", "permiso", "registro"]))
