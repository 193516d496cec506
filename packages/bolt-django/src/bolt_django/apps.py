"""The Django app config: Django finds the commands through it, and ``ready()`` registers
Bolt's system checks (:mod:`bolt_django.checks`)."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

__all__ = ["BoltDjangoConfig"]


class BoltDjangoConfig(AppConfig):
    """``INSTALLED_APPS += ["bolt_django"]`` enables Bolt in a project."""

    name = "bolt_django"
    verbose_name = "Bolt"

    def ready(self) -> None:
        # Here rather than at import time: the checks import the project's API modules,
        # which may import models, so they must run only once the app registry is ready.
        from .checks import TAG, check_apis

        checks.register(check_apis, TAG)
