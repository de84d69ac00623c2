# The two commands of the README: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1:8000

.PHONY: run test test-sqlite lint format bench worker beat demo check-compose clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --upgrade pip
	$(BIN)/pip install -qq -e ".[dev]"
	touch $(STAMP)

# The embedded default: SQLite under var/, Celery eager, console email. Set DATABASE_URL / REDIS_URL for real services.
run: $(STAMP)
	mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) load_plans
	$(MANAGE) demo_data
	$(MANAGE) rollup
	$(MANAGE) runserver $(HOST)

# PostgreSQL and Redis when they answer on their usual ports; REQUIRE_SERVICES=1 turns a missing one into a failure.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-sqlite: $(STAMP)
	DATABASE_URL=sqlite:///:memory: $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The national benchmark (BENCHMARKS.md): its own database ipcity_bench on the PostgreSQL server of DATABASE_URL
# (default: the local one), never the app's. BENCH_ARGS="--scale 0.1 --keep" for a smaller or repeated run.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
bench: $(STAMP)
	mkdir -p var
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" $(MANAGE) bench --json var/bench.json $(BENCH_ARGS)

worker: $(STAMP)
	$(BIN)/celery -A ipcity worker --loglevel INFO

beat: $(STAMP)
	$(BIN)/celery -A ipcity beat --loglevel INFO

clean:
	rm -rf $(VENV) var .pytest_cache
