# Two commands for a fresh Debian/Ubuntu machine with Python 3.11+:
#   make demo   — set up .venv and run the demo on http://127.0.0.1:8080
#   make test   — set up .venv with test tools, install the system packages the
#                 integration tests need, then run ruff, mypy and the whole pytest suite.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Real peers for the integration tests: sshd, Kamailio (SIP), Chromium (browser tests),
# and the baselines the benchmarks compare against.
SYSTEM_PACKAGES := openssh-server openssh-client kamailio chromium prometheus-node-exporter monitoring-plugins-basic
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck unit system-packages postgres bench clean

demo: $(VENV)/.installed-collector
	$(BIN)/faultdesk demo

test: $(VENV)/.installed-test system-packages postgres lint typecheck
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

bench: $(VENV)/.installed-test
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/probes.py
	$(BIN)/python bench/agent_footprint.py
	$(BIN)/python bench/customer_outage.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-collector: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[collector]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-collector

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
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
