# SMS Copy Studio. Two commands: `make run` and `make test`. Needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench clean-db chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes, so a second run is fast.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m studio.runner

# The browser tests need Debian's chromium; installed with apt when missing (as root).
chromium:
	@sh .ci/ensure-chromium

test: $(STAMP) chromium
	DJANGO_ENV=test CELERY_BROKER_DIR=$(CURDIR)/var/broker-test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy studio brandguard copygen delivery

bench: $(STAMP)
	$(BIN)/python bench/guards.py
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/bandit_sim.py
	$(BIN)/python bench/sender.py
	$(BIN)/python bench/decisions.py
	$(BIN)/python bench/events.py
	$(BIN)/python bench/bandit_e2e.py
	$(BIN)/python bench/drain.py
	$(BIN)/python bench/journeys.py
	$(BIN)/python bench/send_time.py
	$(BIN)/python bench/import_contacts.py

clean-db:
	$(BIN)/python manage.py db stop
