# One command to try it, one to test it. Both create ./.venv and install Jiesu into it first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo console test lint bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make demo: install, then play the whole report -> grab -> resolve -> 双是 story in the console
demo: $(STAMP)
	rm -f demo.db demo.db-wal demo.db-shm
	$(BIN)/jiesu console --db sqlite:///demo.db --script examples/story.txt

## make console: install, then chat with the bot yourself (type lines like "r1: 你好")
console: $(STAMP)
	$(BIN)/jiesu console

## make test: install, then lint, type-check, check the layers and run the tests (PostgreSQL too if JIESU_TEST_POSTGRES_URL is set)
test: $(STAMP)
	$(BIN)/ruff check bot handlers models scheduler tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q -n 2

## make bench: every benchmark on SQLite, and on PostgreSQL when reachable (JIESU_BENCH_POSTGRES_URL,
## default postgresql://postgres@127.0.0.1:5432/test_bench, created if missing); one failing
## benchmark does not stop the others
bench: $(STAMP)
	status=0; \
	for b in ingest grab wecom sla_scan held_drop delivery webhook routing understand web storage metrics hotline_import mediation; do \
		$(BIN)/python bench/$$b.py || { echo "bench/$$b.py failed" >&2; status=1; }; \
	done; exit $$status

## make docs: build the reference in docs/ as a site under out/site/ (mkdocs --strict: a broken anchor fails)
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info demo.db*
