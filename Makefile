# Ayni — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
LOCK := requirements.lock
TEST_LOCK := requirements-test.lock

.PHONY: run test install install-test lock lint check migrations-check bench fuzz eval vnu clean help

help:
	@echo "make run    – instala, migra, carga la demo y levanta el portal en http://127.0.0.1:8000"
	@echo "make test   – instala lo necesario para las pruebas y ejecuta toda la suite"
	@echo "make lint   – ruff, formato, capas entre apps (import-linter) y comprobación de migraciones"
	@echo "make lock   – vuelve a resolver requirements.lock y requirements-test.lock desde pyproject.toml"
	@echo "make bench  – mide el rendimiento (escribe bench/results.md)"
	@echo "make eval   – exactitud del asistente con 17 guías y con el catálogo grande (180+)"
	@echo "make fuzz   – schemathesis sobre /api/schema/ con muchos más casos (resumen al final)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The exact, hash-checked versions of requirements-test.lock (runtime + test
# extra), then the project itself without dependencies. Re-run when the lock or
# pyproject.toml changes.
$(STAMP): $(TEST_LOCK) pyproject.toml | $(PY)
	$(PIP) install --quiet --require-hashes -r $(TEST_LOCK)
	$(PIP) install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Re-resolve the lock files from pyproject.toml (Python 3.11 on Linux, with
# hashes) after changing a dependency; pins that still fit are kept.
# `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest allowed version.
LOCK_FLAGS ?=
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --quiet --python-version 3.11 --python-platform linux \
	--generate-hashes --custom-compile-command "make lock" $(LOCK_FLAGS)
lock: | $(PY)
	$(PIP) install --quiet "uv>=0.13,<0.14"
	$(UV_COMPILE) -o $(LOCK)
	$(UV_COMPILE) --extra test -o $(TEST_LOCK)

run: install
	$(PY) bin/run.py

# Debian's Chromium for the browser tests (Playwright never downloads its own).
/usr/bin/chromium:
	@if [ "$$(id -u)" = "0" ]; then apt-get install -y -q chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium); \
	else sudo apt-get install -y -q chromium; fi

install-test: $(STAMP) /usr/bin/chromium

test: install-test
	$(PY) -m pytest; status=$$?; if [ $$status -eq 5 ]; then echo "pytest: no se encontraron pruebas"; exit 0; fi; exit $$status

# Every app's templates, linted by djlint ([tool.djlint] in pyproject.toml).
TEMPLATE_DIRS := $(wildcard */templates)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/djlint --lint $(TEMPLATE_DIRS)
	DJANGO_SETTINGS_MODULE=ayni.settings.test $(PY) manage.py makemigrations --check --dry-run

# Each benchmark rewrites its own section of bench/results.md.
BENCHES ?= pages search supports opendata chat webhook
bench: install
	@for b in $(BENCHES); do if [ -f bench/$$b.py ]; then echo "== bench/$$b.py"; $(PY) bench/$$b.py || exit 1; fi; done

# The same test `make test` runs in its short mode, with many more examples per
# operation and a longer time cap; it prints operations, cases and failures.
FUZZ_EXAMPLES ?= 200
FUZZ_MAX_SECONDS ?= 1800
fuzz: install
	AYNI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) AYNI_FUZZ_MAX_SECONDS=$(FUZZ_MAX_SECONDS) \
		$(PY) -m pytest tests/security/test_api_fuzz.py -q -p no:cacheprovider

# The assistant's accuracy at 17 and at 180+ guides (fallback understanding); its own database under var/eval/.
eval: install
	PY=$(PY) bin/eval.sh

# The Nu Html Checker (vnu-jar from npm, pinned, into var/vnu; needs Java) over the public pages, es and en.
vnu: install
	$(PY) -m pytest tests/test_markup_vnu.py -q -p no:cacheprovider

clean:
	rm -rf $(VENV) var .pytest_cache
