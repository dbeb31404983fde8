# Two commands on a fresh machine: `make demo` (serve demo data on the embedded store) and
# `make test`. Both create the virtual environment in .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo serve lint test bench bench-crash bench-resolve bench-sparql bench-jsonld bench-credentials bench-statuslists bench-log bench-bulkcheck clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)          ## serve http://127.0.0.1:8000/ with demo licences (./var/store)
	$(BIN)/licence-registry serve --demo

lint: $(STAMP)          ## ruff and mypy, as configured in pyproject.toml (CI runs this first)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(STAMP)          ## the whole suite in parallel (4 workers), embedded and remote (a real `oxigraph serve`)
	$(BIN)/python -m pytest

bench: $(STAMP)         ## ingest benchmark; figures go in docs/benchmarks.md
	$(BIN)/python bench/ingest.py --naive-count 10000

bench-crash: $(STAMP)   ## SIGKILL mid-upload, 10 times
	$(BIN)/python bench/crash.py

bench-resolve: $(STAMP) ## wrk on /id/ with 1,000,000 licences vs nginx (needs: apt-get install wrk nginx)
	$(BIN)/python bench/resolve.py --count 1000000

bench-sparql: $(STAMP)  ## the example queries through /sparql vs in-process pyoxigraph, 1,000,000 licences
	$(BIN)/python bench/sparql.py --count 1000000

bench-jsonld: $(STAMP)  ## reading a 20,000-licence JSON-LD upload vs pyld alone
	$(BIN)/python bench/jsonld.py --count 20000

bench-credentials: $(STAMP)  ## serving a licence credential, fast vs pyld, up to 1,000,000 licences
	$(BIN)/python bench/credentials.py --sizes 10000,100000,1000000

bench-statuslists: $(STAMP)  ## a 100,000-licence load with and without status lists
	$(BIN)/python bench/statusstore.py --count 100000 --changed 10000 --repeat 3

bench-log: $(STAMP)          ## a 100,000-licence load with and without the Merkle log, 12 rounds
	$(BIN)/python bench/logappend.py --sizes 100000 --repeat 12 --create-only

bench-bulkcheck: $(STAMP)    ## POST /api/v1/check with 1,000 items vs one look-up per item, up to 1,000,000 licences
	$(BIN)/python bench/bulkcheck.py --sizes 10000,100000,1000000

clean:
	rm -rf $(VENV) var bench/out .pytest_cache
