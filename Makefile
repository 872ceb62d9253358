# The two commands a new machine needs: `make lab` (start the course) and `make test` (pass the tests).
# Both create .venv when it is missing and reinstall only when pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
PORT   ?= 8888
ROOT_OK := $(if $(filter 0,$(shell id -u)),--allow-root)   # JupyterLab refuses root without it (containers)

.PHONY: lab test validate bench dashboard figures install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## Start JupyterLab on the course, with the embedded SQLite results store in var/.
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --port=$(PORT) $(ROOT_OK) notebooks/00_welcome.ipynb

## Run the whole test suite (what CI runs).
test: $(STAMP)
	$(BIN)/python -m pytest

## Check every question bank in quizzes/.
validate: $(STAMP)
	$(BIN)/course validate

## Print the benchmark table, each figure with its target (see README, "Benchmarks"). QUICK=1 for a smaller run.
bench: $(STAMP)
	$(BIN)/python benchmarks/suite.py $(if $(QUICK),--quick)

## The trainer dashboard in Voila (no code, no JupyterLab), on the same results store.
dashboard: $(STAMP)
	$(BIN)/voila notebooks/trainer_dashboard.ipynb --port=$(PORT) --Voila.ip=127.0.0.1

## Redraw every lesson figure into notebooks/figures/ (after changing notebooks/figures/make_figures.py).
figures: $(STAMP)
	$(BIN)/python notebooks/figures/make_figures.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
