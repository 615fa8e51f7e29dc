# Two commands for a newcomer: `make run` and `make test` (see README).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
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

.PHONY: run run-prod services test test-unit test-e2e deps test-deps lock bun chromium oidc migrate import-reference seed backup restore bench bench-prod bench-identify bench-lighthouse clean

EID_DEMO_PORT ?= 3009

run: deps bun oidc ## install what is missing, migrate, seed demo data, serve on :3000 (demo: with a test eID)
	DEMO_MODE=$${DEMO_MODE:-1} $(BIN)/python -m remote_vote_app.cli migrate
	@if [ "$${DEMO_MODE:-1}" = 1 ]; then DEMO_MODE=1 $(BIN)/python -m remote_vote_app.cli seed; \
	else $(BIN)/python -m remote_vote_app.cli import-reference; fi
	@# Demo mode without a configured eID: the tests' OpenID provider stands in for the national eID
	@# (the login page says it is a demo); it stops with the app.
	@if [ "$${DEMO_MODE:-1}" = 1 ] && [ -z "$$EID_ISSUER" ]; then \
	  echo "Demo eID: a test OpenID Connect provider (npm oidc-provider) on http://127.0.0.1:$(EID_DEMO_PORT)"; \
	  EID_TEST_REDIRECT_URI=http://localhost:$(PORT)/login/eid node tests/oidc/provider.mjs $(EID_DEMO_PORT) & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  export EID_ISSUER=http://127.0.0.1:$(EID_DEMO_PORT) EID_CLIENT_ID=remote-vote EID_CLIENT_SECRET=remote-vote-secret \
	         EID_REDIRECT_URI=http://localhost:$(PORT)/login/eid; \
	fi; \
	DEMO_MODE=$${DEMO_MODE:-1} $(BIN)/reflex run --env prod --single-port --frontend-port $(PORT) --loglevel warning

oidc: tests/oidc/node_modules/.package-lock.json
tests/oidc/node_modules/.package-lock.json: tests/oidc/package-lock.json
	@echo "Installing the OpenID Connect provider the eID tests run against (npm oidc-provider)"
	npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error

# Both profiles: the unit suite on SQLite and on PostgreSQL; every browser test on the embedded
# default, and the voter, staff and fault journeys (desktop size) on PostgreSQL + Redis with 2 workers.
WITH_SERVICES := $(BIN)/python -m tests.support.services --postgres --redis --
PROD_E2E := tests/e2e/test_voter_journey.py::test_full_application tests/e2e/test_staff.py tests/e2e/test_faults.py tests/e2e/test_closed_tabs.py

# The passes run in three lanes side by side (tests.support.passes: a log each, printed whole when
# the pass ends; fails if any fails). The browser passes mostly wait on pages and timers, so the
# embedded ones are split over two servers and databases, and the unit passes run one after the
# other in the third lane: about two cores of demand, not more, so timed checks keep their margins.
# A pass that serves the app builds its frontend in a directory of its own (REFLEX_WEB_WORKDIR).
# New e2e modules land in e2e-other.
E2E_VOTER := tests/e2e/test_voter_journey.py tests/e2e/test_ux.py tests/e2e/test_precinct_map.py \
  tests/e2e/test_statistics.py tests/e2e/test_closed_tabs.py tests/e2e/test_log_secrets.py
WEB_DIR = REFLEX_WEB_WORKDIR=$(CURDIR)/.web-tests/$(1)

test: test-deps bun chromium oidc services ## unit and browser tests, on both profiles
	$(BIN)/python -m tests.support.passes \
	  "unit-sqlite=$(BIN)/pytest tests/unit -p no:cacheprovider" \
	  "+unit-postgres=$(WITH_SERVICES) $(BIN)/pytest tests/unit -p no:cacheprovider" \
	  "e2e-voter=$(BIN)/pytest $(E2E_VOTER)" \
	  "e2e-other=$(call WEB_DIR,other) $(BIN)/pytest tests/e2e $(addprefix --ignore=,$(E2E_VOTER)) -p no:cacheprovider" \
	  "+e2e-production=$(call WEB_DIR,production) $(WITH_SERVICES) $(BIN)/pytest $(PROD_E2E) -k '(desktop and not en-desktop) or test_staff' -p no:cacheprovider"

run-prod: deps bun services ## production profile: PostgreSQL + Redis + WORKERS Granian workers (default 2)
	DEMO_MODE=$${DEMO_MODE:-1} $(BIN)/python -m remote_vote_app.prod

# Debian's PostgreSQL, Redis and HAProxy (the reference deployment's load balancer, deploy/haproxy.cfg),
# for the production profile and its tests (nothing is started here).
services:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1 \
	    && { command -v haproxy || test -x /usr/sbin/haproxy; } >/dev/null 2>&1; then \
	  echo "PostgreSQL, Redis and HAProxy: installed"; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q postgresql redis-server haproxy || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q postgresql redis-server haproxy; }; \
	else \
	  echo "Install PostgreSQL, Redis and HAProxy, or set REFLEX_DB_URL and REFLEX_REDIS_URL"; exit 1; \
	fi

test-unit: test-deps services ## the unit suite on SQLite (some tests start their own Redis)
	$(BIN)/pytest tests/unit

test-e2e: test-deps bun chromium
	$(BIN)/pytest tests/e2e

