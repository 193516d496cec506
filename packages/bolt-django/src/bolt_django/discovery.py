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

Every failure is a :class:`DiscoveryError` that says where it happened (``file:line``, the
line of a syntax error itself), so that ``runbolt`` can print one line instead of a
traceback and ``manage.py check`` (:mod:`bolt_django.checks`) can report each of them.
:func:`project_api` merges what was found the way ``runbolt`` serves it, for the commands
that describe the served API (``bolt_routes``, ``bolt_openapi``).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import traceback
from pathlib import Path
from types import ModuleType

import bolt_api
from bolt_api import BoltAPI
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError

from .conf import apply_settings

__all__ = [
    "API_MODULE",
    "E_BAD_ENTRY",
    "E_IMPORT",
    "DiscoveryError",
    "discover_apis",
    "project_api",
    "scan_apis",
]

#: The submodule looked for in the project package and in every installed app.
API_MODULE = "api"
#: Check ids (``manage.py check``): an API module that does not import; a ``BOLT_API``
#: entry (or the setting itself) that names no API.
E_IMPORT = "bolt.E001"
E_BAD_ENTRY = "bolt.E002"
#: Apps never searched: this one, and Django's own.
_SKIPPED_APP = "bolt_django"
_SKIPPED_PREFIX = "django.contrib."
#: Frames never named as where an import failed: the import machinery and Bolt's own code,
#: which only relay the user's mistake (a route conflict raised by ``@api.get`` belongs to
#: the decorator's line in ``api.py``).
_RELAYS = tuple(
    str(Path(path or "").parent) + "/" for path in (bolt_api.__file__, importlib.__file__, __file__)
)

ApiList = list[tuple[str, BoltAPI]]


class DiscoveryError(CommandError):
    """An API that cannot be loaded: ``reason``, and ``where`` (``"file:line"``) when known.

    A ``CommandError``, so that a management command prints ``str(exc)`` — ``file:line:
    reason`` — as one line, and the traceback of the cause only with ``--traceback``.
    """

    def __init__(self, reason: str, *, check_id: str, where: str | None = None) -> None:
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = reason
        self.check_id = check_id
        self.where = where


def discover_apis() -> ApiList:
    """``(label, api)`` pairs for every API to serve, each API object once.

    ``label`` is ``"module:attr"``, for messages. Raises the first :class:`DiscoveryError`
    (a ``CommandError``) for a bad ``BOLT_API`` entry or an API module that fails to import.
    """
    found, errors = scan_apis()
    if errors:
        raise errors[0]  # its __cause__, the import's own error, is kept for --traceback
    return found


def scan_apis() -> tuple[ApiList, list[DiscoveryError]]:
    """What :func:`discover_apis` finds, and every error instead of the first (the checks
    report them all at once)."""
    errors: list[DiscoveryError] = []
    configured = getattr(settings, "BOLT_API", None)
    found = _autodiscover(errors) if configured is None else _from_setting(configured, errors)
    unique: ApiList = []
    seen: set[int] = set()
    for label, api in found:
        if id(api) not in seen:
            seen.add(id(api))
            unique.append((label, api))
    return unique, errors


def project_api(found: ApiList | None = None) -> BoltAPI:
    """The one API ``runbolt`` serves: every discovered API merged, the settings applied.

    ``CommandError`` when there is none, or when two APIs declare the same ``METHOD path``
    (the message names both handlers' files and lines).
    """
    if found is None:
        found = discover_apis()
    if not found:
        raise CommandError(
            "No Bolt API found: define `api = BoltAPI()` in an installed app's api.py "
            "(or in <project>/api.py), or list them in settings.BOLT_API = "
            "['module:attr', ...]."
        )
    try:
        merged = BoltAPI.merge(api for _, api in found)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    apply_settings(merged)
    return merged


def _from_setting(entries: object, errors: list[DiscoveryError]) -> ApiList:
    if isinstance(entries, str) or not isinstance(entries, list | tuple):
        errors.append(
            DiscoveryError(
                f"settings.BOLT_API must be a list of 'module:attr' strings, got {entries!r}",
                check_id=E_BAD_ENTRY,
            )
        )
        return []
    found: ApiList = []
    for entry in entries:
        try:
            found.append((entry, _load_entry(entry)))
        except DiscoveryError as exc:
            errors.append(exc)
    return found


