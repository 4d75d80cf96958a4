#!/usr/bin/env bash
# `make eval`: the assistant on the demo (17 guides) and on the demo plus the
# large catalogue of chatbot/eval/catalogue_large.yaml (180+ guides), with the
# fallback understanding (Rasa is not started here). Its own SQLite database
# under var/eval/, so the portal's data is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export AYNI_VAR_DIR="${AYNI_VAR_DIR:-$PWD/var/eval}" DJANGO_SETTINGS_MODULE=ayni.settings.dev CHATBOT=off LOG_LEVEL=WARNING
unset DATABASE_URL REDIS_URL
rm -f "$AYNI_VAR_DIR/ayni.sqlite3"
mkdir -p "$AYNI_VAR_DIR"
echo "== Base de evaluación en $AYNI_VAR_DIR (migraciones y demo)"
$PY manage.py migrate --noinput -v 0
$PY manage.py load_demo
echo "== 17 guías de la demo: preguntas de chatbot/eval/heldout.yaml"
$PY manage.py chatbot_eval chatbot/eval/heldout.yaml --engine fallback
echo "== Importando chatbot/eval/catalogue_large.yaml"
$PY manage.py import_guides chatbot/eval/catalogue_large.yaml --publish
$PY manage.py update_index -v 0
echo "== 17 + catálogo grande: preguntas de chatbot/eval/heldout_large.yaml"
$PY manage.py chatbot_eval chatbot/eval/heldout_large.yaml --engine fallback
echo "== 17 + catálogo grande: preguntas de chatbot/eval/heldout.yaml"
$PY manage.py chatbot_eval chatbot/eval/heldout.yaml --engine fallback
