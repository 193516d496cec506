"""A ``@api.websocket`` route compiled into the engine's :data:`~bolt_api.engine.WebSocketCall`.

The engine only moves frames (ENGINE_CONTRACT.md §8); what a WebSocket request *means* is
decided here, in this order, each refusal answered as a plain HTTP response before any
upgrade: the handshake headers (RFC 6455 §4.2.1: 400, or 426 for another version), the
allowed hosts (400), the ``Origin`` (403, :mod:`bolt_api._ws_origin`), authentication and
guards (401/403), ``@rate_limit`` (429; a handshake counts as one request), the parameters
(422, bound by the
same binder as HTTP routes). Then the handler runs with a :class:`~bolt_api.websocket.WebSocket`.

What the handler raises is mapped once, here: :class:`WebSocketDisconnect` ends the route
quietly, :class:`WebSocketException` closes with its code (unlogged: it answers the client's
input), anything else is logged once through the route's error handling and closes with
1011 — or, before the accept, is answered with the HTTP error it maps to.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from typing import Any

from ._binding import Plan, RequestScope
from ._dependencies import solve_async, teardown_async
from ._pipeline import RequestCounter
from ._ratelimit import Limiter
from ._ws_origin import OriginCheck
from .auth._access import Access
from .engine import Request, ResponseTuple, WebSocketCall, WebSocketReceive, WebSocketSend
from .errors import ErrorHandling
from .exceptions import HTTPException
from .hosts import AllowedHosts
from .websocket import (
    CloseCode,
    WebSocket,
    WebSocketDisconnect,
    WebSocketException,
    WebSocketState,
    deny,
)

__all__ = ["handshake_refusal", "websocket_call"]


def _tokens(value: str | None) -> set[str]:
    return {t.strip().lower() for t in (value or "").split(",") if t.strip()}


def handshake_refusal(request: Request) -> HTTPException | None:
    """What is wrong with the handshake request's headers (RFC 6455 §4.2.1), or ``None``.

    The engine has checked the method and the ``Upgrade`` header (it only routes such
    requests here); the rest is checked once, here, for both engines.
    """
    headers = request.headers
    if "upgrade" not in _tokens(headers.get("connection")):
        return HTTPException(400, "WebSocket handshake: Connection must include 'upgrade'")
    version = headers.get("sec-websocket-version", "").strip()
    if version != "13":
        return HTTPException(
            426,
            "WebSocket handshake: only Sec-WebSocket-Version 13 is supported",
            headers={"sec-websocket-version": "13"},
        )
    key = headers.get("sec-websocket-key", "").strip()
    try:
        ok = len(base64.b64decode(key.encode("ascii"), validate=True)) == 16
    except (binascii.Error, UnicodeEncodeError, ValueError):
        ok = False
    if not ok:
        return HTTPException(400, "WebSocket handshake: missing or malformed Sec-WebSocket-Key")
    return None


def _as_coroutine(check: Any) -> Any:
    async def checked(request: Request) -> Any:
        return check(request)

    return checked


async def _answer(send: WebSocketSend, response: ResponseTuple) -> None:
    status, headers, body = response
    await deny(send, status, headers, body if isinstance(body, bytes) else b"")


async def _close_quietly(ws: WebSocket, code: int, reason: str) -> None:
    """Close after the accept; the connection may be gone already (then there is no one to
    tell)."""
    if (
        ws.application_state is WebSocketState.CONNECTED
        and ws.client_state is not WebSocketState.DISCONNECTED
    ):
        with contextlib.suppress(OSError, RuntimeError):
            await ws.close(code, reason[:123])  # a close reason holds 123 bytes at most


def websocket_call(
    plan: Plan,
    handling: ErrorHandling,
    access: Access | None,
    hosts: AllowedHosts | None,
    counter: RequestCounter | None = None,
    origins: OriginCheck | None = None,
    limiter: Limiter | None = None,
) -> WebSocketCall:
    """The engine callable of one WebSocket route (see the module docstring). ``counter``:
    ``--max-requests`` counts a handshake as one request. ``origins``: the handshake's
    ``Origin`` check (``None``: none — only for tests that call the route directly)."""
    fn = plan.fn
    tick = None if counter is None else counter.tick
    limit: Any = None  # the rate-limit check, awaited before the upgrade
    if limiter is not None and limiter.blocks:  # a shared store waits on I/O: off the loop
        from asgiref.sync import sync_to_async

        limit = sync_to_async(limiter.check)
    elif limiter is not None:
        limit = _as_coroutine(limiter.check)

    async def call(request: Request, receive: WebSocketReceive, send: WebSocketSend) -> None:
        if tick is not None:
            tick()
        first = await receive()
        if first.get("type") != "websocket.connect":
            return
        refusal = handshake_refusal(request)
        if refusal is None and hosts is not None and not hosts.allows(request):
            refusal = HTTPException(400, "Invalid HTTP_HOST header")
        if refusal is None and origins is not None and not origins.allows(request):
            refusal = HTTPException(403, "WebSocket handshake: Origin not allowed")
        if refusal is None and access is not None:
            refusal = await access.acheck(request)
        if refusal is None and limit is not None:
            try:
                refusal = await limit(request)
            except Exception as exc:  # the store failed: answered as on HTTP routes
                await _answer(send, handling.handle_exception(exc, request))
                return
        if refusal is not None:
            await _answer(send, handling.handle_exception(refusal, request))
            return
        ws = WebSocket(request, receive, send)
        scope = RequestScope()
        raised: BaseException | None = None
        try:
            kwargs: dict[str, Any] = await solve_async(plan, ws, scope)  # type: ignore[arg-type]
            if scope.errors:
                await _answer(send, handling.invalid(scope.errors, request))
                return
            await fn(**kwargs)
        except WebSocketDisconnect:
            pass
        except WebSocketException as exc:
            if ws.application_state is WebSocketState.CONNECTING:
                await ws.close()  # no connection to close: the handshake's 403
            else:
                await _close_quietly(ws, exc.code, exc.reason)
        except Exception as exc:
            raised = exc
            response = handling.handle_exception(exc, request)  # logs it, once
            if ws.application_state is WebSocketState.CONNECTING:
                await _answer(send, response)
            else:
                await _close_quietly(ws, CloseCode.INTERNAL_ERROR, "")
        finally:
            scope.close()
            if scope.exits:
                try:
                    await teardown_async(scope, raised)
                except Exception as exc:
                    if exc is not raised:
                        handling.handle_exception(exc, request)
        if ws.application_state is WebSocketState.CONNECTING:
            await ws.close()  # returned without accepting: refused, as uvicorn does
        else:
            await _close_quietly(ws, CloseCode.NORMAL, "")

    call.__qualname__ = getattr(fn, "__qualname__", "websocket")
    return call
