# The two commands of the README: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
UV := $(BIN)/uv
UV_VERSION := 0.13.9
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1:8000

.PHONY: run test test-sqlite lint format security check-deploy audit-deps bench loadtest worker beat demo check-compose clean

# Installs go through uv (Astral's installer, pinned here): the same exact pins of pyproject.toml, resolved and
# downloaded in parallel, about eight times faster than pip on a fresh machine (issue 19: `make run` ≤ 45 s).
# The virtualenv keeps its pip for anyone who wants it.
$(UV):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --disable-pip-version-check uv==$(UV_VERSION)

# `make run` needs the application only; `make test` and the tools add the [dev] extras.
$(RUN_STAMP): pyproject.toml | $(UV)
	$(UV) pip install -q --python $(BIN)/python -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(UV)
	$(UV) pip install -q --python $(BIN)/python -e ".[dev]"
	touch $(STAMP) $(RUN_STAMP)

# The embedded default: SQLite under var/, Celery eager, console email. Set DATABASE_URL / REDIS_URL for real services.
run: $(RUN_STAMP)
	mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) load_plans
	$(MANAGE) demo_data
	$(MANAGE) rollup
	$(MANAGE) runserver $(HOST)

# PostgreSQL and Redis when they answer on their usual ports; REQUIRE_SERVICES=1 turns a missing one into a failure.
# The roll-up judges in SQL on PostgreSQL and in Python on SQLite (what `make run` uses): the suite also runs the
# roll-up's tests on SQLite, and those of the pages whose queries SQLite reads differently (a UNION takes no
# ORDER BY there): the reporter's quarter and history, coverage on the dashboards, the bulletin.
SQLITE_TESTS := tests/test_rollup_properties.py tests/test_rollup_measures.py tests/test_rollup_pace.py \
	tests/test_rollup_engine.py tests/test_rollup_coverage.py tests/test_report_page.py \
	tests/test_report_missed_quarters.py tests/test_coverage_displays.py tests/test_reports_bulletin.py
# pytest-xdist, one process per core, each with its own test database (pytest-django adds _gw0, _gw1…) and media
# folder (tests/conftest.py). Each test module runs whole in one process (loadfile): tests that share anything
# else, such as the Redis test database, live in one module. PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory security check-deploy
	$(PYTEST) $(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,DATABASE_URL=sqlite:///:memory: $(PYTEST) -q $(SQLITE_TESTS))

# bandit over our code (findings fixed, or `# nosec` with the reason in README's 安全 / Security section).
security: $(STAMP)
	$(BIN)/bandit -q -c pyproject.toml -r accounts audit plans notifications indicators reporting progress assessment supervision dashboards exports planimport ipcity devdata

# Django's deploy checklist with the production settings and throwaway values: a weakened setting fails here.
check-deploy: $(STAMP)
	env DJANGO_SETTINGS_MODULE=ipcity.settings.production \
	  DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  DJANGO_ALLOWED_HOSTS=ipcity.example.cn DATABASE_URL=sqlite:///:memory: REDIS_URL=redis://127.0.0.1:6379/0 \
	  $(MANAGE) check --deploy --fail-level WARNING

# Known vulnerabilities in the exact pins of pyproject.toml; needs the vulnerability service (see README 安全).
audit-deps: $(STAMP)
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

test-sqlite: $(STAMP)
	DATABASE_URL=sqlite:///:memory: $(PYTEST) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The national benchmark (BENCHMARKS.md): its own database ipcity_bench on the PostgreSQL server of DATABASE_URL
# (default: the local one), never the app's. BENCH_ARGS="--scale 0.1 --keep" for a smaller or repeated run;
# its live sections (gunicorn + a Celery worker on 127.0.0.1) use Redis dbs LOAD_REDIS_DB and APPROVAL_REDIS_DB,
# emptied first; BENCH_ARGS="--load-clients 0 --approvals 0" leaves them out, "--load-seconds 30" shortens them.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
bench: $(STAMP)
	mkdir -p var
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" $(MANAGE) bench --json var/bench.json \
	  --load-redis-db $(LOAD_REDIS_DB) --approval-redis-db $(APPROVAL_REDIS_DB) $(BENCH_ARGS)

# Issue 17's load test: gunicorn with the production settings on 127.0.0.1, its own database on the bench's
# PostgreSQL server, Redis db LOAD_REDIS_DB; e.g. make loadtest LOAD_ARGS="--clients 60 --seconds 120".
LOAD_REDIS_DB ?= 14
APPROVAL_REDIS_DB ?= 13
loadtest: $(STAMP)
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" $(MANAGE) loadtest --redis-db $(LOAD_REDIS_DB) $(LOAD_ARGS)

worker: $(STAMP)
	$(BIN)/celery -A ipcity worker --loglevel INFO

beat: $(STAMP)
	$(BIN)/celery -A ipcity beat --loglevel INFO

clean:
	rm -rf $(VENV) var .pytest_cache
