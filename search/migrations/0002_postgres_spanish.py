"""PostgreSQL only: Spanish text search with unaccent, and trigram matching.

* extensions ``unaccent`` and ``pg_trgm``;
* the ``ayni_spanish`` text-search configuration (a copy of ``spanish`` whose
  words pass through ``unaccent`` before the Spanish stemmer and stop words),
  used by Wagtail's database backend (``SEARCH_CONFIG`` in
  ayni/settings/search.py);
* a GIN trigram index on the vocabulary, for typo correction with ``%``.

A no-op on SQLite and other databases.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'ayni_spanish') THEN
            CREATE TEXT SEARCH CONFIGURATION ayni_spanish (COPY = pg_catalog.spanish);
        END IF;
    END
    $$
    """,
    "ALTER TEXT SEARCH CONFIGURATION ayni_spanish "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem",
    "CREATE INDEX IF NOT EXISTS portal_search_term_word_trgm "
    "ON portal_search_searchterm USING gin (word gin_trgm_ops)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS portal_search_term_word_trgm",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS ayni_spanish",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("portal_search", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
