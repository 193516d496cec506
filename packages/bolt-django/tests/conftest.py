"""Django configured once for the whole suite, with small fake apps found on ``sys.path``."""

from __future__ import annotations

import sys
from pathlib import Path

import django
from django.conf import settings

sys.path.insert(0, str(Path(__file__).parent))

if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "bolt_django", "shop", "noapi"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        ROOT_URLCONF="testproject.urls",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        # Django's test name, which FakeRequest sends (django.test adds it the same way)
        ALLOWED_HOSTS=["testserver"],
    )
    django.setup()
