"""``AuthContext``: who a request was authenticated as, and by which backend.

django-bolt hands its handlers the authentication result as ``request.context``, a dict
``{"user_id", "is_staff", "is_superuser", "auth_backend", "permissions", "claims"}``. Bolt's
engines have no ``context`` member, so the result lives in the per-request ``state`` dict both
engines implement (``request.state["auth"]``) and :func:`get_auth_context` reads it. The
context is a frozen object with the same keys readable as items, so django-bolt code that
does ``ctx["user_id"]`` keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine import Request

__all__ = ["STATE_KEY", "AuthContext", "get_auth_context"]

#: The key of ``request.state`` the access-control stage stores the :class:`AuthContext` at.
STATE_KEY = "auth"


@dataclass(frozen=True, slots=True)
class AuthContext:
    """The result of a successful authentication (``None`` stands for "not authenticated")."""

    #: The JWT ``sub`` claim, or ``"apikey:<key>"`` for an API key (django-bolt's choice).
    user_id: str | None
    #: The name of the backend that authenticated the request: ``"jwt"``, ``"api_key"``, ...
    backend: str
    is_staff: bool = False
    is_superuser: bool = False
    permissions: frozenset[str] = frozenset()
    #: The token's claims as decoded (empty for backends without claims).
    claims: Mapping[str, Any] = field(default_factory=dict)
    #: The Django user the backend loaded (``SessionAuthentication``), else ``None``:
    #: ``request.user`` then loads it from :attr:`user_id` on first use.
    user: Any = field(default=None, compare=False, repr=False)

    @property
    def auth_backend(self) -> str:
        """django-bolt's name for :attr:`backend`."""
        return self.backend

    def __getitem__(self, key: str) -> Any:
        """django-bolt's context dict keys: ``user_id``, ``is_staff``, ``is_superuser``,
        ``auth_backend``, ``permissions`` and ``claims``."""
        if key in _KEYS:
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        """Like ``dict.get`` over the keys :meth:`__getitem__` knows."""
        return getattr(self, key) if key in _KEYS else default


_KEYS = frozenset({"user_id", "is_staff", "is_superuser", "auth_backend", "permissions", "claims"})


def get_auth_context(request: Request) -> AuthContext | None:
    """The request's :class:`AuthContext`, or ``None`` when it is not authenticated.

    Usable as a dependency: ``ctx: AuthContext | None = Depends(get_auth_context)``.
    """
    value = request.state.get(STATE_KEY)
    return value if isinstance(value, AuthContext) else None
