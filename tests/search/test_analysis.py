from search.analysis import STOP_WORDS, clean_text, fold, query_terms, stem, word_line, words


def test_fold_removes_case_and_accents_like_unaccent():
    assert fold("Construcción ÁREA Ñandú Pingüino") == "construccion area nandu pinguino"


def test_words_are_folded_and_split_on_punctuation():
    assert words("Licencia (funcionamiento), N° 217/2016") == ["licencia", "funcionamiento", "n", "217", "2016"]


def test_spanish_stop_words_come_from_the_snowball_list():
    assert {"de", "la", "para", "mi", "como", "el", "los", "una"} <= STOP_WORDS
    assert "licencia" not in STOP_WORDS and "tramite" not in STOP_WORDS


def test_query_terms_drop_stop_words_single_letters_and_repeats():
    assert query_terms("¿Cómo saco mi licencia de la licencia y una patente?") == ["saco", "licencia", "patente"]
    assert query_terms("ley 2 de 482") == ["ley", "2", "482"]
    assert query_terms("de la y en") == []


def test_query_terms_are_capped():
    assert len(query_terms(" ".join(f"palabra{i}" for i in range(50)))) == 10


def test_snowball_stems_join_plurals_and_forms():
    assert stem("licencias") == stem("licencia")
    assert stem("construcciones") == stem("construccion")
    assert stem("mascotas") == stem("mascota")
    assert stem("construir") == "constru"


def test_clean_text_drops_control_characters_and_cuts():
    assert clean_text("  a\x00b \t c\n", max_length=100) == "a b c"
    assert len(clean_text("x" * 10_000, max_length=200)) == 200


def test_word_line_is_space_delimited_for_prefix_matching():
    assert word_line("Trámite Único") == " tramite unico "


def test_the_thesaurus_expands_residents_words_and_phrases():
    from search.analysis import expansions

    found = expansions("kiero abrir una ferreterias y un cafe internet pa mi michi")
    assert "negocio" in found["ferreterias"]  # plural of a listed word
    assert "mascota" in found["michi"]
    assert "internet" in found["cafe internet"]
    assert expansions("cuanto cuesta la licencia") == {}


def test_the_thesaurus_file_is_in_elasticsearch_synonym_format():
    from pathlib import Path

    import search

    path = Path(search.__file__).with_name("data") / "sinonimos.txt"
    rules = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert rules and all(line.count("=>") == 1 and line.split("=>")[0].strip() for line in rules)
