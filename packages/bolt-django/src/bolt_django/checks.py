"""Bolt's APIs under Django's system-check framework: ``manage.py check`` fails on them.

Without this, ``check`` (and every command that runs the checks first, ``migrate``
included) passed with a syntax error in an ``api.py`` or a ``BOLT_API`` entry naming nothing,
and the project only found out when ``runbolt`` died. The checks load the APIs the way
``runbolt`` does (:func:`bolt_django.discovery.scan_apis`, then the merge and the ``BOLT_*``
settings), so each problem is an ``Error`` that names its file and line:

* ``bolt.E001``: an API module that does not import (at the line of the syntax error, or of
  the failing import or decorator);
* ``bolt.E002``: a ``BOLT_API`` entry that names no ``BoltAPI``, or a malformed setting;
* ``bolt.E003``: two APIs declaring the same ``METHOD path`` (both handlers' locations), or
  APIs that cannot be merged;
* ``bolt.E004``: a ``BOLT_*`` (or ``CORS_*``, ``ALLOWED_HOSTS``) setting the API refuses;
* ``bolt.E005``: middleware the API cannot build — a Django middleware path that does not
  import, a ``django_middleware=`` name missing from ``MIDDLEWARE``, an
  ``@skip_middleware`` name that matches nothing (``BoltAPI.check_middleware()``).

Registered under the tag ``bolt`` (``manage.py check --tag bolt``) by the app's ``ready()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bolt_api import BoltAPI
from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .conf import apply_settings
from .discovery import scan_apis

__all__ = ["E_MERGE", "E_MIDDLEWARE", "E_SETTING", "TAG", "check_apis"]

#: The tag of Bolt's checks.
TAG = "bolt"
#: Check ids besides discovery's ``bolt.E001`` and ``bolt.E002``.
E_MERGE = "bolt.E003"
E_SETTING = "bolt.E004"
E_MIDDLEWARE = "bolt.E005"


def check_apis(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.Error]:
    """Every problem that would stop ``runbolt`` from serving the project's APIs.

    ``app_configs`` is ignored, as Django's URL checks ignore it: which APIs are served is
    a property of the whole project (``BOLT_API``, ``ROOT_URLCONF``), not of one app.
    """
    found, failures = scan_apis()
    errors = [
        checks.Error(failure.reason, obj=failure.where or "settings.BOLT_API", id=failure.check_id)
        for failure in failures
    ]
    if not found:
        return errors
    try:
        merged = BoltAPI.merge(api for _, api in found)
    except ValueError as exc:
        labels = ", ".join(label for label, _ in found)
        errors.append(checks.Error(str(exc), obj=labels, id=E_MERGE))
        return errors
    try:
        apply_settings(merged)
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), obj="settings", id=E_SETTING))
        return errors
    try:
        merged.check_middleware()
    except (ImproperlyConfigured, ValueError, TypeError, RuntimeError) as exc:
        errors.append(checks.Error(str(exc), obj="middleware", id=E_MIDDLEWARE))
    return errors
