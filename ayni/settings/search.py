"""Search backend: Wagtail's database backend, or Elasticsearch 9 when
ELASTICSEARCH_URL is set (Spanish default analyzer)."""

from ayni.env import env

ELASTICSEARCH_URL = env("ELASTICSEARCH_URL")

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
else:
    WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
