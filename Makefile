# Two commands for a newcomer: `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
BUN_VERSION := 1.4.4
PORT ?= 3000
export PORT

# Reflex must use bun from the npm registry, not download it; no telemetry or update checks.
export PATH := $(CURDIR)/$(TOOLS)/node_modules/.bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false

.PHONY: run test test-unit test-e2e deps test-deps bun chromium migrate seed bench clean

run: deps bun ## install what is missing, migrate, seed demo data, serve on :3000
	DEMO_MODE=$${DEMO_MODE:-1} $(BIN)/python -m remote_vote_app.cli migrate
	@if [ "$${DEMO_MODE:-1}" = 1 ]; then DEMO_MODE=1 $(BIN)/python -m remote_vote_app.cli seed; fi
	DEMO_MODE=$${DEMO_MODE:-1} $(BIN)/reflex run --env prod --single-port --frontend-port $(PORT) --loglevel warning

test: test-deps bun chromium ## unit tests, then browser tests
	$(BIN)/pytest tests/unit
	$(BIN)/pytest tests/e2e

test-unit: test-deps
	$(BIN)/pytest tests/unit

test-e2e: test-deps bun chromium
	$(BIN)/pytest tests/e2e

deps: $(VENV)/.deps
$(VENV)/.deps: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

test-deps: $(VENV)/.test-deps
$(VENV)/.test-deps: requirements-dev.txt $(VENV)/.deps
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

bun: $(TOOLS)/node_modules/.bin/bun
$(TOOLS)/node_modules/.bin/bun:
	@echo "Installing bun $(BUN_VERSION) from the npm registry (Reflex builds the frontend with it)"
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)

# Debian's Chromium where apt exists (Playwright's own download is not reachable everywhere);
# elsewhere Playwright's usual browser download.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
	  echo "Chromium: $$(command -v chromium || command -v chromium-browser)"; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }; \
	else \
	  $(BIN)/playwright install chromium; \
	fi

migrate: deps
	$(BIN)/python -m remote_vote_app.cli migrate

seed: deps
	DEMO_MODE=1 $(BIN)/python -m remote_vote_app.cli seed

bench: test-deps bun chromium ## page weight (cold cache) and handler latency; not part of make test
	$(BIN)/python -m benchmarks.page_weight
	$(BIN)/python -m benchmarks.handler_latency
	$(BIN)/python -m benchmarks.staff_search

clean:
	rm -rf .web .states remote_vote.db*
