# The two commands a newcomer needs: `make reports` and `make test`.
# Each creates what it needs (the virtual environment, the sample data) by itself.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.spm-installed
SAMPLE := data/sample
OUT    ?= reports
PERIOD ?= latest
JOBS   ?= 2

.PHONY: reports test lint lab sample-data install clean strip-notebooks

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name spm --display-name "Python (spm)" >/dev/null
	touch $(STAMP)

sample-data: $(SAMPLE)/spm.yaml

# rewritten when the generator changes, so a checkout never reports on a stale sample
$(SAMPLE)/spm.yaml: $(wildcard spm_lib/sample/*.py) | $(STAMP)
	$(BIN)/spm sample-data --out $(SAMPLE)

## Run every report on the bundled sample data for the latest complete quarter.
reports: $(STAMP) $(SAMPLE)/spm.yaml
	$(BIN)/spm run --data $(SAMPLE) --period $(PERIOD) --out $(OUT) --jobs $(JOBS)

# Two pytest workers (one per core; --dist loadfile keeps a notebook's cells, and a module's
# shared fixtures, on one worker), each with one BLAS thread so they do not oversubscribe.
TEST_JOBS ?= 2
## Lint, unit tests, end-to-end tests and every notebook under nbval.
test: lint
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile

## Ruff's lint rules, and its formatter's check (the code is as ruff format writes it).
lint: $(STAMP)
	$(BIN)/ruff check spm_lib tests benchmarks examples notebooks
	$(BIN)/ruff format --check spm_lib tests benchmarks examples

## JupyterLab on the notebooks, with the project's kernel ("Python (spm)").
lab: $(STAMP) $(SAMPLE)/spm.yaml
	$(BIN)/jupyter lab notebooks

## Remove outputs from notebooks before committing.
strip-notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb

clean:
	rm -rf $(VENV) $(SAMPLE) $(OUT)/*/ $(OUT)/.spm $(OUT)/index.html
