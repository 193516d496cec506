"""Guards: whether an (authenticated) request may reach the handler.

A guard is a :class:`BasePermission` — django-bolt's 0.6 set (``AllowAny``,
``IsAuthenticated``, ``IsAdminUser``, ``IsStaff``, ``HasPermission``, ``HasAnyPermission``,
``HasAllPermissions``) and its 0.13 claim-based ``Requires`` — or any callable
``guard(context, request) -> bool`` (sync or ``async``), for rules of your own.

Guards run in order, as django-bolt's do: ``AllowAny`` lets the request through at once; a
guard that needs an authenticated request answers **401** (with ``WWW-Authenticate``) when no
backend authenticated it; a guard that refuses answers **403** ``{"detail": "Permission
denied"}`` (or the guard's ``message``) — or 401 when nobody is authenticated, the route has
backends and the guard does not declare ``requires_authentication = False``. A guard may
also raise an ``HTTPException`` to answer something else.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from ..engine import Request
from ._context import AuthContext

__all__ = [
    "BUILTIN_GUARDS",
    "AllowAny",
    "BasePermission",
    "Guard",
    "HasAllPermissions",
    "HasAnyPermission",
    "HasPermission",
    "IsAdminUser",
    "IsAuthenticated",
    "IsStaff",
    "Requires",
    "is_async_guard",
]

#: A custom guard: ``guard(context, request)`` returning (or resolving to) ``True`` to allow.
Guard = Callable[[AuthContext | None, Request], "bool | Awaitable[bool]"]


class BasePermission:
    """Base of the guards: implement :meth:`has_permission` (``def`` or ``async def``).

    ``requires_authentication``: with no authenticated context the guard answers 401 before
    :meth:`has_permission` is asked. ``message``: the 403 detail.
    """

    guard_name: ClassVar[str] = "base"
    requires_authentication: ClassVar[bool] = True
    message: str = "Permission denied"

    def has_permission(self, context: AuthContext | None, request: Request) -> Any:
        """Whether ``context`` may proceed (``context`` is ``None`` only when
        :attr:`requires_authentication` is false)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class AllowAny(BasePermission):
    """Let every request through, authenticated or not (ends the guard list)."""

    guard_name: ClassVar[str] = "allow_any"
    requires_authentication: ClassVar[bool] = False

    def has_permission(self, context: AuthContext | None, request: Request) -> bool:
        return True


class IsAuthenticated(BasePermission):
    """Some backend authenticated the request (401 otherwise)."""

    guard_name: ClassVar[str] = "is_authenticated"

    def has_permission(self, context: AuthContext | None, request: Request) -> bool:
        return context is not None


class IsAdminUser(BasePermission):
    """The context is a superuser (``is_superuser``)."""

    guard_name: ClassVar[str] = "is_superuser"

    def has_permission(self, context: AuthContext | None, request: Request) -> bool:
        return context is not None and context.is_superuser


class IsStaff(BasePermission):
    """The context is staff (``is_staff``)."""

    guard_name: ClassVar[str] = "is_staff"

    def has_permission(self, context: AuthContext | None, request: Request) -> bool:
        return context is not None and context.is_staff


def _perms(perms: tuple[str, ...], what: str) -> tuple[str, ...]:
    if not perms or not all(isinstance(p, str) and p for p in perms):
        raise ValueError(f"{what} takes one or more permission names")
    return perms


def _has(context: AuthContext, permission: str) -> bool:
    """A Django user's ``has_perm`` (its auth backends: groups, object permissions from
    packages such as django-guardian) when the backend loaded one, else the permissions the
    credentials carry (a token's claim, a key's list)."""
    user = context.user
    if user is not None:
        return bool(user.has_perm(permission))
    return permission in context.permissions


class HasPermission(BasePermission):
    """The context carries ``permission`` (a token's ``permissions`` claim, a key's)."""

    guard_name: ClassVar[str] = "has_permission"

    def __init__(self, permission: str) -> None:
        self.permission = _perms((permission,), "HasPermission")[0]

    def has_permission(self, context: AuthContext | None, request: Request) -> bool:
        return context is not None and _has(context, self.permission)

    def __repr__(self) -> str:
        return f"HasPermission({self.permission!r})"


