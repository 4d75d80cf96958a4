#!/usr/bin/env bash
# `make eval`: the assistant on the demo (17 guides) and on the demo plus the
# large catalogue of chatbot/eval/catalogue_large.yaml (180+ guides), with the
# built-in understanding and with Rasa's NLU trained on each catalogue. Its own
# SQLite database and Rasa models under var/eval/, so the portal's data is never
# touched; the Rasa venv is the one `make run` uses (var/rasa-venv), created if
# missing. EVAL_RASA=0 skips Rasa (fallback figures only).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export AYNI_VAR_DIR="${AYNI_VAR_DIR:-$PWD/var/eval}" DJANGO_SETTINGS_MODULE=ayni.settings.dev CHATBOT=off LOG_LEVEL=WARNING
export RASA_VENV="${RASA_VENV:-$PWD/var/rasa-venv}"
unset DATABASE_URL REDIS_URL
rm -f "$AYNI_VAR_DIR/ayni.sqlite3"
mkdir -p "$AYNI_VAR_DIR"
evaluate() {  # file, label
  echo "== $2 — comprensión integrada: preguntas de $1"
  $PY manage.py chatbot_eval "$1" --engine fallback
  if [ "${EVAL_RASA:-1}" != "0" ]; then
    echo "== $2 — Rasa (NLU): preguntas de $1"
    $PY manage.py chatbot_eval "$1" --engine rasa
  fi
}
echo "== Base de evaluación en $AYNI_VAR_DIR (migraciones y demo)"
$PY manage.py migrate --noinput -v 0
$PY manage.py load_demo
$PY manage.py update_index -v 0
evaluate chatbot/eval/heldout.yaml "17 guías de la demo"
# In English only the built-in understanding answers (Rasa's model is Spanish).
echo "== 17 guías de la demo en inglés (conjunto de desarrollo) — comprensión integrada"
$PY manage.py chatbot_eval chatbot/eval/heldout_english.yaml --engine fallback
echo "== Importando chatbot/eval/catalogue_large.yaml"
$PY manage.py import_guides chatbot/eval/catalogue_large.yaml --publish
$PY manage.py update_index -v 0
echo "== 17 + catálogo grande — búsqueda: chatbot/eval/search_large.yaml"
$PY manage.py search_eval chatbot/eval/search_large.yaml
evaluate chatbot/eval/heldout_large.yaml "17 + catálogo grande (conjunto de desarrollo)"
evaluate chatbot/eval/heldout_fresh.yaml "17 + catálogo grande (conjunto de desarrollo desde el 2026-12-07)"
evaluate chatbot/eval/heldout_blind.yaml "17 + catálogo grande (conjunto a ciegas, nunca usado para ajustar)"
evaluate chatbot/eval/heldout.yaml "17 + catálogo grande"
