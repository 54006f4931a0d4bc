# The two commands a new user runs: `make demo` and `make test`.
# Each sets up everything it needs: a virtual environment in .venv with snarc
# installed in editable mode, and graphviz's `dot` (apt) where missing and permitted;
# under CI also chromium, for the browser test of `snarc runs serve`.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.snarc-installed

.PHONY: demo test lint format setup graphviz browser clean bench images

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

graphviz:
	@bash scripts/ensure-apt.sh dot graphviz "render SVG/PNG drawings"

browser:
	@bash scripts/ensure-apt.sh chromium chromium "run the browser test of snarc runs serve"

demo: $(STAMP) graphviz
	$(PY) -m snarc.demo

test: $(STAMP) graphviz $(if $(CI),browser)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest tests

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .
	$(VENV)/bin/snarc fmt examples/*.snarc stdlib/*.snarc

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) benchmarks/bench_frontend.py
	$(PY) benchmarks/bench_validate.py
	$(PY) benchmarks/bench_runtime.py
	$(PY) benchmarks/bench_fitness.py
	$(PY) benchmarks/bench_train.py
	$(PY) benchmarks/bench_search.py
	$(PY) benchmarks/bench_scoring_batch.py
	$(PY) benchmarks/bench_proxy.py --table benchmarks/tables/autosnn-hard --plot docs/images/proxies-autosnn-hard.png
	$(PY) benchmarks/bench_memory.py --batch 32

images: $(STAMP) graphviz
	for s in macro meso micro; do $(VENV)/bin/snarc render examples/mse_motifs.snarc -o docs/images/mse_motifs-$$s.png --scale $$s; done
	$(VENV)/bin/snarc render examples/snasnet_cifar10.snarc -o docs/images/snasnet_cifar10-meso.png --scale meso

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
