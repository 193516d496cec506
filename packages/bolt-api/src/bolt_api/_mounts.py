"""Mounts: Django's URLconf or an ASGI application behind a path prefix, and the Django
fallback for the requests no Bolt route answers.

A mount is served as ordinary engine routes, added by ``BoltAPI.compile()`` after the API's
own: ``<prefix>`` and ``<prefix>/{*rest}`` for every method Bolt routes, async (they run on
the event loop; Django's blocking handler then hops to the handler pool). That needs nothing
new from the engine contract — a fallback is synchronous and runs on an engine thread, where
Django's handler must not run — and routing priority does the rest: any Bolt route that
matches a path wins over a mount's catch-all, since per segment a literal beats ``{name}``
beats ``{*name}``.

The Django *fallback* is the mount of the whole site at ``/``, with one difference: before
handing a request to Django it asks Bolt's own miss handling whether Bolt has something to
say — a 405 (with ``Allow``) for a path Bolt serves under other methods, a 308 to the other
trailing-slash form of a Bolt route, a CORS preflight for a Bolt route — and only a real miss
goes to Django. Methods Bolt does not route at all (``TRACE``, WebDAV's) never reach a mount:
they keep Bolt's own 404/405.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal, cast

from ._asgi import ASGIApp, ASGIMount, ASGIWebSocketMount, check_asgi_app
from ._django_app import DjangoApp, django_ready
from ._hosts import host_checked
from ._pipeline import RequestCounter, counted
from ._threads import in_thread
from .engine import (
    Needs,
    Request,
    ResponseTuple,
    RouteCall,
    RouteSpec,
    WebSocketCall,
    WebSocketReceive,
    WebSocketSend,
)
from .hosts import AllowedHosts

__all__ = [
    "MOUNT_METHODS",
    "BoltAnswer",
    "Mount",
    "asgi_mount",
    "asgi_websocket_routes",
    "check_mount_path",
    "mount_routes",
]

#: Every method a mount answers (the methods Bolt routes).
MOUNT_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY")
_REST = "__bolt_mount_rest"
_PREFIX = re.compile(r"(/[^/{}?#]+)*")
_PARAM = re.compile(r"\{(\*?)[^}]*\}")

ExceptionHandler = Callable[[BaseException, Request], ResponseTuple]
#: Bolt's own answer to a request no Bolt route matched, or ``None`` when it has none.
BoltAnswer = Callable[[Request], "ResponseTuple | None"]


@dataclass(frozen=True, slots=True)
class Mount:
    """What is served under ``path`` (``""``: the whole site): Django or an ASGI app."""

    path: str
    kind: Literal["django", "asgi"]
    app: ASGIApp | None = None
    urlconf: str | None = None
    #: runbolt's Django fallback rather than an explicit ``mount_django("/")`` (both let
    #: Bolt's own 405s and 308s come first: see the module docstring).
    fallback: bool = False

    def joined(self, prefix: str) -> Mount:
        """This mount under ``prefix`` (an API mounted into another, or its own prefix)."""
        path = check_mount_path(prefix) + self.path
        return Mount(path, self.kind, self.app, self.urlconf, self.fallback)


def check_mount_path(path: str) -> str:
    """``path`` as a mount prefix: ``"/"`` or ``"/a/b"`` (``""``, no trailing slash), or a
    ``ValueError`` naming what a prefix cannot hold (parameters, a query, empty segments)."""
    if not isinstance(path, str):
        raise TypeError(f"a mount path is a string, got {type(path).__name__}")
    if path in ("", "/"):
        return ""
    trimmed = path[:-1] if path.endswith("/") else path
    if not trimmed.startswith("/") or _PREFIX.fullmatch(trimmed) is None:
        raise ValueError(
            f"mount path {path!r} must be a plain prefix like '/legacy' or '/a/b': it starts "
            "with '/' and has no parameters ('{...}'), query, fragment or empty segment"
        )
    return trimmed


def _django_call(mount: Mount, handle_exception: ExceptionHandler) -> RouteCall:
    """Django's handler on the handler pool, loaded now so a bad ``MIDDLEWARE`` fails at start."""
    reason = django_ready()
    if reason is not None:
        where = f"mount_django({mount.path or '/'!r})" if not mount.fallback else "the fallback"
        raise RuntimeError(f"{where} cannot be served: {reason}")
    app = DjangoApp(mount.path, mount.urlconf)
    app.load()

    def call(request: Request) -> ResponseTuple:
        try:
            return app(request)
        except Exception as exc:
            return handle_exception(exc, request)

    return in_thread(call)


def _asgi_call(mount: Mount, handle_exception: ExceptionHandler) -> RouteCall:
    assert mount.app is not None
    app = ASGIMount(mount.app, mount.path)

    async def call(request: Request) -> ResponseTuple:
        try:
            return await app(request)
        except Exception as exc:
            return handle_exception(exc, request)

    return call


def _after_bolt(call: RouteCall, bolt_answer: BoltAnswer) -> RouteCall:
    """``call`` for real misses only: what Bolt answers itself (405, 308) stays Bolt's."""

    async def call_after_bolt(request: Request) -> ResponseTuple:
        answer = bolt_answer(request)
        if answer is not None:
            return answer
        result = call(request)
        return result if isinstance(result, tuple) else await result

    return call_after_bolt


def _shape(engine_path: str) -> str:
    """A route's shape from its engine path (``/a/{id}`` -> ``/a/{}``, ``{*rest}`` -> ``{*}``)."""
    return _PARAM.sub(lambda m: "{*}" if m.group(1) else "{}", engine_path)


