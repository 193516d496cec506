"""The ``access`` stage of a route's pipeline: authenticate, then run the guards.

:func:`access_for` builds it at ``compile()`` from the route's resolved backends and guards
(route, then router, then the API's defaults — Django's ``BOLT_AUTHENTICATION_CLASSES`` and
``BOLT_DEFAULT_PERMISSION_CLASSES``); a route with neither has no access stage at all.
:meth:`Access.check` runs in place (a sync route stays on the engine's thread); a route with
an ``async`` guard awaits :meth:`Access.acheck` on the event loop. Either one stores the
:class:`~bolt_api.auth.AuthContext` in ``request.state["auth"]`` and returns ``None`` to let
the request on to binding and the handler, or returns the exception to answer (401/403).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine import Needs, Request, ResponseTuple, RouteCall
from ..exceptions import HTTPException
from ._backends import BaseAuthentication
from ._context import STATE_KEY, AuthContext
from ._guards import BUILTIN_GUARDS, AllowAny, BasePermission, is_async_guard

__all__ = [
    "Access",
    "access_for",
    "check_auth",
    "check_guards",
    "guarded",
    "requires_authentication",
    "resolve",
]

#: Turns an exception (and the request) into the error response (``bolt_api._pipeline``).
ErrorHandler = Callable[[BaseException, Request], ResponseTuple]
#: The route's response stages, run on every answer (``bolt_api._pipeline``).
Finisher = Callable[[ResponseTuple, Request], ResponseTuple]

NOT_AUTHENTICATED = "Authentication required"
PERMISSION_DENIED = "Permission denied"


def check_auth(auth: Any, where: str) -> tuple[BaseAuthentication, ...] | None:
    """``auth=`` as given to a decorator, checked at registration (``None``: inherit)."""
    if auth is None:
        return None
    if isinstance(auth, (str, bytes)) or not isinstance(auth, Sequence):
        raise TypeError(f"{where}: auth= takes a list of backends, got {auth!r}")
    for backend in auth:
        if isinstance(backend, type) and issubclass(backend, BaseAuthentication):
            raise TypeError(
                f"{where}: auth= takes backend instances: {backend.__name__}(...), "
                f"not the class {backend.__name__}"
            )
        if not isinstance(backend, BaseAuthentication):
            raise TypeError(
                f"{where}: auth= takes authentication backends such as JWTAuthentication(...) "
                f"or APIKeyAuthentication(...), got {backend!r}"
            )
    return tuple(auth)


def check_guards(guards: Any, where: str) -> tuple[Any, ...] | None:
    """``guards=`` as given to a decorator, checked at registration (``None``: inherit)."""
    if guards is None:
        return None
    if isinstance(guards, (str, bytes)) or not isinstance(guards, Sequence):
        raise TypeError(f"{where}: guards= takes a list of guards, got {guards!r}")
    for guard in guards:
        if isinstance(guard, type) and issubclass(guard, BasePermission):
            raise TypeError(
                f"{where}: guards= takes guard instances: {guard.__name__}(), "
                f"not the class {guard.__name__}"
            )
        if not isinstance(guard, BasePermission) and not callable(guard):
            raise TypeError(
                f"{where}: a guard is a BasePermission or a callable "
                f"guard(context, request) -> bool, got {guard!r}"
            )
        if not isinstance(guard, BasePermission):
            try:
                inspect.signature(guard).bind(None, None)
            except TypeError:
                raise TypeError(
                    f"{where}: the guard {guard!r} must take (context, request)"
                ) from None
            except ValueError:  # no signature to read (a builtin): let it be
                pass
    return tuple(guards)


def resolve(
    definition: Any, default_auth: Any, default_guards: Any
) -> tuple[tuple[BaseAuthentication, ...], tuple[Any, ...]]:
    """The backends and guards a route uses: its own (or its router's), else the defaults."""
    auth = definition.auth if definition.auth is not None else default_auth
    guards = definition.guards if definition.guards is not None else default_guards
    return tuple(auth or ()), tuple(guards or ())


@dataclass(frozen=True, slots=True)
class Access:
    """One route's access control: its backends, then its guards, in order."""

    backends: tuple[BaseAuthentication, ...]
    guards: tuple[Any, ...]
    #: Whether a guard is ``async``: the route then runs on the event loop.
    is_async: bool
    needs: Needs
    #: The ``WWW-Authenticate`` value of a 401.
    challenge: str
    #: Whether a backend reads the database (``SessionAuthentication``): the check then
    #: runs off the engine's thread and, on an ``async`` route, through ``sync_to_async``.
    blocks: bool = False

    def authenticate(self, request: Request) -> AuthContext | None:
        """The first backend's context that authenticates the request, stored in
        ``request.state``."""
        for backend in self.backends:
            context = backend.authenticate(request)
            if context is not None:
                request.state[STATE_KEY] = context
                return context
        return None

    def _unauthenticated(self) -> HTTPException:
        headers = {"www-authenticate": self.challenge} if self.challenge else None
        return HTTPException(401, NOT_AUTHENTICATED, headers=headers)

    def _refused(self, guard: Any, context: AuthContext | None) -> HTTPException:
        """401 when credentials could change the answer (nobody authenticated, the route has
        backends, and the guard does not say it ignores authentication), else 403."""
        ignores_auth = isinstance(guard, BasePermission) and not guard.requires_authentication
        if context is None and self.backends and not ignores_auth:
            return self._unauthenticated()
        message = getattr(guard, "message", None)
        return HTTPException(403, message if isinstance(message, str) else PERMISSION_DENIED)

    def check(self, request: Request) -> HTTPException | None:
        """Authenticate and run the (sync) guards: ``None`` to proceed, else the refusal."""
        context = self.authenticate(request)
        for guard in self.guards:
            if isinstance(guard, BasePermission):
                if guard.__class__ is AllowAny:
                    return None
                if context is None and guard.requires_authentication:
                    return self._unauthenticated()
                allowed = guard.has_permission(context, request)
            else:
                allowed = guard(context, request)
            if allowed is not True:
                return self._refused(guard, context)
        return None

    async def acheck(self, request: Request) -> HTTPException | None:
        """:meth:`check` for routes with an ``async`` guard or a blocking backend."""
        if self.blocks:
            from asgiref.sync import sync_to_async

            if not any(is_async_guard(g) for g in self.guards):
                refused: HTTPException | None = await sync_to_async(self.check)(request)
                return refused
            context = await sync_to_async(self.authenticate)(request)
        else:
            context = self.authenticate(request)
        for guard in self.guards:
            if isinstance(guard, BasePermission):
                if guard.__class__ is AllowAny:
                    return None
                if context is None and guard.requires_authentication:
                    return self._unauthenticated()
                allowed = guard.has_permission(context, request)
            else:
                allowed = guard(context, request)
            if inspect.isawaitable(allowed):
                allowed = await allowed
            if allowed is not True:
                return self._refused(guard, context)
        return None


def requires_authentication(guards: tuple[Any, ...]) -> bool:
    """Whether these guards refuse some request for lack of credentials (for OpenAPI: a
    custom guard is assumed to)."""
    for guard in guards:
        if isinstance(guard, AllowAny):
            return False
        if not isinstance(guard, BasePermission) or guard.requires_authentication:
            return True
    return False


def access_for(backends: tuple[BaseAuthentication, ...], guards: tuple[Any, ...]) -> Access | None:
    """The access stage for these backends and guards; ``None`` (no stage) when there is
    nothing to check — no backend, and no guard or only ``AllowAny``."""
    if not backends and all(isinstance(g, AllowAny) for g in guards):
        return None
    for backend in backends:
        backend.prepare()
    needs = Needs.NONE
    for backend in backends:
        needs |= backend.needs
    if any(type(g) not in BUILTIN_GUARDS for g in guards):
        needs = Needs.ALL  # a guard of your own may read any part of the request
    challenges = list(dict.fromkeys(b.challenge() for b in backends))
    return Access(
        backends,
        guards,
        any(is_async_guard(g) for g in guards),
        needs,
        ", ".join(challenges) or "Bearer",
        any(getattr(b, "blocks", False) for b in backends),
    )


def _as_is(response: ResponseTuple, request: Request) -> ResponseTuple:
    return response


def guarded(
    call: RouteCall, access: Access, on_loop: bool, on_error: ErrorHandler, after: Finisher | None
) -> RouteCall:
    """``call`` (the route's callable; ``on_loop``: an async one) behind the ``access``
    stage: a refusal (or a backend's or guard's exception) is answered through ``on_error``
    and the response stages (``after``); the request is not bound."""
    tail = after or _as_is
    if not on_loop:
        check = access.check
        inner_sync: Callable[[Request], ResponseTuple] = call  # type: ignore[assignment]

        def guarded(request: Request) -> ResponseTuple:
            try:
                refused = check(request)
            except Exception as exc:
                return tail(on_error(exc, request), request)
            if refused is not None:
                return tail(on_error(refused, request), request)
            return inner_sync(request)

        return guarded
    acheck = access.acheck if access.is_async or access.blocks else None
    check_sync = access.check
    inner: Callable[[Request], Coroutine[Any, Any, ResponseTuple]] = call  # type: ignore[assignment]

    async def aguarded(request: Request) -> ResponseTuple:
        try:
            refused = await acheck(request) if acheck is not None else check_sync(request)
        except Exception as exc:
            return tail(on_error(exc, request), request)
        if refused is not None:
            return tail(on_error(refused, request), request)
        return await inner(request)

    return aguarded
