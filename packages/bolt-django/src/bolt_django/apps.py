"""The Django app config; it exists so that Django finds the ``runbolt`` command."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["BoltDjangoConfig"]


class BoltDjangoConfig(AppConfig):
    """``INSTALLED_APPS += ["bolt_django"]`` enables Bolt in a project."""

    name = "bolt_django"
    verbose_name = "Bolt"
