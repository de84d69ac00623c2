"""Settings shared by every environment; whatever differs between machines comes from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"


class _SecretFiles(environ.FileAwareMapping):
    """NAME_FILE's contents without the line break an editor or `echo` leaves at the end of the file: a
    password or URL with a stray newline fails in ways that are hard to see."""

    def __getitem__(self, key: str) -> str:
        value = super().__getitem__(key)
        return value.rstrip("\r\n") if self.env.get(key + "_FILE") else value


# Every variable may also be given as NAME_FILE (a path), the way container secrets arrive.
env = environ.FileAwareEnv()
env.ENVIRON = _SecretFiles()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    "accounts.axes_app.LockoutAppConfig",  # django-axes, named in Chinese
    # The product's apps, bottom of the ladder first (README, Architecture).
    "accounts",
    "audit",
    "plans",
    # Messages to people (the bell, email, group robots): below everything that tells someone something.
    "notifications",
    "indicators",
    "reporting",
    "progress",
    # 目标考核: ranks units from the roll-up; dashboards and exports show it.
    "assessment",
    # 督查督办: 批示 and 督办事项, above the roll-up it acts on, below the leaders' pages that show it.
    "supervision",
    "dashboards",
    "exports",
    # Reads plan documents into drafts, publishes them through the plans' and indicators' loaders.
    "planimport",
    "devdata",
]

MIDDLEWARE = [
    # First: a body declared larger than IPCITY_MAX_REQUEST_BYTES is refused (413) before anything reads it.
    "ipcity.body_limit.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL byte in a query string: 400 before anything looks it up (PostgreSQL refuses it in text).
    "ipcity.middleware.RefuseNulMiddleware",
    # Answers to a logged-in user (session or API token) are never stored by a browser or proxy.
    "ipcity.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ipcity.middleware.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A database refusing a write: 503 with Retry-After, and the user told in Chinese that nothing was kept.
    "ipcity.middleware.DatabaseRefusedMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it inspects the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ipcity.urls"
WSGI_APPLICATION = "ipcity.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.bell",
            ],
        },
    },
]

# No DATABASE_URL: the embedded default, a SQLite file under var/. With it: PostgreSQL (psycopg 3).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ipcity.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite waits for a competing writer instead of failing at once (runserver + eager Celery tasks). Its
    # write-ahead log with synchronous=NORMAL commits without an fsync per transaction (durable across a crash
    # of the application; the last commits may be lost only if the machine itself loses power): `make run`'s
    # first migrate and demo load no longer wait on the disk (issue 19).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# At least 10 characters of at least three kinds (lower case, upper case, digits, other): `rt-weak1` fails.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.passwords.MinimumLength",
        "OPTIONS": {"min_length": env.int("IPCITY_PASSWORD_MIN_LENGTH", default=10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A session ends when the browser closes, and after IPCITY_SESSION_IDLE_HOURS (8) without a request: a
# request restarts the clock (ipcity.middleware.SessionActivityMiddleware, at most one session write per
# SESSION_ACTIVITY_SECONDS, not one per request), so a working day is one login.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = int(env.float("IPCITY_SESSION_IDLE_HOURS", default=8) * 3600)
SESSION_ACTIVITY_SECONDS = 15 * 60

LANGUAGE_CODE = "zh-hans"
# Chinese for the libraries that ship none (django-axes' admin): locale/zh_Hans/LC_MESSAGES/django.po.
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Uploaded Excel templates and evidence files: refused above this size before any parsing.
UPLOAD_MAX_BYTES = env.int("IPCITY_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
# The Excel import's limits on an upload, checked before and while parsing (see reporting/excel/upload.py):
# data rows per sheet, zip parts, total inflated size, and the compression ratio of any part over 1 MB.
IPCITY_IMPORT_MAX_ROWS = env.int("IPCITY_IMPORT_MAX_ROWS", default=10_000)
IPCITY_IMPORT_MAX_PARTS = env.int("IPCITY_IMPORT_MAX_PARTS", default=100)
IPCITY_IMPORT_MAX_INFLATED = env.int("IPCITY_IMPORT_MAX_INFLATED", default=50 * 1024 * 1024)
IPCITY_IMPORT_MAX_RATIO = env.int("IPCITY_IMPORT_MAX_RATIO", default=100)
# A template holds a few thousand rows of ~20 columns, so far fewer shared strings and cells than these; they
# bound the parse work of a small file that inflates within the limits above (1.75 M short strings in 4.6 MB
# cost a worker 12 s), and are counted in the zip before openpyxl parses anything. The parse itself is
# refused past IPCITY_IMPORT_MAX_SECONDS of wall time, checked per row.
IPCITY_IMPORT_MAX_STRINGS = env.int("IPCITY_IMPORT_MAX_STRINGS", default=200_000)
IPCITY_IMPORT_MAX_CELLS = env.int("IPCITY_IMPORT_MAX_CELLS", default=200_000)
IPCITY_IMPORT_MAX_SECONDS = env.float("IPCITY_IMPORT_MAX_SECONDS", default=5.0)
# How long an uploaded template waits for its confirmation before it is discarded.
IPCITY_IMPORT_TTL_SECONDS = env.int("IPCITY_IMPORT_TTL_SECONDS", default=3600)
# The reporting calendar: a quarter is due this many days after it ends and locks this many days later.
IPCITY_DUE_DAYS_AFTER_QUARTER = env.int("IPCITY_DUE_DAYS_AFTER_QUARTER", default=10)
IPCITY_LOCK_GRACE_DAYS = env.int("IPCITY_LOCK_GRACE_DAYS", default=20)
# A figure this many times above or below the unit's previous ones needs an explanatory note.
IPCITY_OUTLIER_FACTOR = env.str("IPCITY_OUTLIER_FACTOR", default="3")  # read as a Decimal
# Request bodies, deliberately: the whole body is refused by its Content-Length above IPCITY_MAX_REQUEST_BYTES
# (ipcity/body_limit.py; the reverse proxy's client_max_body_size should match, see the README). A quarter's
# page may carry several evidence files of UPLOAD_MAX_BYTES each, hence ten of them. Form fields without files
# are held in memory up to DATA_UPLOAD_MAX_MEMORY_SIZE; an uploaded file above FILE_UPLOAD_MAX_MEMORY_SIZE
# goes to a temporary file rather than memory.
IPCITY_MAX_REQUEST_BYTES = env.int("IPCITY_MAX_REQUEST_BYTES", default=10 * UPLOAD_MAX_BYTES + 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2621440

# API tokens (accounts/tokens.py): issued in the admin, shown once, kept as a SHA-256 digest, valid this long.
IPCITY_API_TOKEN_DAYS = env.int("IPCITY_API_TOKEN_DAYS", default=90)
REST_FRAMEWORK = {
    # Token first: a request without credentials (or with a bad token) is answered 401 with
    # `WWW-Authenticate: Token`, which tells a program to authenticate, rather than 403, "you may not".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "ipcity.api.AutoSchema",
    "EXCEPTION_HANDLER": "ipcity.api.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Decimals travel as strings: a figure is never rounded by a float on its way to a client.
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ipcity API",
    "DESCRIPTION": "知识产权强市建设示范城市工作方案：方案、指标、填报与进度接口",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs page are for logged-in users and token holders: the intranet's API surface is
    # not advertised to anonymous visitors.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI served from our static files (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two models have a `state`: the submissions' keeps the name it always had, the 督办事项' gets its own.
    "ENUM_NAME_OVERRIDES": {
        "StateEnum": "reporting.api.STATES",
        "SupervisionStateEnum": "supervision.api.STATES",
    },
}


def redis_backed(url: str) -> dict[str, Any]:
    """Celery's broker and results and Django's cache on Redis at `url`; with no URL, tasks run eagerly
    in-process and the cache is local memory (the embedded default)."""
    return {
        "CELERY_BROKER_URL": url or "memory://",
        "CELERY_RESULT_BACKEND": url or "cache+memory://",
        "CELERY_TASK_ALWAYS_EAGER": not url,
        "CACHES": {
            "default": (
                {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
                if url
                else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
            )
        },
    }


REDIS_URL = env.str("REDIS_URL", default="")
globals().update(redis_backed(REDIS_URL))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXTENDED = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A province runs roll-ups on workers of their own: with a queue named here the roll-up tasks go to it (start
# those workers with `-Q <queue>`, the others with `-Q celery`); empty, everything shares the default queue.
IPCITY_ROLLUP_QUEUE = env.str("IPCITY_ROLLUP_QUEUE", default="")
CELERY_TASK_ROUTES = {"progress.rollup_*": {"queue": IPCITY_ROLLUP_QUEUE}} if IPCITY_ROLLUP_QUEUE else {}
# The roll-up: every night in full (after midnight, so quarters that fell due yesterday show as missing), and
# every few minutes whatever approvals queued while the broker could not take their task. DatabaseScheduler
# copies these entries into the admin's periodic tasks on start.
CELERY_BEAT_SCHEDULE = {
    "rollup-nightly-full": {"task": "progress.rollup_full", "schedule": crontab(hour=1, minute=30)},
    "rollup-pending": {"task": "progress.rollup_pending", "schedule": 5 * 60},
}
# A broker that is down must not hold an approval for long: a few quick tries, then the queued key waits.
# Down includes hung (accepting connections, answering nothing), where redis-py without a read timeout waits
# forever — and sending a task first subscribes to its result, with the result backend's own 20 retries
# (80 s measured). Hence read timeouts (the broker's above the worker's 1 s BRPOP poll) and the same few
# retries for results as for publishing: a hung Redis now costs an approval about 4 s (tests/
# test_rollup_worker.py), a refused connection a fraction of a second.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
# A message taken by a worker that then dies unacknowledged (SIGKILL, power loss) goes back to the queue after
# the visibility timeout: kombu's default is an hour. It must exceed the longest task (CELERY_TASK_TIME_LIMIT)
# or a task still running would be handed to a second worker; five minutes more than that, deliberately. A
# worker process killed while its parent lives hands the roll-ups back at once (progress/tasks.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 3.0,
    "socket_connect_timeout": 2.0,
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_REDIS_SOCKET_TIMEOUT = 1.0
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1.0
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": CELERY_TASK_PUBLISH_RETRY_POLICY}

EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="ipcity@localhost")
IPCITY_OFFICE_EMAIL = env.str("IPCITY_OFFICE_EMAIL", default="office@localhost")

# django-axes (accounts/lockout.py): five wrong passwords for one username from one address lock that pair for
# 30 minutes, counted from the failure that locked (attempts during the lock do not extend it); one address
# failing IPCITY_LOCKOUT_ADDRESS_LIMIT times across usernames is locked for all of them. The address is
# X-Forwarded-For's only when the request comes from one of IPCITY_TRUSTED_PROXIES (the reverse proxy's
# addresses, comma-separated), else REMOTE_ADDR.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
IPCITY_TRUSTED_PROXIES = env.list("IPCITY_TRUSTED_PROXIES", default=[])
IPCITY_LOCKOUT_ADDRESS_LIMIT = env.int("IPCITY_LOCKOUT_ADDRESS_LIMIT", default=30)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# History is read, never reverted: a revert would rewrite a row without the reason every change needs (the
# admin also refuses the revert form's POST, see audit.admin.HistoryAdmin).
SIMPLE_HISTORY_REVERT_DISABLED = True

# Scripts only from our own static files: no inline script, no CDN. Plotly and Swagger UI set inline styles,
# hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "ipcity.errors.RefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

# Reporting reminders (催报): N days before the due date, on it, then every few days until the period locks
# (office copied). Links in the emails point at IPCITY_SITE_URL.
IPCITY_REMIND_DAYS_BEFORE = env.int("IPCITY_REMIND_DAYS_BEFORE", default=3)
IPCITY_REMIND_OVERDUE_EVERY_DAYS = env.int("IPCITY_REMIND_OVERDUE_EVERY_DAYS", default=3)
IPCITY_SITE_URL = env.str("IPCITY_SITE_URL", default="http://127.0.0.1:8000")
# Where `python -m ipcity.healthcheck web` finds this machine's gunicorn (its --bind address).
IPCITY_HEALTHCHECK_URL = env.str("IPCITY_HEALTHCHECK_URL", default="http://127.0.0.1:8000/healthz/")
CELERY_BEAT_SCHEDULE["reporting-reminders"] = {
    "task": "reporting.send_reminders",
    "schedule": crontab(hour=8, minute=30),
}
# 督办事项: the lead unit is reminded this many days before the deadline, and every day once it is overdue.
IPCITY_SUPERVISION_REMIND_DAYS_BEFORE = env.int("IPCITY_SUPERVISION_REMIND_DAYS_BEFORE", default=3)
CELERY_BEAT_SCHEDULE["supervision-reminders"] = {
    "task": "supervision.send_reminders",
    "schedule": crontab(hour=8, minute=40),
}
