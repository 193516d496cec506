"""The tiny Django project the Django-based targets run in (Bolt on both engines, django-bolt).

``BENCH_FRAMEWORK`` (set by the runner) picks the framework app and the API module:
``bolt`` serves ``benchmarks.apps.bolt_app:api`` through ``bolt_django``'s ``runbolt``;
``django-bolt`` serves ``benchmarks.apps.djangobolt_app:api`` through django-bolt's own
``runbolt``. Both read the same sqlite table (``BOLT_BENCH_DB``, created by the runner).
Production-like settings: ``DEBUG`` off, no middleware, and no access log: Django's default
logging sends a line per request through the ``django.server`` logger at INFO when django-bolt
serves (Bolt's access log is off unless a ``-log`` target asks for it, the other targets run
with theirs off), so ``LOGGING`` raises that logger to WARNING. ``BENCH_ACCESS_LOG=1`` (the
``django-bolt-log`` and ``bolt-rust-logging`` targets) keeps Django's default logging instead.
"""

import os

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

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BOLT_BENCH_DB", "/tmp/bolt-bench.sqlite3"),
    }
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