def _cover(node: tuple[str, ...], routes: Collection[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The templates (as segments) that send every path under ``node`` which no route of
    ``routes`` (one method's, as segments) matches to the mount.

    ``node`` itself, its trailing-slash form, and ``node/{*rest}`` — unless a route has a
    parameter right there: a router may not hold ``{name}`` and ``{*rest}`` at one position
    (``matchit`` refuses it), so the cover goes one segment deeper, under that parameter,
    which every such path passes through. Literal siblings need nothing: when a literal
    branch fails, the routers fall back to the catch-all beside it.
    """
    depth = len(node)
    below = {r[depth] for r in routes if len(r) > depth and r[:depth] == node}
    params = sorted(seg for seg in below if seg.startswith("{"))
    out = [node]
    if depth:
        out.append((*node, ""))  # "/legacy/": a catch-all needs at least one character
    if any(seg.startswith("{*") for seg in params):
        return out  # a route's own catch-all answers everything below
    if not params:
        return [*out, (*node, f"{{*{_REST}}}")]
    for param in params:  # one name in practice: a router refuses two at one position
        out += _cover((*node, param), routes)
    return out


def mount_routes(
    mounts: Collection[Mount],
    routes: Collection[RouteSpec],
    *,
    bolt_answer: BoltAnswer,
    handle_exception: ExceptionHandler,
    counter: RequestCounter | None,
    hosts: AllowedHosts | None,
) -> list[RouteSpec]:
    """The engine routes of ``mounts``; a method and shape ``routes`` has stays the API's.

    ``bolt_answer(request)``: what Bolt's miss handling answers for a request the fallback
    mount caught (a 405, a 308), or ``None`` for a real miss, which goes to Django.
    """
    table: dict[str, list[tuple[str, ...]]] = {m: [] for m in MOUNT_METHODS}
    taken: set[tuple[str, str]] = set()

    def add(spec: RouteSpec) -> None:
        taken.add((spec.method, _shape(spec.path)))
        if spec.method in table:
            table[spec.method].append(tuple(spec.path[1:].split("/")))

    for spec in routes:
        add(spec)
    specs: list[RouteSpec] = []
    # the deepest prefix first: a mount under another's prefix is one of its routes
    for mount in sorted(mounts, key=lambda m: -m.path.count("/")):
        if mount.kind == "django":
            call = _django_call(mount, handle_exception)
        else:
            call = _asgi_call(mount, handle_exception)
        if not mount.path:  # the whole site: what Bolt answers itself stays Bolt's
            call = _after_bolt(call, bolt_answer)
        if hosts is not None:  # as for every path of the API: a host not allowed is a 400
            call = host_checked(call, hosts, True, handle_exception, None)
        if counter is not None:
            call = counted(call, counter)
        name = f"mount_{mount.kind}:{mount.path or '/'}"
        node = tuple(mount.path[1:].split("/")) if mount.path else ()
        added: list[RouteSpec] = []
        for method in MOUNT_METHODS:
            for segments in dict.fromkeys(_cover(node, table[method])):
                path = "/" + "/".join(segments)
                if (method, _shape(path)) not in taken:
                    added.append(RouteSpec(method, path, call, True, Needs.ALL, name))
        for spec in added:
            add(spec)
        specs += added
    return specs


def asgi_websocket_routes(
    mounts: Collection[Mount], routes: Collection[RouteSpec], *, hosts: AllowedHosts | None
) -> list[RouteSpec]:
    """The WebSocket routes of the ASGI mounts: every WebSocket request under a mount's
    prefix that no WebSocket route of the API matches goes to the application, with a
    ``websocket`` scope (the WebSocket table is separate from the HTTP one: §8)."""
    table = [tuple(spec.path[1:].split("/")) for spec in routes]
    taken = {_shape(spec.path) for spec in routes}
    specs: list[RouteSpec] = []
    for mount in sorted(mounts, key=lambda m: -m.path.count("/")):
        if mount.kind != "asgi" or mount.app is None:
            continue
        app = ASGIWebSocketMount(mount.app, mount.path)
        call: WebSocketCall = app.__call__
        if hosts is not None:
            call = _ws_host_checked(call, hosts)
        node = tuple(mount.path[1:].split("/")) if mount.path else ()
        for segments in dict.fromkeys(_cover(node, table)):
            path = "/" + "/".join(segments)
            if _shape(path) not in taken:
                taken.add(_shape(path))
                table.append(segments)
                name = f"mount_asgi:{mount.path or '/'}"
                route_call = cast(RouteCall, call)  # a WebSocketCall: websocket=True
                specs.append(
                    RouteSpec("GET", path, route_call, True, Needs.ALL, name, websocket=True)
                )
    return specs


def _ws_host_checked(call: WebSocketCall, hosts: AllowedHosts) -> WebSocketCall:
    """A host not allowed is a 400 before the mounted application sees the handshake."""

    async def checked(request: Request, receive: WebSocketReceive, send: WebSocketSend) -> None:
        if hosts.allows(request):
            await call(request, receive, send)
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.http.response.start", "status": 400, "headers": []})
        await send({"type": "websocket.http.response.body", "body": b""})

    return checked


def asgi_mount(path: str, app: object) -> Mount:
    """The mount ``api.mount_asgi(path, app)`` records, checked."""
    return Mount(check_mount_path(path), "asgi", check_asgi_app(app))
