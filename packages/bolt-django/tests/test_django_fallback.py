"""runbolt hands Bolt's misses to Django unless ``--no-django-fallback`` or
``BOLT_DJANGO_FALLBACK = False`` says otherwise (served for real: tests/test_django_site.py)."""

from __future__ import annotations

import pytest
from bolt_django.management.commands import runbolt
from django.core.management import CommandError
from django.test import override_settings
from test_runbolt import FakeServe, run


@pytest.fixture
def fake_serve(monkeypatch: pytest.MonkeyPatch) -> FakeServe:
    """Serving recorded, no engine needed (as in test_runbolt.py)."""
    fake = FakeServe()
    monkeypatch.setattr(runbolt, "load_engine", lambda name: object())
    monkeypatch.setattr(runbolt, "serve", fake)
    return fake


def served_fallback(fake: FakeServe) -> bool:
    [call] = fake.calls
    value: bool = call["api"].django_fallback
    return value


def test_on_by_default(fake_serve: FakeServe) -> None:
    output = run()
    assert served_fallback(fake_serve) is True
    assert "Requests no Bolt route matches go to Django (ROOT_URLCONF)." in output


def test_off_by_the_flag(fake_serve: FakeServe) -> None:
    output = run("--no-django-fallback")
    assert served_fallback(fake_serve) is False
    assert "go to Django" not in output


def test_off_by_the_setting(fake_serve: FakeServe) -> None:
    with override_settings(BOLT_DJANGO_FALLBACK=False):
        run()
    assert served_fallback(fake_serve) is False


def test_a_setting_that_is_not_a_bool_is_an_error(fake_serve: FakeServe) -> None:
    with (
        override_settings(BOLT_DJANGO_FALLBACK="no"),
        pytest.raises(CommandError, match="BOLT_DJANGO_FALLBACK must be True or False"),
    ):
        run()
