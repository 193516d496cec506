"""Settings of the debug project: ``DEBUG`` from the environment, nothing else of note."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).parent  # what --dev watches: this directory only
DEBUG = os.environ.get("BOLT_TEST_DEBUG") == "1"
SECRET_KEY = "debug-project-test-secret-key-0123456789"
INSTALLED_APPS = ["bolt_django"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
BOLT_API = ["tests.apps.debugproject.api:api"]
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
