# jxc: `make demo` runs it on SQLite with demo data, `make test` runs every test.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
DEMO_DB ?= demo.db
# pytest-xdist workers for `make test` (auto: one per CPU); each has its own PostgreSQL database (tests/conftest.py).
# --dist load, not loadscope/loadgroup: those key tests by node id and would run schemathesis' 24 same-id cases once.
TEST_WORKERS ?= auto

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
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist load

# A fresh demo.db, one browser sign-in link per demo employee, then the server on 127.0.0.1:8080 (Ctrl-C stops it).
demo: $(BIN)/.installed
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	JXC_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/jxc init
	JXC_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/jxc seed demo
	JXC_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/jxc check
	JXC_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/jxc stock
	@echo "Browser chat: open one link per person (each works once, for 30 minutes):"
	@for name in $$($(BIN)/python -c 'from core.demo.names import STAFF; print(*(s[0] for s in STAFF))'); do \
		link=$$(JXC_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/jxc login-link "$$name" 2>/dev/null) \
			|| { JXC_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/jxc login-link "$$name"; exit 1; }; \
		printf '  %-16s %s\n' "$$name" "$$link"; \
	done
	JXC_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/jxc serve

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm .pytest_cache .mypy_cache .ruff_cache
