"""``manage.py bolt_routes``: every route the project serves, one line each.

The routes are those of the API ``runbolt`` would serve (every discovered API merged, the
``BOLT_*`` settings applied: :func:`bolt_django.discovery.project_api`), so the access
column shows what a request meets, ``BOLT_AUTHENTICATION_CLASSES`` and
``BOLT_DEFAULT_PERMISSION_CLASSES`` included. The methods of one handler on one path share a
line; the ``HEAD`` Bolt answers for each ``GET`` and the docs pages are not listed.
"""

from __future__ import annotations

import inspect
from argparse import ArgumentParser
from typing import Any

from bolt_api import BoltAPI
from bolt_api.auth._access import resolve
from django.core.management.base import BaseCommand

from bolt_django.discovery import project_api

__all__ = ["Command", "route_rows"]

HEADER = ("METHODS", "PATH", "NAME", "HANDLER", "ACCESS")


class Command(BaseCommand):
    help = "Lists the routes of the project's Bolt APIs: methods, path, name, handler, access."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--sort",
            choices=("path", "declared"),
            default="declared",
            help="Order of the lines: as declared (default) or by path.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = route_rows(project_api())
        if options["sort"] == "path":
            rows.sort(key=lambda row: row[1])
        table = [HEADER, *rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(HEADER) - 1)]
        for row in table:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]).rstrip())


def route_rows(api: BoltAPI) -> list[tuple[str, str, str, str, str]]:
    """``(methods, path, name, handler, access)`` for each handler on each path, in the
    order declared; ``-`` for no name, ``public`` for no authentication nor guard."""
    grouped: dict[tuple[str, int], list[Any]] = {}
    for entry in api.routes:
        key = (entry.template.source, id(entry.definition.handler))
        grouped.setdefault(key, []).append(entry)
    rows = []
    for entries in grouped.values():
        first = entries[0]
        definition = first.definition
        backends, guards = resolve(definition, api.default_auth, api.default_guards)
        rows.append(
            (
                ",".join(dict.fromkeys(entry.method for entry in entries)),
                first.template.source,
                definition.name or "-",
                _handler(definition.handler),
                _access(backends, guards),
            )
        )
    return rows


def _handler(handler: Any) -> str:
    module = getattr(handler, "__module__", None) or "?"
    return f"{module}:{getattr(handler, '__qualname__', None) or repr(handler)}"


def _access(backends: tuple[Any, ...], guards: tuple[Any, ...]) -> str:
    parts = []
    if backends:
        parts.append("auth=" + ",".join(type(backend).__name__ for backend in backends))
    if guards:
        parts.append("guards=" + ",".join(_guard(guard) for guard in guards))
    return " ".join(parts) or "public"


def _guard(guard: Any) -> str:
    """The guard's class name, with what distinguishes two of a kind (``HasPermission``'s
    permission) when its ``repr`` says it; a plain function guard by its name."""
    if inspect.isfunction(guard):
        return str(guard.__qualname__)
    text = repr(guard)
    name = type(guard).__name__
    return text if text.startswith(f"{name}(") and len(text) <= 60 else name
