# casedesk — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Spanish catalogue: edited as .po (make catalogues), compiled to .mo on install.
PO := casedesk/locale/es/LC_MESSAGES/casedesk.po
MO := $(PO:.po=.mo)

.PHONY: run test lint typecheck bench clean catalogues browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install whenever pyproject.toml changes (idempotent otherwise).
# (pip is not upgraded in place: a self-upgrade mid-run has broken installs here.)
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' \
	  || $(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]'
	CASEDESK_RESIDENT=0 $(BIN)/casedesk --help > /dev/null
	touch $(STAMP)

$(MO): $(PO) $(STAMP)
	$(BIN)/python -m casedesk.catalogues compile

# After changing or adding a message: extract, update the .po (then translate what is new).
catalogues: $(STAMP)
	$(BIN)/python -m casedesk.catalogues update
	$(BIN)/python -m casedesk.catalogues compile

run: $(STAMP) $(MO)
	$(BIN)/casedesk db upgrade --quiet
	$(BIN)/casedesk demo --if-empty
	$(BIN)/casedesk

# The headless browser the portal's tests drive (tests/web/test_browser.py): Debian's
# chromium and chromium-driver, installed when missing (as root: CI runs as root). With
# CI=true a browser that cannot be installed fails the run here; it is never skipped.
BROWSER := /usr/bin/chromium
browser:
	@if [ ! -x $(BROWSER) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver \
	      || { echo "make: could not install chromium" >&2; [ "$$CI" != true ] || exit 1; }; \
	  else \
	    echo "make: $(BROWSER) is missing: sudo apt-get install chromium chromium-driver" >&2; \
	    [ "$$CI" != true ] || exit 1; \
	  fi; \
	fi

test: $(STAMP) $(MO) browser
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q
	# issue 13: core flows again, connected as a plain admin login (row security applies)
	CASEDESK_TEST_PG_ROLE=admin $(BIN)/python -m pytest -n 2 -q -k postgresql \
		tests/services/test_workflow.py tests/services/test_appends.py \
		tests/services/test_races.py tests/services/test_routing.py \
		tests/web/test_portal_services.py

lint: $(STAMP)
	$(BIN)/ruff check casedesk tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/claims.py
	$(BIN)/python bench/inbox.py
	$(BIN)/python bench/sla.py
	$(BIN)/python bench/kb.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/tui.py

clean:
	rm -rf $(VENV) .pytest_cache
