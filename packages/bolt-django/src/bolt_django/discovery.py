"""Finding the project's ``BoltAPI`` objects, so that ``runbolt`` needs no argument.

Two ways, never mixed:

* ``settings.BOLT_API = ["module:attr", ...]`` names the APIs exactly. When the setting
  exists it is the whole answer, and an entry that cannot be loaded is an error: the user
  asked for it by name.
* Otherwise the conventional places are looked at: ``<project>.api`` (project = the first
  component of ``ROOT_URLCONF``), then ``<app>.api`` for every installed app. A missing
  module is skipped, but a module that exists and fails to import is an error — hiding it
  would serve an API with routes silently missing.

In a module, the attribute ``api`` wins if it is a ``BoltAPI``; otherwise the first
module-level ``BoltAPI`` (in definition order) is taken.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from bolt_api import BoltAPI
from bolt_api.server import import_api
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError

__all__ = ["API_MODULE", "discover_apis"]

#: The submodule looked for in the project package and in every installed app.
API_MODULE = "api"
#: Apps never searched: this one, and Django's own.
_SKIPPED_APP = "bolt_django"
_SKIPPED_PREFIX = "django.contrib."


def discover_apis() -> list[tuple[str, BoltAPI]]:
    """``(label, api)`` pairs for every API to serve, each API object once.

    ``label`` is ``"module:attr"``, for messages. Raises ``CommandError`` for a bad
    ``BOLT_API`` entry or an API module that fails to import.
    """
    configured = getattr(settings, "BOLT_API", None)
    found = _from_setting(configured) if configured is not None else _autodiscover()
    unique: list[tuple[str, BoltAPI]] = []
    seen: set[int] = set()
    for label, api in found:
        if id(api) not in seen:
            seen.add(id(api))
            unique.append((label, api))
    return unique


def _from_setting(entries: object) -> list[tuple[str, BoltAPI]]:
    if isinstance(entries, str) or not isinstance(entries, list | tuple):
        raise CommandError(
            f"settings.BOLT_API must be a list of 'module:attr' strings, got {entries!r}"
        )
    found: list[tuple[str, BoltAPI]] = []
    for entry in entries:
        if not isinstance(entry, str):
            raise CommandError(f"settings.BOLT_API entry {entry!r} is not a 'module:attr' string")
        try:
            found.append((entry, import_api(entry)))
        except (ImportError, ValueError) as exc:
            raise CommandError(
                f"settings.BOLT_API entry {entry!r} cannot be loaded: {type(exc).__name__}: {exc}"
            ) from exc
    return found


def _candidate_modules() -> list[str]:
    names: list[str] = []
    root_urlconf = getattr(settings, "ROOT_URLCONF", None)
    if isinstance(root_urlconf, str) and root_urlconf:
        names.append(f"{root_urlconf.split('.')[0]}.{API_MODULE}")
    for config in apps.get_app_configs():
        if config.name == _SKIPPED_APP or config.name.startswith(_SKIPPED_PREFIX):
            continue
        names.append(f"{config.name}.{API_MODULE}")
    return list(dict.fromkeys(names))


def _autodiscover() -> list[tuple[str, BoltAPI]]:
    found: list[tuple[str, BoltAPI]] = []
    for name in _candidate_modules():
        module = _import_if_present(name)
        if module is None:
            continue
        picked = _api_in(module)
        if picked is not None:
            attr, api = picked
            found.append((f"{name}:{attr}", api))
    return found


def _import_if_present(name: str) -> ModuleType | None:
    """Import ``name`` if it exists; ``None`` if it does not; ``CommandError`` if it is broken."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
        if missing is not None and (name + ".").startswith(missing + "."):
            # A package on the way is missing or is a plain module (``ROOT_URLCONF="urls"``).
            return None
        raise CommandError(
            f"Cannot look for Bolt API module {name!r}: {type(exc).__name__}: {exc}"
        ) from exc
    if spec is None:
        return None
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise CommandError(
            f"Bolt API module {name!r} exists but failed to import: {type(exc).__name__}: {exc}"
        ) from exc


def _api_in(module: ModuleType) -> tuple[str, BoltAPI] | None:
    candidate = getattr(module, "api", None)
    if isinstance(candidate, BoltAPI):
        return "api", candidate
    for attr, value in vars(module).items():
        if isinstance(value, BoltAPI):
            return attr, value
    return None
