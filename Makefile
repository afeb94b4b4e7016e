# tunelab developer commands. Each target creates the virtual environment it needs.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck doctest bench-quick bench-quality clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -U pip

$(VENV)/.demo-installed: $(BIN)/activate pyproject.toml
	$(PIP) install -e ".[sklearn]"
	touch $@

$(VENV)/.dev-installed: $(BIN)/activate pyproject.toml
	$(PIP) install -e ".[dev]"
	touch $@

## demo: tune a scikit-learn classifier on a bundled dataset (study kept in tunelab.db)
demo: $(VENV)/.demo-installed
	$(BIN)/tunelab run examples/study.yaml

## test: the whole test suite (unit, property-based, structural, doctests, examples)
test: $(VENV)/.dev-installed
	bash scripts/install-postgres.sh
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest -q --doctest-modules src/tunelab -p no:cacheprovider \
		--ignore=src/tunelab/storages/rdb/migrations

## lint: ruff (style) and mypy --strict (types)
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy

## bench-quick: time per trial of tunelab vs. Optuna (random sampler, in-memory storage)
bench-quick: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/overhead/bench_trial_overhead.py --trials 2000 --repeats 5

## bench-quality: regret of tunelab's samplers vs. peer optimizers (quick settings; see benchmarks/quality/README.md)
bench-quality: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/quality/run.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
