PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test soak bench mutants lint venv clean

# Sets up everything and runs the whole system with the demo county until Ctrl-C.
run: venv
	bash deploy/ensure-local-services.sh
	$(BIN)/python -m deploy.run

# Sets up everything and runs the whole test suite.
test: venv
	bash deploy/ensure-local-services.sh
	bash deploy/ensure-test-tools.sh
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# The fault suite (tests/faults) under ten times the load `make test` gives it (several minutes).
soak: venv
	bash deploy/ensure-local-services.sh
	FAULT_LOAD_SCALE=$${FAULT_LOAD_SCALE:-10} $(BIN)/python -m pytest tests/faults -q

# Runs every benchmark beside its baseline and writes bench/RESULTS.md (several minutes).
bench: venv
	bash deploy/ensure-local-services.sh
	$(BIN)/python -m bench.run

# Mutation testing of the core modules (pyproject.toml [tool.mutmut]) with the fast tests; prints
# every mutant that survived, or that no test reaches (tens of minutes; not part of make test).
mutants: venv
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]'
	rm -rf mutants && mkdir -p var
	$(BIN)/mutmut run --max-children 2 > var/mutmut.log 2>&1 || (tail -20 var/mutmut.log; exit 1)
	$(BIN)/mutmut results

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) var
