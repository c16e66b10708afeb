# Every target creates the virtual environment it needs: a fresh clone needs only
# Python 3.11+, make and the openssl command line tool.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench stress fuzz fixtures schema clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group test --group lint --group typing --group bench
	touch $(STAMP)

## The main job: audit every fixture-PKI scenario under every revocation policy.
run: $(STAMP)
	$(BIN)/securesocket audit --matrix

## The whole test suite (long stress and fuzz runs are excluded: see `make stress`, `make fuzz`).
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q

lint: $(STAMP)
	$(BIN)/ruff check securesocket tests bench
	$(BIN)/ruff format --check securesocket tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

stress: $(STAMP)
	SECURESOCKET_STRESS=full $(BIN)/python -m pytest -m slow -q tests/test_stress.py

fuzz: $(STAMP)
	SECURESOCKET_FUZZ=long $(BIN)/python -m pytest -m slow -q tests/test_fuzz.py tests/test_trust_differential.py

## Regenerate the committed fixture PKI (deterministic: same spec, same bytes).
fixtures: $(STAMP)
	$(BIN)/python -m securesocket.testing.generate fixtures

## Regenerate the audit JSON Schema.
schema: $(STAMP)
	$(BIN)/python -m securesocket.audit.schema > securesocket/audit/schema.json

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
