# make run   - install, migrate, load demo data, start web + worker + beat (Ctrl-C stops all)
# make test  - install and run the whole suite against real PostgreSQL and Redis
# make bench - benchmarks; writes bench/results/latest.json
# make lint  - ruff, bandit, pip-audit
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: install run test bench lint format clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "Installing the requirements into $(VENV) ..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed .env

# A development-only .env so that `manage.py <command>` works in a checkout as it does under
# make. Never copied to production, where the environment sets DEBUG (off by default).
.env:
	@printf '# Development only (created by make; git ignores it). See .env.example.\nDEBUG=1\n' > .env

# The port first (any python3, nothing installed yet): a busy PORT stops here, in words,
# before minutes of installing and migrating. Then the launcher checks it again and starts.
run:
	@$(PYTHON) -I booking_site/launcher.py check-port
	@$(MAKE) --no-print-directory install
	@$(PY) -m booking_site.launcher run

test: install
	$(PY) -m booking_site.launcher test $(PYTEST_ARGS)

bench: install
	$(PY) -m booking_site.launcher exec -- $(PY) -m bench

# bandit: no finding of high severity in the product code; pip-audit: no known vulnerability in
# the pinned dependencies (skipped with a message when its data cannot be reached).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -r accounts api booking_site bookings flights notifications staff -x '*/tests/*,*/migrations/*' --severity-level high
	$(PY) tools/pip_audit.py

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache
