# edmportal — two commands do everything: `make run` (the demo) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test test-sqlite install imports sandbox lint format clean check topology compose-check messages compilemessages bench reliability-report

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP) compilemessages

# The translations (locale/): compiled in the build when gettext is there (the .mo files are also
# committed). `make messages` extracts new strings into the catalogues after code changes: fill
# the empty msgstr of locale/zh_Hans (the en catalogue is filled with the English text) and
# commit both .po and .mo files (docs/DEVELOPING.md, "Translations").
compilemessages: $(STAMP)
	@scripts/ensure_gettext.sh && $(BIN)/python manage.py compilemessages --ignore=.venv -v 0 || true

messages: $(STAMP)
	@scripts/ensure_gettext.sh
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=sandbox \
	  --ignore=static/vendor --ignore=staticfiles --ignore=var --ignore=test-artifacts \
	  --ignore='*/tests/*' --ignore=bench --ignore=docs --add-location=file --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0

# The demo: SQLite, a filesystem Celery broker, the sandbox platform, a real worker and beat.
run: install
	$(BIN)/python scripts/run_demo.py

# The whole suite. DATABASE_URL / REDIS_URL (set by .ci/run) select PostgreSQL and Redis. Then
# the tests of background jobs, selectors and services again on SQLite with the filesystem
# broker (the demo's database and broker): every job must work on both (docs/DEVELOPING.md).
SQLITE_SUITE := tests/jobs apps/accounts/tests/test_tasks.py apps/analytics/tests/test_sync.py \
  apps/analytics/tests/test_hygiene.py apps/analytics/tests/test_cadence.py \
  apps/analytics/tests/test_live.py apps/experiments/tests/test_ab_and_resend.py \
  apps/campaigns/tests/test_create.py apps/campaigns/tests/test_follow.py \
  apps/campaigns/tests/test_no_duplicates.py apps/contacts/tests/test_importing.py \
  apps/contacts/tests/test_imports.py apps/core/tests/test_audit.py apps/core/tests/test_exports.py \
  apps/core/tests/test_feedback.py apps/domains/tests/test_selectors.py \
  apps/domains/tests/test_tasks.py apps/mailtemplates/tests/test_services.py \
  apps/mailtemplates/tests/test_tasks.py apps/ops/tests/test_resync.py \
  apps/smtp/tests/test_backend.py apps/smtp/tests/test_notifications.py \
  apps/contacts/tests/test_export_full.py
test: install imports
	@scripts/ensure_chromium.sh
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-sqlite

test-sqlite: install
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(BIN)/python -m pytest -m "not browser" $(SQLITE_SUITE)

# Apps import only the layers below them (pyproject.toml [tool.importlinter]).
imports: install
	$(BIN)/lint-imports --no-cache

# The quick gate before a commit (under 2 minutes): lint, import layers, the unit tests that need
# no database, sandbox, worker or browser (tests marked `unit`).
check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -m unit -q

# The reliability and security suites (injected faults, hostile input, isolation and access,
# killed workers and a restarted broker), and their summary table written to
# docs/RELIABILITY.md. Part of `make test` too; set DATABASE_URL / REDIS_URL as for it.
RELIABILITY_SUITES := tests/reliability tests/hostile tests/isolation tests/durability
reliability-report: install
	EDMPORTAL_UPDATE_DOCS=1 $(BIN)/python -m pytest $(RELIABILITY_SUITES) -q

# Every benchmark (bench/run.py): a table with baselines, written to docs/PERFORMANCE.md. Needs
# PostgreSQL (BENCH_DATABASE_URL, default the private database edmportal_bench) and wrk
# (apt-get install -y wrk). About 10 minutes on 2 cores; `--all` adds the per-feature extras.
bench: install
	@command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install -y wrk"; exit 1; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

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
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
