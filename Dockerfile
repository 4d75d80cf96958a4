# syntax=docker/dockerfile:1
# Ayni: one image for the portal's web (gunicorn + uvicorn workers), worker (rqworker) and migrate
# services of docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    AYNI_VAR_DIR=/app/var \
    DJANGO_SETTINGS_MODULE=ayni.settings.production

WORKDIR /app

# gettext: compilemessages for the translations under locale/ and the apps.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, in their own layer: the exact, hash-checked versions of
# requirements.lock (`make lock` writes it from pyproject.toml); rebuilt only
# when the lock changes.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

# The code. Copied by name from a bind mount of the build context, so that the
# local .venv/, var/ (SQLite database, generated secret_key) and .env never
# enter a layer. The list matches [tool.setuptools.packages.find] in
# pyproject.toml (tests/test_compose.py checks it); locale/ when it exists.
RUN --mount=type=bind,source=.,target=/context \
    cd /context \
 && cp -r manage.py ayni cms participation opendata chatbot search pyproject.toml setup.py MANIFEST.in /app/ \
 && for optional in README.md locale; do \
      if [ -e "$optional" ]; then cp -r "$optional" /app/; fi; \
    done \
 && rm -rf /app/chatbot/rasa/models /app/chatbot/rasa/.rasa \
 && find /app -name __pycache__ -prune -exec rm -rf {} +

# `pip install --no-deps .` registers the project (its dependencies are the
# lock's, above); the code runs from /app (PYTHONPATH), where templates, static
# files and locale/ live next to it.
RUN pip install --no-deps . \
 && rm -rf build ./*.egg-info

# Static files and compiled translations are part of the image. The key and
# host below exist only for this step (production settings require them).
RUN export SECRET_KEY=collectstatic-only-not-a-secret ALLOWED_HOSTS=localhost \
 && python manage.py collectstatic --noinput --verbosity 0 \
 && if find . -name '*.po' | grep -q .; then python manage.py compilemessages --verbosity 0; fi

RUN useradd --system --uid 10001 --home-dir /app --no-create-home ayni \
 && mkdir -p /app/var/media /app/var/private /app/var/mail \
 && chown -R ayni:ayni /app/var/media /app/var/private /app/var/mail \
 && chmod 700 /app/var/private
USER ayni

EXPOSE 8000
# ayni.server runs gunicorn with WEB_CONCURRENCY uvicorn workers, without an access
# log (it would pair client addresses with tracking paths); the portal logs requests
# itself (ayni.access_log). Proxy headers are not trusted by the server: ayni.clients
# resolves client addresses behind AYNI_TRUSTED_PROXIES proxies.
CMD ["python", "-m", "ayni.server", "--bind", "0.0.0.0", "--port", "8000"]
