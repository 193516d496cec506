"""The tiny Django project the Django-based targets run in (Bolt on both engines, django-bolt).

``BENCH_FRAMEWORK`` (set by the runner) picks the framework app and the API module:
``bolt`` serves ``benchmarks.apps.bolt_app:api`` through ``bolt_django``'s ``runbolt``;
``django-bolt`` serves ``benchmarks.apps.djangobolt_app:api`` through django-bolt's own
``runbolt``. Each reads its own copy of the same table: ``BOLT_BENCH_DB``, created by the runner,
is a ``postgresql://user@host:port/name`` URL (the runner's throw-away cluster) or a sqlite
file's path. Connections are kept (``CONN_MAX_AGE = None``, no health checks), as an API
that cares for speed runs: Bolt sends ``request_finished``, which with Django's default of 0
would close and reopen the connection on every request, and django-bolt sends no signals by
default, so only kept connections compare like for like.
Production-like settings: ``DEBUG`` off, no middleware, and no access log: Django's default
logging sends a line per request through the ``django.server`` logger at INFO when django-bolt
serves (Bolt's access log is off unless a ``-log`` target asks for it, the other targets run
with theirs off), so ``LOGGING`` raises that logger to WARNING. ``BENCH_ACCESS_LOG=1`` (the
``django-bolt-log`` and ``bolt-rust-logging`` targets) keeps Django's default logging instead.
"""

import os
from urllib.parse import urlsplit

_FRAMEWORK = os.environ.get("BENCH_FRAMEWORK", "bolt")
if _FRAMEWORK not in ("bolt", "django-bolt"):
    raise RuntimeError(f"BENCH_FRAMEWORK must be 'bolt' or 'django-bolt', got {_FRAMEWORK!r}")

SECRET_KEY = "benchmark-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "bolt_django" if _FRAMEWORK == "bolt" else "django_bolt",
    "benchmarks.apps.benchdb",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "benchmarks.apps.djproject.urls"

BOLT_API = (
    ["benchmarks.apps.bolt_app:api"]
    if _FRAMEWORK == "bolt"
    else ["benchmarks.apps.djangobolt_app:api"]
)

# E7 measures Bolt's own 404 (as django-bolt answers its misses itself): a miss must not go
# on to Django's URLconf, as it does by default under runbolt.
BOLT_DJANGO_FALLBACK = False

_DB = os.environ.get("BOLT_BENCH_DB", "/tmp/bolt-bench.sqlite3")
if _DB.startswith("postgresql://"):
    _URL = urlsplit(_DB)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": _URL.hostname,
            "PORT": str(_URL.port),
            "NAME": _URL.path.lstrip("/"),
            "USER": _URL.username,
            "CONN_MAX_AGE": None,
        }
    }
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _DB, "CONN_MAX_AGE": None}
    }

if os.environ.get("BENCH_ACCESS_LOG") != "1":
    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"console": {"class": "logging.StreamHandler"}},
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        },
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
