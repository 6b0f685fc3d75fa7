# Two commands on a fresh machine: `make run` (site with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test lint bench install clean messages translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Catalogs: English is the source language; Turkish and Arabic are translated.
CATALOGS := campaigns/translations
LOCALES := tr ar
MO_FILES := $(foreach lang,$(LOCALES),$(CATALOGS)/$(lang)/LC_MESSAGES/messages.mo)

# Extract every string into the template, then merge it into each language's catalog.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		--add-comments=Translators: --project=campaigns -o $(CATALOGS)/messages.pot .
	for lang in $(LOCALES); do \
		if [ -f $(CATALOGS)/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update -i $(CATALOGS)/messages.pot -d $(CATALOGS) -l $$lang; \
		else \
			$(BIN)/pybabel init -i $(CATALOGS)/messages.pot -d $(CATALOGS) -l $$lang; \
		fi; \
	done

# Compiled catalogs are build output (.gitignore): rebuilt whenever a .po changes, before
# the site runs or the tests start, so they are never missing or stale.
translations: $(MO_FILES)

$(CATALOGS)/%/LC_MESSAGES/messages.mo: $(CATALOGS)/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

# The demo site offers bank transfer for its lira campaigns (an example IBAN, not a real account).
DEMO_BANK_ACCOUNTS ?= [{"bank": "Örnek Katılım Bankası", "holder": "Example Relief Association", "iban": "TR330006100519786457841326", "currency": "TRY"}]

run: install translations
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	OUTBOX_BACKGROUND=1 BANK_ACCOUNTS='$(DEMO_BANK_ACCOUNTS)' $(BIN)/flask run --host 127.0.0.1 --port 5000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint translations
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install translations
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance/*.sqlite3* .pytest_cache test-output bench-output $(MO_FILES)
