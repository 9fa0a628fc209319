# edmportal — two commands do everything: `make run` (the demo) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test install sandbox lint format clean check topology compose-check

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

# The demo: SQLite, a filesystem Celery broker, the sandbox platform, a real worker and beat.
run: install
	$(BIN)/python scripts/run_demo.py

# The whole suite. DATABASE_URL / REDIS_URL (set by .ci/run) select PostgreSQL and Redis.
test: install
	@scripts/ensure_chromium.sh
	$(BIN)/python -m pytest

# The production topology without Docker (gunicorn, 2 workers, beat, PostgreSQL, Redis); part of
# `make test` too. Needs DATABASE_URL (PostgreSQL) and REDIS_URL, as .ci/run sets them.
topology: install
	$(BIN)/python -m pytest tests/multiprocess -v

# docker-compose.yml validates (needs docker-compose, e.g. Debian's package; no engine).
compose-check:
	docker-compose -f docker-compose.yml config -q

# The platform sandbox alone, on 127.0.0.1:8025.
sandbox: install
	$(BIN)/python -m sandbox serve --host 127.0.0.1 --port 8025 --state var/sandbox.sqlite3 --seed

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
