# Mia's Feed. Quick start: `make run` (serve on :8000) and `make test`.
PORT ?= 8000
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HTMX := static/vendor/htmx.min.js

.PHONY: run test setup db content bench reindex clean
.DEFAULT_GOAL := run

# Each step leaves a stamp newer than its inputs, so a second `make run`
# skips straight to serving.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(HTMX): node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

setup: $(VENV)/.installed $(HTMX)

# Create or migrate the database, then load the demo articles if it has none.
db: setup
	$(FLASK) db upgrade heads
	$(FLASK) content import content --if-empty
	@if $(FLASK) --help 2>/dev/null | grep -q '^  search'; then $(FLASK) search ensure; fi

content: setup
	$(FLASK) content import content

run: db
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/render_pages.py

clean:
	rm -rf $(VENV) node_modules static/vendor

.PHONY: bench-newsletter
bench-newsletter: setup
	$(BIN)/python bench/newsletter_digest.py
