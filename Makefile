# The two commands a new machine needs: `make lab` (start the course) and `make test` (pass the tests).
# Both create .venv when it is missing and reinstall only when pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
PORT   ?= 8888

.PHONY: lab test validate bench install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## Start JupyterLab on the course, with the embedded SQLite results store in var/.
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --port=$(PORT) notebooks/00_welcome.ipynb

## Run the whole test suite (what CI runs).
test: $(STAMP)
	$(BIN)/python -m pytest

## Check every question bank in quizzes/.
validate: $(STAMP)
	$(BIN)/course validate

## Print the benchmark figures (see README, "Benchmarks").
bench: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
