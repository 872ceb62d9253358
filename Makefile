# The two commands a new machine needs: `make lab` (start the course) and `make test` (pass the tests).
# Both create .venv when it is missing and reinstall only when pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
PORT   ?= 8888
ROOT_OK := $(if $(filter 0,$(shell id -u)),--allow-root)   # JupyterLab refuses root without it (containers)

.PHONY: lab author test validate lessons bench dashboard figures install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## Open the course as a learner sees it (the course home), with the embedded SQLite results store in var/:
## Voila served by Jupyter Server, code hidden, each lesson run as it opens (course/learner_view.py
## holds its settings, shared with the tests and the JupyterHub configuration).
lab: $(STAMP)
	$(BIN)/python -m course.learner_view --port=$(PORT)

## For course authors: JupyterLab on the lesson notebooks, code and all.
author: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --port=$(PORT) $(ROOT_OK) notebooks/home.ipynb

## Run the whole test suite (what CI runs).
test: $(STAMP)
	$(BIN)/python -m pytest

## Check every question bank in quizzes/.
validate: $(STAMP)
	$(BIN)/course validate

## Write the lessons' generated cells (printed questions for readers without the course, links) from the banks.
lessons: $(STAMP)
	$(BIN)/course lessons

## Print the benchmark table, each figure with its target (see README, "Benchmarks"). QUICK=1 for a smaller run.
## nbgrader (the side-by-side baseline) goes in a venv of its own, build/bench/venv: installed in .venv,
## its Jupyter server extensions would load in the course's own servers and tests.
BENCH_VENV := build/bench/venv
bench: $(STAMP)
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip --disable-pip-version-check --quiet install -e '.[bench]'
	NBGRADER_PYTHON=$(BENCH_VENV)/bin/python $(BIN)/python benchmarks/suite.py $(if $(QUICK),--quick)

## The trainer dashboard in Voila (no code, no JupyterLab), on the same results store; the course's
## Voila template (share/jupyter): nothing fetched from a CDN, the page's wide column.
dashboard: $(STAMP)
	JUPYTER_PATH="$(CURDIR)/share/jupyter$${JUPYTER_PATH:+:$$JUPYTER_PATH}" $(BIN)/voila notebooks/trainer_dashboard.ipynb --template=course --port=$(PORT) --Voila.ip=127.0.0.1

## Redraw every lesson figure into notebooks/figures/ (after changing notebooks/figures/make_figures.py).
figures: $(STAMP)
	$(BIN)/python notebooks/figures/make_figures.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
