"""Django configured once for the whole suite, with small fake apps found on ``sys.path``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import django
import pytest
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


#: The app whose api.py has a syntax error on line 8 (written by the fixture: a committed
#: file with a syntax error would fail the linters).
SYNTAX_ERROR_API = '''"""An api.py with a syntax error on line 8."""

from bolt_api import BoltAPI

api = BoltAPI()


def oops(:
    pass
'''


@pytest.fixture
def syntaxerr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An importable app ``syntaxerr`` whose ``api.py`` does not compile; its path (the
    package is forgotten afterwards: the next test's is in another directory)."""
    package = tmp_path / "syntaxerr"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "api.py").write_text(SYNTAX_ERROR_API)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield package / "api.py"
    sys.modules.pop("syntaxerr", None)
