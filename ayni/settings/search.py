"""Search backend: Wagtail's database backend, or Elasticsearch 9 when
ELASTICSEARCH_URL is set (Spanish default analyzer).

On PostgreSQL the database backend uses the ``ayni_spanish`` text-search
configuration (unaccent + Spanish stemmer and stop words); on SQLite, FTS5
folds accents and the search app adds stems and typo tolerance.
"""

from ayni.env import env, env_int

from .database import DATABASES

ELASTICSEARCH_URL = env("ELASTICSEARCH_URL")
AYNI_SEARCH_PG_CONFIG = "ayni_spanish"

# Spanish analysis: lowercase, accent folding, Spanish stop words and the
# light_spanish stemmer. Used as the default analyzer of every text field.
ELASTICSEARCH_INDEX_SETTINGS = {
    "settings": {
        "index": {
            "analysis": {
                "filter": {
                    "spanish_stop": {"type": "stop", "stopwords": "_spanish_"},
                    "light_spanish_stemmer": {"type": "stemmer", "language": "light_spanish"},
                },
                "analyzer": {
                    "default": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["lowercase", "asciifolding", "spanish_stop", "light_spanish_stemmer"],
                    },
                },
            }
        }
    }
}

if ELASTICSEARCH_URL:
    WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "wagtail.search.backends.elasticsearch9",
            "URLS": [ELASTICSEARCH_URL],
            "INDEX_PREFIX": env("ELASTICSEARCH_INDEX_PREFIX", "ayni_"),
            "TIMEOUT": 10,
            "OPTIONS": {},
            "INDEX_SETTINGS": ELASTICSEARCH_INDEX_SETTINGS,
        }
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Spanish text search with accent folding: the configuration is created by
    # the migration search/migrations/0002_postgres_spanish.py.
    WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "wagtail.search.backends.database", "SEARCH_CONFIG": AYNI_SEARCH_PG_CONFIG}
    }
else:
    WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# The portal's own search (search/): visits are buffered in the cache and
# written every N visits of a page; typo correction against the vocabulary
# uses pg_trgm on PostgreSQL (this similarity threshold) and RapidFuzz on SQLite.
AYNI_SEARCH_VISIT_FLUSH_EVERY = env_int("AYNI_SEARCH_VISIT_FLUSH_EVERY", 10)
AYNI_SEARCH_TRIGRAM_THRESHOLD = float(env("AYNI_SEARCH_TRIGRAM_THRESHOLD", "0.3"))