class HasAnyPermission(BasePermission):
    """The context carries at least one of ``permissions``."""

    guard_name: ClassVar[str] = "has_any_permission"

    def __init__(self, *permissions: str) -> None:
        self.permissions = _perms(permissions, "HasAnyPermission")

    def has_permission(self, context: AuthContext | None, request: Request) -> bool:
        return context is not None and any(_has(context, p) for p in self.permissions)

    def __repr__(self) -> str:
        return f"HasAnyPermission{self.permissions!r}"


class HasAllPermissions(BasePermission):
    """The context carries every one of ``permissions``."""

    guard_name: ClassVar[str] = "has_all_permissions"

    def __init__(self, *permissions: str) -> None:
        self.permissions = _perms(permissions, "HasAllPermissions")

    def has_permission(self, context: AuthContext | None, request: Request) -> bool:
        return context is not None and all(_has(context, p) for p in self.permissions)

    def __repr__(self) -> str:
        return f"HasAllPermissions{self.permissions!r}"


_MISSING: Any = object()


def _claim(context: AuthContext, name: str) -> Any:
    """A claim of the token, or the context's own field of that name (API keys have no
    claims, but a ``user_id``, flags and ``permissions``)."""
    if name in context.claims:
        return context.claims[name]
    if name in ("user_id", "is_staff", "is_superuser", "permissions"):
        return getattr(context, name)
    return _MISSING


class Requires(BasePermission):
    """django-bolt 0.13's claim guard: ``Requires("is_staff", True)``, ``Requires("scope",
    "read", "write")``, ``Requires("roles", all_of=["a", "b"], none_of=["banned"])``.

    With ``values``, the claim (or, for a list claim, one of its items) must be one of them;
    without values or lists it must be present and truthy. ``all_of``: a list claim holding
    every one; ``none_of``: holding none. ``message`` replaces the 403 detail.
    """

    guard_name: ClassVar[str] = "requires"

    def __init__(
        self,
        claim: str,
        *values: Any,
        all_of: list[Any] | None = None,
        none_of: list[Any] | None = None,
        message: str | None = None,
    ) -> None:
        if not isinstance(claim, str) or not claim:
            raise ValueError("Requires takes the name of a claim first")
        self.claim = claim
        self.values = values
        self.all_of = tuple(all_of or ())
        self.none_of = tuple(none_of or ())
        if message is not None:
            self.message = message

    def has_permission(self, context: AuthContext | None, request: Request) -> bool:
        if context is None:
            return False
        value = _claim(context, self.claim)
        if value is _MISSING:
            return False
        items = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        if isinstance(value, str) and " " in value:  # OAuth's space-separated "scope"
            items = value.split()
        if self.values and not any(_equal(v, item) for v in self.values for item in items):
            return False
        if self.all_of and not all(any(_equal(v, i) for i in items) for v in self.all_of):
            return False
        if self.none_of and any(_equal(v, i) for v in self.none_of for i in items):
            return False
        return bool(value) or bool(self.values)

    def __repr__(self) -> str:
        return f"Requires({self.claim!r}, *{self.values!r})"


def _equal(expected: Any, actual: Any) -> bool:
    """Equality that keeps ``True`` from matching ``1`` (``Requires("is_staff", True)``)."""
    return type(expected) is type(actual) and bool(expected == actual)


#: The guards that read only the context (no request part beyond what the backends read).
BUILTIN_GUARDS: frozenset[type[BasePermission]] = frozenset(
    {
        AllowAny,
        IsAuthenticated,
        IsAdminUser,
        IsStaff,
        HasPermission,
        HasAnyPermission,
        HasAllPermissions,
        Requires,
    }
)


def is_async_guard(guard: Any) -> bool:
    """Whether checking ``guard`` needs the event loop (an ``async def`` check)."""
    if isinstance(guard, BasePermission):
        return inspect.iscoroutinefunction(guard.has_permission)
    call = getattr(guard, "__call__", None)  # noqa: B004
    return inspect.iscoroutinefunction(guard) or inspect.iscoroutinefunction(call)
