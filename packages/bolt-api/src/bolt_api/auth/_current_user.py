"""django-bolt's current-user helpers: ``get_current_user``, ``CurrentUser`` and
``extract_user_id_from_context``.

``def me(user: CurrentUser)`` receives the request's Django user, loaded through
``await request.auser()`` (so the query never blocks the event loop and ``request.user``
is served from the same cache afterwards), or ``None`` when the request is not
authenticated. Pair it with ``guards=[IsAuthenticated()]`` for a route that must have a
user; for a typed parameter, make an alias of one's own:
``Annotated[User, Depends(get_current_user)]``.
"""

from __future__ import annotations

from typing import Annotated, Any

from ..engine import Request
from ..params import Depends
from ._context import get_auth_context

__all__ = ["CurrentUser", "extract_user_id_from_context", "get_current_user"]


async def get_current_user(request: Request) -> Any:
    """The request's authenticated Django user, or ``None`` (a dependency)."""
    user = await request.auser()
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


#: The current user as a parameter: ``def me(user: CurrentUser)``.
CurrentUser = Annotated[Any, Depends(get_current_user)]


def extract_user_id_from_context(request: Request) -> str | None:
    """The authenticated ``user_id`` (a token's ``sub``), or ``None``."""
    context = get_auth_context(request)
    return None if context is None else context.user_id
