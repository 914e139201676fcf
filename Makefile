# jxc: `make demo` runs it on SQLite with demo data, `make test` runs every test.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
DEMO_DB ?= demo.db

.PHONY: test lint demo bench clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

lint: $(BIN)/.installed
	$(BIN)/ruff check core bot tests $(wildcard benchmarks)
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q -p no:cacheprovider

demo: $(BIN)/.installed
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	JXC_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/jxc init
	JXC_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/jxc seed demo
	JXC_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/jxc check
	JXC_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/jxc stock

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm .pytest_cache .mypy_cache .ruff_cache
