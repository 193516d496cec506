"""Settings of the lifespan project: the lifespan app as its one API, a sqlite database."""

import os

SECRET_KEY = "lifespan-project-test-secret-key-0123456789"
INSTALLED_APPS = ["bolt_django"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BOLT_TEST_SQLITE", ":memory:"),
    }
}
BOLT_API = ["tests.apps.lifespan_app:api"]
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