# requirements*.txt are the lists people edit; requirements*.lock pin every package they pull in,
# with hashes (`make lock` rewrites them). Stamps are named by the locks' content, not their mtime.
REQ_HASH := $(shell cat requirements.lock | sha1sum | cut -c1-12)
DEV_HASH := $(shell cat requirements.lock requirements-dev.lock | sha1sum | cut -c1-12)
# The locks list every dependency, so nothing is resolved at install time.
PIP_LOCKED := $(BIN)/python -m pip install --quiet --no-deps --require-hashes
# This machine's pip configuration lists local mirrors that may not exist; their warnings are noise.
PIP_QUIET := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }

deps: $(VENV)/.deps-$(REQ_HASH)
$(VENV)/.deps-$(REQ_HASH):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python requirements into $(VENV)"
	$(BIN)/python -m pip install --quiet --upgrade pip $(PIP_QUIET)
	$(PIP_LOCKED) -r requirements.lock $(PIP_QUIET)
	@rm -f $(VENV)/.deps-*; touch $@

test-deps: $(VENV)/.test-deps-$(DEV_HASH)
$(VENV)/.test-deps-$(DEV_HASH): $(VENV)/.deps-$(REQ_HASH)
	@echo "Installing test requirements into $(VENV)"
	$(PIP_LOCKED) -r requirements-dev.lock $(PIP_QUIET)
	@rm -f $(VENV)/.test-deps-*; touch $@

# After editing requirements*.txt: resolve again with uv (from PyPI) and pin with hashes. face-recognition
# is added without its dependencies: it names the source distribution `dlib`, dlib-bin provides it.
UV_COMPILE = $(BIN)/uv pip compile --generate-hashes --python-version 3.11 --no-header --quiet
lock: deps
	$(BIN)/python -m pip install --quiet uv==0.13.10 $(PIP_QUIET)
	$(UV_COMPILE) requirements.txt -o requirements.lock
	echo "face-recognition==1.3.0" | $(UV_COMPILE) --no-deps - >> requirements.lock
	$(UV_COMPILE) requirements-dev.txt -c requirements.lock -o requirements-dev.lock

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

import-reference: deps ## territories, remote precincts, elections, districts and the country's precincts from remote_vote_app/data/reference
	$(BIN)/python -m remote_vote_app.cli import-reference

seed: deps
	DEMO_MODE=1 $(BIN)/python -m remote_vote_app.cli seed

# The database of REFLEX_DB_URL (default: the SQLite file); files are mode 0600, in backups/.
backup: deps ## make backup [TO=file]
	DEMO_MODE=$${DEMO_MODE:-1} $(BIN)/python -m remote_vote_app.cli backup $(if $(TO),--to "$(TO)")

restore: $(if $(FROM),deps) ## make restore FROM=backups/file (replaces the database's whole content)
	@test -n "$(FROM)" || { echo "usage: make restore FROM=backups/<file>" >&2; exit 2; }
	DEMO_MODE=$${DEMO_MODE:-1} $(BIN)/python -m remote_vote_app.cli restore --from "$(FROM)"

bench: test-deps bun chromium ## page weight, /staff/lists in a browser, handler latency, voter-journey load; not part of make test
	$(BIN)/python -m benchmarks.page_weight
	$(BIN)/python -m benchmarks.staff_lists_page
	$(BIN)/python -m benchmarks.handler_latency
	$(BIN)/python -m benchmarks.staff_search
	$(BIN)/python -m benchmarks.load --start --settle 20 $(LOAD_ARGS)

# The last step is the reference deployment (two nodes behind HAProxy) losing a node mid-journey: a
# browser and 12 simulated voters carry on (tests/e2e/test_topology.py, about 2-3 minutes, most of it
# the two nodes' frontend builds, so not in make test).
bench-prod: test-deps bun chromium services ## the journey load on the production profile: 1 worker, 2 workers, 1,000 voters with think time, a node killed behind HAProxy
	$(BIN)/python -m benchmarks.load --start --workers 1 $(LOAD_ARGS)
	$(BIN)/python -m benchmarks.load --start --workers 2 $(LOAD_ARGS)
	$(BIN)/python -m benchmarks.load --start --workers 2 --voters 1000 --think 5-15 --ramp 60 --duration 200
	$(call WEB_DIR,topology) $(WITH_SERVICES) $(BIN)/pytest tests/e2e/test_topology.py -s -p no:cacheprovider

# Lighthouse (npm, pinned by benchmarks/lighthouse/package-lock.json; `npm ci` into .tools/lighthouse)
# in Debian's Chromium, mobile profile, on every voter page (logged-in ones too): 2-3 minutes.
# LIGHTHOUSE_ARGS: e.g. --runs 3 (medians), --lang ky, --url http://localhost:3000 --db-url sqlite:///remote_vote.db
bench-lighthouse: test-deps bun chromium ## accessibility and performance of every voter page; not part of make test
	$(BIN)/python -m benchmarks.lighthouse $(LIGHTHOUSE_ARGS)

bench-identify: test-deps bun services ## identification load: 1,000,000 voters, many desks, a worker killed; not part of make test
	$(BIN)/python -m benchmarks.identify $(IDENTIFY_ARGS)

clean:
	rm -rf .web .web-tests .states remote_vote.db*
