"""Health endpoints for load balancers, orchestrators and service managers (django-bolt's
``django_bolt.health``).

:func:`register_health_checks` adds two routes to an API:

* ``GET /health`` — liveness: ``200 {"status": "ok"}`` for as long as the process serves.
  It runs no check, so a slow database never gets a live process killed.
* ``GET /ready`` — readiness: runs every check concurrently, each with a timeout, and answers
  ``200 {"status": "healthy", "checks": {...}}`` or, when one fails, ``503`` with
  ``"status": "unhealthy"`` and the failing checks' names in ``"failing"``, so that a load
  balancer takes the process out of rotation without parsing the body. (django-bolt answers
  200 in both cases; a status code is what load balancers read, hence the 503.)

The checks: :func:`check_database` (each of Django's ``DATABASES`` on a fresh connection,
never one a handler holds, so that a dead server is seen even when pooled connections look
alive; nothing to check without Django), then those given to :func:`add_health_check` — a
function, sync or ``async``, returning ``(healthy, message)`` or a ``bool``; raising counts as
unhealthy. A sync check runs in a thread, as it may block.

The routes take no authentication or guards from the API (a probe has no credentials), and
are left out of the OpenAPI document, as in django-bolt.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias, TypeVar

from ._router import RouteDef, RouteRegistrar
from .responses import JSON

__all__ = [
    "CheckResult",
    "HealthCheck",
    "add_health_check",
    "check_database",
    "register_health_checks",
]

#: What a check returns: ``(healthy, message)``, or just whether it is healthy.
CheckResult: TypeAlias = tuple[bool, str] | bool
_Check: TypeAlias = Callable[[], CheckResult | Awaitable[CheckResult]]
C = TypeVar("C", bound=_Check)

_log = logging.getLogger("bolt_api.health")


def _probe_databases() -> tuple[bool, str]:
    try:
        from django.conf import settings
    except ImportError:
        return True, "no database configured"
    if not settings.configured or not settings.DATABASES:
        return True, "no database configured"
    from django.db import connections

    for alias in settings.DATABASES:
        conn = connections.create_connection(alias)  # fresh: not a handler's connection
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:
            _log.warning("readiness: database %r unreachable", alias, exc_info=True)
            return False, f"database {alias!r} unreachable: {type(exc).__name__}"
        finally:
            conn.close()
    return True, "Database connection OK"


async def check_database() -> tuple[bool, str]:
    """Connect afresh to each configured database and run ``SELECT 1`` (in a thread)."""
    return await asyncio.to_thread(_probe_databases)


class HealthCheck:
    """The checks ``/ready`` runs and their timeout (seconds per check)."""

    def __init__(self, checks: Sequence[_Check] = (), *, timeout: float = 5.0) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0, got {timeout}")
        self.checks: list[_Check] = list(checks)
        self.timeout = timeout

    def add(self, check: C) -> C:
        """Add ``check`` (returned unchanged, so this is usable as a decorator)."""
        if not callable(check):
            raise TypeError(f"a health check must be callable, got {type(check).__name__}")
        self.checks.append(check)
        return check

    async def _run_one(self, check: _Check) -> tuple[bool, str]:
        try:
            outcome = await asyncio.wait_for(_call(check), self.timeout)
        except TimeoutError:
            return False, f"timed out after {self.timeout:g}s"
        except Exception as exc:
            _log.warning("readiness: check %s raised", _name(check), exc_info=True)
            return False, f"{type(exc).__name__}: {exc}"
        if isinstance(outcome, tuple):
            healthy, message = outcome
            return bool(healthy), str(message)
        return bool(outcome), "OK" if outcome else "failed"

    async def run(self) -> tuple[bool, dict[str, dict[str, Any]]]:
        """Every check at once; whether all passed, and each one's result by name."""
        results = await asyncio.gather(*(self._run_one(c) for c in self.checks))
        report = {
            _name(check): {"healthy": healthy, "message": message}
            for check, (healthy, message) in zip(self.checks, results, strict=True)
        }
        return all(healthy for healthy, _ in results), report


async def _call(check: _Check) -> Any:
    """``check()``'s outcome: awaited when async, else called in a thread (it may block)."""
    if inspect.iscoroutinefunction(check):
        return await check()
    outcome = await asyncio.to_thread(check)
    if inspect.isawaitable(outcome):  # a callable object whose __call__ is async
        outcome = await outcome
    return outcome


def _name(check: Callable[..., Any]) -> str:
    return getattr(check, "__name__", type(check).__name__)


#: The checks :func:`add_health_check` adds to, read by every ``/ready`` registered without
#: ``health=`` (so a check added after registering the routes still runs).
_DEFAULT = HealthCheck([check_database])


def add_health_check(check: C) -> C:
    """Add a custom check to ``/ready`` (sync or ``async``; usable as a decorator)."""
    return _DEFAULT.add(check)


def register_health_checks(
    api: RouteRegistrar,
    health: HealthCheck | None = None,
    *,
    health_path: str = "/health",
    ready_path: str = "/ready",
) -> None:
    """Add ``GET /health`` and ``GET /ready`` to ``api`` (a ``BoltAPI`` or a ``Router``).

    ``health``: the checks and timeout ``/ready`` uses; by default :func:`check_database`
    and the checks given to :func:`add_health_check`, 5 seconds each.
    """
    checks = health if health is not None else _DEFAULT

    def health_view() -> dict[str, str]:
        """Liveness: answering at all is the signal."""
        return {"status": "ok"}

    async def ready_view() -> JSON:
        """Readiness: 503 names the failing checks."""
        healthy, report = await checks.run()
        body: dict[str, Any] = {"status": "healthy" if healthy else "unhealthy"}
        body["checks"] = report
        if not healthy:
            body["failing"] = [name for name, result in report.items() if not result["healthy"]]
        return JSON(body, status_code=200 if healthy else 503)

    hidden = {"include_in_schema": False}
    for path, view in ((health_path, health_view), (ready_path, ready_view)):
        api._add(RouteDef(("GET",), path, view, extra=hidden, auth=(), guards=()))