def _load_entry(entry: object) -> BoltAPI:
    if not isinstance(entry, str):
        raise DiscoveryError(
            f"settings.BOLT_API entry {entry!r} is not a 'module:attr' string",
            check_id=E_BAD_ENTRY,
        )
    prefix = f"settings.BOLT_API entry {entry!r} cannot be loaded"
    module_name, sep, attr = entry.partition(":")
    if not sep or not module_name or not attr:
        raise DiscoveryError(
            f"{prefix}: expected 'module:attribute', got {entry!r}", check_id=E_BAD_ENTRY
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if isinstance(exc, ModuleNotFoundError) and _is_missing(exc, module_name):
            raise DiscoveryError(
                f"{prefix}: ModuleNotFoundError: {exc}", check_id=E_BAD_ENTRY
            ) from exc
        raise _import_failed(f"{prefix}: its module failed to import", exc) from exc
    except Exception as exc:  # a syntax error, or anything the module raises
        raise _import_failed(f"{prefix}: its module failed to import", exc) from exc
    where = _module_file(module)
    if not hasattr(module, attr):
        raise DiscoveryError(
            f"{prefix}: module {module_name!r} has no attribute {attr!r}",
            check_id=E_BAD_ENTRY,
            where=where,
        )
    api = getattr(module, attr)
    if not isinstance(api, BoltAPI):
        raise DiscoveryError(
            f"{prefix}: {entry!r} is a {type(api).__name__}, not a BoltAPI",
            check_id=E_BAD_ENTRY,
            where=where,
        )
    return api


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


def _autodiscover(errors: list[DiscoveryError]) -> ApiList:
    found: ApiList = []
    for name in _candidate_modules():
        try:
            module = _import_if_present(name)
        except DiscoveryError as exc:
            errors.append(exc)
            continue
        if module is None:
            continue
        picked = _api_in(module)
        if picked is not None:
            attr, api = picked
            found.append((f"{name}:{attr}", api))
    return found


def _import_if_present(name: str) -> ModuleType | None:
    """Import ``name`` if it exists; ``None`` if it does not; ``DiscoveryError`` if broken."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        if isinstance(exc, ModuleNotFoundError) and _is_missing(exc, name):
            # A package on the way is missing or is a plain module (``ROOT_URLCONF="urls"``).
            return None
        raise DiscoveryError(
            f"Cannot look for Bolt API module {name!r}: {type(exc).__name__}: {exc}",
            check_id=E_IMPORT,
        ) from exc
    except Exception as exc:  # the package's __init__ itself is broken
        raise _import_failed(f"Cannot look for Bolt API module {name!r}", exc) from exc
    if spec is None:
        return None
    try:
        return importlib.import_module(name)
    except Exception as exc:  # a syntax error as much as a missing dependency
        raise _import_failed(f"Bolt API module {name!r} exists but failed to import", exc) from exc


def _is_missing(exc: ModuleNotFoundError, name: str) -> bool:
    """Whether ``exc`` says ``name`` itself (or a package on its way) does not exist, as
    opposed to a module it imports."""
    missing = exc.name
    return missing is not None and (name + ".").startswith(missing + ".")


def _import_failed(what: str, exc: BaseException) -> DiscoveryError:
    """``what`` failed because of ``exc``: the error, located at the line that raised it."""
    return DiscoveryError(
        f"{what}: {type(exc).__name__}: {_message(exc)}", check_id=E_IMPORT, where=_where(exc)
    )


def _message(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return exc.msg  # str() repeats the file and line, given as ``where``
    return str(exc)


def _where(exc: BaseException) -> str | None:
    """``file:line`` of the mistake: a syntax error's own; else the innermost frame that is
    not the import machinery or Bolt relaying it (the user's import or decorator line)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}" if exc.lineno else exc.filename
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith("<") and not frame.filename.startswith(_RELAYS)
    ]
    if not frames:
        return None
    return f"{frames[-1].filename}:{frames[-1].lineno}"


def _module_file(module: ModuleType) -> str | None:
    try:
        return inspect.getsourcefile(module) or None
    except TypeError:  # a built-in or namespace module
        return None


def _api_in(module: ModuleType) -> tuple[str, BoltAPI] | None:
    candidate = getattr(module, "api", None)
    if isinstance(candidate, BoltAPI):
        return "api", candidate
    for attr, value in vars(module).items():
        if isinstance(value, BoltAPI):
            return attr, value
    return None
