# Two commands do all set-up on a fresh machine with Python >= 3.11:
#   make run   - install, migrate, load questionnaires, serve on http://127.0.0.1:5000
#   make test  - install what the tests need and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Interface catalogs: one folder per language; the .mo files are built from the .po files.
PO_FILES := $(wildcard survey/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test lint install translations clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "make: Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed-run

# survey.message_catalogs compiles them the way the test suite does when they are missing or stale.
$(MO_FILES): %.mo: %.po | $(VENV)/.installed-run
	$(BIN)/python -m survey.catalogs $<

install: $(VENV)/.installed-run $(MO_FILES)

run: install
	$(BIN)/survey init
	$(BIN)/survey serve --host $(HOST) --port $(PORT)

LINTED := survey tests migrations benchmarks setup.py
# Test processes (pytest-xdist), each with its own PostgreSQL database: one per core (one more
# was slower on 2 cores, and starved the timing-sensitive concurrency tests).
TEST_WORKERS ?= auto

lint: $(VENV)/.installed-test
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

# mypy runs beside the tests at a lower priority (in the time they wait), its report printed
# after theirs; the command fails if either does.
test: $(VENV)/.installed-test $(MO_FILES)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	@report=$$(mktemp); nice -n 10 $(BIN)/mypy >"$$report" 2>&1 & mypy=$$!; \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=15; tests=$$?; \
	wait $$mypy; typed=$$?; echo "mypy:"; cat "$$report"; rm -f "$$report"; \
	if [ $$tests -ne 0 ]; then exit $$tests; fi; exit $$typed

# After marking or changing interface text: re-extract survey/translations/messages.pot and
# merge it into every language's messages.po (new strings empty, changed ones fuzzy).
translations: $(VENV)/.installed-run
	$(BIN)/python -m survey.catalogs update

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
