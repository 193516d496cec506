"""Any ASGI application behind a Bolt prefix (``api.mount_asgi()``): one request, one ``http``
scope run through the ASGI protocol.

The engine has already read the whole body, so ``receive()`` hands it over in one
``http.request`` message and afterwards waits until the response is over, then answers
``http.disconnect`` (what a server says once the exchange is done). ``send()`` collects
``http.response.start`` and ``http.response.body``: a response whose body comes in one message
is answered as bytes; the first ``more_body`` message turns it into a :class:`StreamBody` fed
by the rest, with a small queue between the application and the engine, so a slow client
slows the application instead of filling memory. When the client goes away mid-stream the
engine closes the stream and the application's task is cancelled.

Lifespan events are not sent to a mounted application (the API's own lifespan is the place
for start-up work). A WebSocket request under the prefix gets a ``websocket`` scope
(:class:`ASGIWebSocketMount`): the engine's messages already are ASGI ``websocket`` messages
(ENGINE_CONTRACT.md §8), so ``receive``/``send`` pass straight through, except that an
application closing before it accepts is answered with the 403 the ASGI spec asks for.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any, TypeAlias, cast
from urllib.parse import quote

from .engine import Request, ResponseTuple, StreamBody

__all__ = ["ASGIApp", "ASGIMount", "ASGIWebSocketMount", "check_asgi_app"]

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
#: An ASGI 3 application: ``await app(scope, receive, send)``.
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]

_log = logging.getLogger("bolt_api")
#: Chunks of a streamed body waiting for the engine; ``send()`` waits beyond this.
_QUEUE_SIZE = 16
_END = object()


def check_asgi_app(app: object) -> ASGIApp:
    """Refuse what cannot be served as an ASGI 3 application, at ``mount_asgi()`` time."""
    if inspect.isclass(app):
        raise TypeError(
            f"mount_asgi() takes an ASGI 3 application (an object called as "
            f"`await app(scope, receive, send)`), got the class {app.__qualname__}: an ASGI 2 "
            "application class needs asgiref.compatibility.guarantee_single_callable(app)"
        )
    if not callable(app):
        raise TypeError(f"mount_asgi() takes an ASGI application, got {type(app).__name__}")
    return cast(ASGIApp, app)


class ASGIMount:
    """The route callable for an ASGI application mounted at ``root_path``."""

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path
        #: Applications still running after their response (background work), kept alive.
        self._running: set[asyncio.Task[None]] = set()

    def scope(self, request: Request) -> Scope:
        """The ``http`` scope: ``path`` is the full path and ``root_path`` the mount prefix,
        as the ASGI spec (and Django's and Starlette's own mounts) have it."""
        client = request.client
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": request.scheme,
            "path": request.path,
            "raw_path": quote(request.path, safe="/:@!$&'()*+,;=-._~").encode("ascii"),
            "query_string": request.query_string.encode("latin-1"),
            "root_path": self.root_path,
            "headers": [
                (name.encode("latin-1"), value.encode("latin-1"))
                for name, value in request.headers.items()
            ],
            "client": None if client is None else [client[0], client[1]],
            "server": None,
            "extensions": {},
        }

    async def __call__(self, request: Request) -> ResponseTuple:
        """Run the application until its response head and (first) body are known."""
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[ResponseTuple] = loop.create_future()
        over = asyncio.Event()  # the exchange is over: receive() says http.disconnect
        queue: asyncio.Queue[Any] = asyncio.Queue()  # chunks, then _END or the error
        room = asyncio.Semaphore(_QUEUE_SIZE)  # chunks the engine has not pulled yet
        start: list[tuple[int, list[tuple[str, str]]]] = []
        streaming = False
        body_given = False

        async def receive() -> Message:
            nonlocal body_given
            if not body_given:
                body_given = True
                return {"type": "http.request", "body": request.body, "more_body": False}
            await over.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal streaming
            kind = message.get("type")
            if kind == "http.response.start":
                if start:
                    raise RuntimeError("ASGI: http.response.start sent twice")
                headers = [
                    (bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1"))
                    for name, value in message.get("headers", ())
                ]
                start.append((int(message["status"]), headers))
            elif kind == "http.response.body":
                if not start:
                    raise RuntimeError("ASGI: http.response.body before http.response.start")
                if over.is_set():
                    return  # the client is gone, or the body was already complete
                chunk = bytes(message.get("body", b""))
                more = bool(message.get("more_body", False))
                status, headers = start[0]
                if streaming:
                    if chunk:
                        await room.acquire()
                        queue.put_nowait(chunk)
                    if not more:
                        queue.put_nowait(_END)
                elif not more:
                    over.set()
                    answered.set_result((status, headers, chunk))
                else:
                    streaming = True
                    if chunk:
                        await room.acquire()
                        queue.put_nowait(chunk)
                    answered.set_result((status, headers, StreamBody(stream(), True)))
            else:
                raise RuntimeError(f"ASGI: unexpected message type {kind!r} for an http scope")

        async def run() -> None:
            await self.app(self.scope(request), receive, send)

        task = loop.create_task(run())
        stream_done = False

        async def stream() -> AsyncIterator[bytes]:
            nonlocal stream_done
            try:
                while True:
                    item = await queue.get()
                    if item is _END:
                        stream_done = True
                        return
                    if isinstance(item, BaseException):
                        raise item
                    room.release()
                    yield item
            finally:
                over.set()
                if not stream_done and not task.done():
                    task.cancel()  # the client went away (or HEAD): stop the application

        def finished(done: asyncio.Task[None]) -> None:
            self._running.discard(done)
            error = None if done.cancelled() else done.exception()
            if not answered.done():
                answered.set_exception(
                    error or RuntimeError("ASGI application returned without a response")
                )
            elif streaming and not stream_done:
                # ended without its last body message: the engine cuts the response short
                queue.put_nowait(error or RuntimeError("ASGI application ended mid-body"))
            elif error is not None:
                _log.error("ASGI application failed after its response", exc_info=error)
            over.set()

        self._running.add(task)
        task.add_done_callback(finished)
        try:
            return await asyncio.shield(answered)
        except asyncio.CancelledError:
            task.cancel()
            raise


class ASGIWebSocketMount:
    """The WebSocket route callable for an ASGI application mounted at ``root_path``."""

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path

    def scope(self, request: Request) -> Scope:
        """The ``websocket`` scope, with the subprotocols the client offered."""
        scope = ASGIMount.scope(cast(ASGIMount, self), request)
        offered = request.headers.get("sec-websocket-protocol", "")
        scope.pop("method", None)
        scope["type"] = "websocket"
        scope["asgi"] = {"version": "3.0", "spec_version": "2.4"}
        scope["scheme"] = "wss" if request.scheme == "https" else "ws"
        scope["subprotocols"] = [p.strip() for p in offered.split(",") if p.strip()]
        scope["extensions"] = {"websocket.http.response": {}}
        return scope

    async def __call__(
        self,
        request: Request,
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        accepted = False
        answered = False

        async def app_send(message: Message) -> None:
            nonlocal accepted, answered
            kind = message.get("type")
            if not accepted and not answered:
                if kind == "websocket.close":  # a close before the accept: HTTP 403
                    answered = True
                    await send(
                        {"type": "websocket.http.response.start", "status": 403, "headers": []}
                    )
                    await send({"type": "websocket.http.response.body", "body": b""})
                    return
                if kind == "websocket.accept":
                    accepted = True
                elif kind == "websocket.http.response.start":
                    answered = True
            await send(dict(message))

        try:
            await self.app(self.scope(request), cast(Receive, receive), app_send)
        except Exception as exc:  # logged once here; the client gets a 500 or a 1011
            _log.error("ASGI application failed on a WebSocket", exc_info=exc)
            with contextlib.suppress(OSError):
                if not accepted and not answered:
                    await send(
                        {"type": "websocket.http.response.start", "status": 500, "headers": []}
                    )
                    await send({"type": "websocket.http.response.body", "body": b""})
                elif accepted:
                    await send({"type": "websocket.close", "code": 1011, "reason": ""})
