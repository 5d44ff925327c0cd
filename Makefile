# Mia's Feed. Quick start: `make run` (serve on :8000) and `make test`.
PORT ?= 8000
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HTMX := static/vendor/htmx.min.js
ASSETS := static/dist/manifest.json
STATIC_SOURCES := $(shell find static -type f -not -path 'static/dist/*' 2>/dev/null)

.PHONY: run test setup db content bench clean lighthouse page-weight observatory
.DEFAULT_GOAL := run

# Each step leaves a stamp newer than its inputs, so a second `make run`
# skips straight to serving. `make run` installs what the site needs to run;
# the test tools (pytest, Playwright, Hypothesis, aiosmtpd: the `test` extra)
# come with `make test` and the benchmarks that use them.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Lighthouse (~200 packages) has its own package.json and lock in
# bench/lighthouse-npm/, so `make setup` never installs or validates it.
LIGHTHOUSE := bench/lighthouse-npm/node_modules/.bin/lighthouse
$(LIGHTHOUSE): bench/lighthouse-npm/package.json bench/lighthouse-npm/package-lock.json
	npm ci --prefix bench/lighthouse-npm --no-audit --no-fund --loglevel=error
	touch $@

$(HTMX): node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

# Content-hashed copies of static/ (plus .br/.gz) for WhiteNoise; see miafeed/http/assets.py.
$(ASSETS): $(VENV)/.installed $(HTMX) $(STATIC_SOURCES)
	$(BIN)/python -m miafeed.http.assets static

setup: $(VENV)/.installed $(HTMX) $(ASSETS)

.PHONY: setup-test
setup-test: setup $(VENV)/.test-installed

# Create or migrate the database, import the content folder (CONTENT_DIR:
# the demo articles in development, nothing unless set in production) if it
# has no articles, and build the search index (with the related picks) if it
# is missing or behind.
db: setup
	$(FLASK) db upgrade heads
	$(FLASK) content import --if-empty
	$(FLASK) search ensure

content: setup
	$(FLASK) content import

run: db
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: setup-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same suite on PostgreSQL: against MIAFEED_TEST_DATABASE_URL when set
# (a server where the user may create databases), otherwise on a throwaway
# PostgreSQL 15 cluster started for the run and deleted afterwards.
.PHONY: test-postgres
test-postgres: setup-test
	$(BIN)/python tests/services.py postgres -- $(BIN)/python -m pytest $(PYTEST_ARGS)

# The in-process tests with the clock moved 400 days ahead (Debian's faketime):
# a test written against today's date fails here the day it is written.
.PHONY: test-time-travel
test-time-travel: setup-test
	faketime '+400 days' $(BIN)/python -m pytest tests --ignore=tests/system --ignore=tests/browser $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/render_pages.py

# Whoosh vs SQLite FTS5, and the Related Articles picks (figures, not tests).
.PHONY: bench-search
bench-search: setup
	$(BIN)/python bench/search_bench.py --articles $(or $(ARTICLES),10000)
	$(BIN)/python bench/related_bench.py --articles $(or $(ARTICLES),10000)

# Lighthouse (mobile) on the home page, an article and a search page, against
# a gunicorn started for the run (or BASE_URL=http://... for a running one).
lighthouse: setup $(LIGHTHOUSE)
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python bench/lighthouse.py

# MDN HTTP Observatory grade, scanned locally over HTTPS (needs root: ports 80 and 443).
observatory: setup
	bash bench/observatory.sh

# Compressed first-visit weight of an article (HTML + CSS + JS) against the 60 KB budget.
page-weight: setup
	$(BIN)/python bench/page_weight.py

# The production kit's checks (systemd-analyze, nginx -t, caddy validate); see deploy/check.sh.
.PHONY: check-deploy
check-deploy: setup
	bash deploy/check.sh

clean:
	rm -rf $(VENV) node_modules static/vendor static/dist bench/lighthouse-npm/node_modules

# The site against a hello-world Flask app under wrk, page cache on and off (ports 8201-8203).
.PHONY: bench-http
bench-http: setup
	$(BIN)/python bench/http_bench.py $(BENCH_ARGS)

.PHONY: bench-newsletter
bench-newsletter: setup-test
	$(BIN)/python bench/newsletter_digest.py
