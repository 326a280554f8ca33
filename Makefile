# Two commands for a fresh Debian/Ubuntu machine with Python 3.11+:
#   make demo   — set up .venv from the lock and run the demo on http://127.0.0.1:8080
#   make test   — set up .venv with test tools from the lock, install the system packages the
#                 integration tests need, then run ruff, mypy and the whole pytest suite.
# Dependencies: every install comes from the hash-pinned lock in requirements/. `make lock`
# re-resolves it after pyproject.toml changes, `make lock-upgrade` moves every pin to the newest
# release (commit that on its own, with the suite passing), and `make test-latest` runs the
# suite against the newest releases in .venv-latest without touching the lock.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := requirements
# Real peers for the integration tests: sshd, Kamailio (SIP), Chromium (browser tests),
# and the baselines the benchmarks compare against.
SYSTEM_PACKAGES := openssh-server openssh-client kamailio chromium prometheus-node-exporter monitoring-plugins-basic snmp snmpd snmptrapd
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Pinned with hashes: pip refuses anything the lock does not name, at any other version.
PIP_LOCKED := $(BIN)/pip install --quiet --require-hashes

.PHONY: demo test lint typecheck system-packages postgres bench wheels lock lock-upgrade \
	test-latest clean

demo: $(VENV)/.installed-collector
	$(BIN)/faultdesk demo

test: $(VENV)/.installed-test system-packages postgres lint typecheck
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the layout's import rules, in pyproject.toml [tool.importlinter]

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

bench: $(VENV)/.installed-test
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/probes.py
	$(BIN)/python bench/agent_footprint.py
	$(BIN)/python bench/customer_outage.py
	$(BIN)/python bench/portal.py
	$(BIN)/python bench/snmp_traps.py
	$(BIN)/python bench/login_flood.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/failover.py
	$(BIN)/python bench/simulate.py

# dist/faultdesk-VERSION-py3-none-any.whl (collector, dashboard and agent) and
# dist/faultdesk_agent-VERSION-py3-none-any.whl (the agent alone, for customer hosts).
wheels: $(VENV)/.installed-collector
	$(BIN)/python packaging/build_wheels.py --out dist

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The build backend first: the editable install below uses it without build isolation, so
# nothing unlocked is fetched to build Faultdesk itself.
$(VENV)/.installed-collector: pyproject.toml $(LOCK)/collector.txt $(LOCK)/build.txt | $(BIN)/python
	$(PIP_LOCKED) -r $(LOCK)/build.txt
	$(PIP_LOCKED) -r $(LOCK)/collector.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK)/test.txt $(LOCK)/build.txt | $(BIN)/python
	$(PIP_LOCKED) -r $(LOCK)/build.txt
	$(PIP_LOCKED) -r $(LOCK)/test.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.installed-collector

# --- the lock ---------------------------------------------------------------------------------
# One resolution for every Python from 3.11 and every platform, with hashes. The test set is
# resolved first; the others are held to its versions, so the demo, the agent and CI run what
# the suite passed with.
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(UPGRADE)

lock: $(BIN)/uv
	$(UV_COMPILE) pyproject.toml --extra test -o $(LOCK)/test.txt
	$(UV_COMPILE) pyproject.toml --extra collector -c $(LOCK)/test.txt -o $(LOCK)/collector.txt
	$(UV_COMPILE) packaging/agent/pyproject.toml -c $(LOCK)/test.txt -o $(LOCK)/agent.txt
	$(UV_COMPILE) $(LOCK)/build.in -c $(LOCK)/test.txt -o $(LOCK)/build.txt
	$(UV_COMPILE) $(LOCK)/uv.in -o $(LOCK)/uv.txt

lock-upgrade:
	$(MAKE) lock UPGRADE=--upgrade

$(BIN)/uv: $(LOCK)/uv.txt | $(BIN)/python
	$(PIP_LOCKED) -r $(LOCK)/uv.txt
	touch $@

# The newest release of everything pyproject.toml allows, in its own venv; the lock and .venv
# stay as they are. The drift plugin prints what is newer than the lock and, for each failing
# test and each warning, which upgraded package it came from.
test-latest: system-packages postgres
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/pip install --quiet --upgrade pip setuptools wheel
	.venv-latest/bin/pip install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	-.venv-latest/bin/ruff check .
	-.venv-latest/bin/mypy
	.venv-latest/bin/python -m pytest -p tests.support.lock_drift

system-packages:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# The PostgreSQL tests use the server on 127.0.0.1:5432; start a local cluster if it is down.
postgres:
	@if command -v pg_lsclusters >/dev/null && pg_lsclusters -h | grep -q down; then \
		pg_lsclusters -h | awk '$$4 == "down" {print $$1, $$2}' | while read v c; do \
			$(SUDO) pg_ctlcluster --skip-systemctl-redirect $$v $$c start || true; done; \
	fi

clean:
	rm -rf $(VENV) .venv-latest var build dist .mypy_cache .ruff_cache .pytest_cache
