"""Settings for the Bolt example project: the least Django needs, plus ``bolt_django``."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-example-key-do-not-use-in-production")
DEBUG = os.environ.get("DJANGO_DEBUG", "0").lower() in {"1", "true", "yes", "on"}
# Requests for other host names get a 400, under runbolt as under runserver (set the names
# a deployment serves, comma-separated, in DJANGO_ALLOWED_HOSTS).
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "bolt_django",
    "catalog",
]

ROOT_URLCONF = "project.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # BOLT_EXAMPLE_DB lets the test suite use a throw-away database.
        "NAME": os.environ.get("BOLT_EXAMPLE_DB", BASE_DIR / "db.sqlite3"),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

# Bolt finds catalog/api.py by itself; to choose the APIs explicitly instead:
# BOLT_API = ["catalog.api:api"]

# Compress JSON and text responses of 500 bytes or more for clients that accept gzip.
from bolt_api import CompressionConfig  # noqa: E402

BOLT_COMPRESSION = CompressionConfig(backend="gzip", minimum_size=500)

# django-cors-headers' settings, read by runbolt: a front end's dev server on port 3000 may
# call the API from the browser (docs/cors-and-limits.md).
CORS_ALLOWED_ORIGINS = ["http://localhost:3000"]
