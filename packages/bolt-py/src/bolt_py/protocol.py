"""One HTTP/1.1 connection: bytes in through httptools, one route call, bytes out.

This is the hot path of the engine, so it is written for the per-request cost: no ASGI
scope or message dicts, no per-request logging, one :class:`~bolt_py.request.Request` object,
one ``transport.write`` per response, and the parser's callbacks doing the least they can
(a few length checks on header names instead of lower-casing every one).

Ordering: requests are answered strictly in the order received. A request that arrives
while an earlier one is still being answered (an ``async`` route running as a task) waits in
a per-connection queue; sync routes are answered inline, straight from the parser callback.
Errors the engine detects itself (bad framing, body too large, ...) go through the same
queue, so pipelined requests before them are still answered first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from collections.abc import Coroutine
from typing import Any, Final, TypeAlias, cast

from bolt_api.engine import FileBody, StreamBody
from httptools import HttpParserError, HttpParserUpgrade, HttpRequestParser, parse_url

from .bodies import send_file, send_stream
from .request import Request, decode_path
from .response import CONTINUE, STATUS_LINES, header_block, status_line
from .state import ServerState

__all__ = ["HttpProtocol"]

logger = logging.getLogger("bolt_py")

#: Queue length (pipelined requests waiting) above which reading is paused ...
HIGH_WATER: Final = 32
#: ... and at or below which it resumes.
LOW_WATER: Final = 8
#: Longest accepted request target, in bytes (414 beyond).
MAX_URL_SIZE: Final = 8192
#: Most header lines, and most header bytes, accepted in one request (431 beyond).
MAX_HEADERS: Final = 100
MAX_HEADER_BYTES: Final = 64 * 1024

_METHODS: dict[bytes, str] = {
    m.encode(): m
    for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY", "TRACE",
              "CONNECT")
}

# Header flags noted while parsing, so completion only looks at what was present.
_EXPECT: Final = 1
_CONNECTION: Final = 2
_UPGRADE: Final = 4

_CLOSE: Final = b"connection: close\r\n"
_KEEP_ALIVE: Final = b"connection: keep-alive\r\n"

#: A queued item: ``(request, raw_path, keep_alive, keep_alive_header)`` for a request,
#: ``(None, status, False, False)`` for an engine error that ends the connection.
_Item: TypeAlias = tuple[Request | None, Any, bool, bool]


class _Abort(Exception):
    """Raised from a parser callback to stop parsing; ``_error`` says which status to send."""


class HttpProtocol(asyncio.Protocol):
    """An ``asyncio`` protocol serving one connection of a Bolt app."""

    __slots__ = (
        "_allowed",
        "_body",
        "_body_size",
        "_body_task",
        "_busy",
        "_client",
        "_closing",
        "_continue_pending",
        "_error",
        "_errors",
        "_fallback",
        "_flags",
        "_header_bytes",
        "_headers",
        "_in_message",
        "_keep_alive",
        "_last_active",
        "_loop",
        "_match",
        "_max_body",
        "_parser",
        "_queue",
        "_reading_paused",
        "_served",
        "_state",
        "_task",
        "_timer",
        "_transport",
        "_url",
        "_writable_waiter",
        "_writing_paused",
    )

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._loop = state.loop
        self._match = state.matcher.match
        self._allowed = state.matcher.allowed
        self._fallback = state.fallback
        self._errors = state.errors
        self._max_body = state.max_body_size
        self._keep_alive = state.keep_alive
        self._parser = HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._client: tuple[str, int] | None = None
        self._queue: deque[_Item] = deque()
        self._busy = False
        self._closing = False
        self._continue_pending = False
        self._in_message = False
        self._reading_paused = False
        self._writing_paused = False
        self._served = False
        self._task: asyncio.Task[None] | None = None
        self._body_task: asyncio.Task[None] | None = None
        self._writable_waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._last_active = 0.0
        self._error = 0
        self._flags = 0
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._header_bytes = 0
        self._body: list[bytes] = []
        self._body_size = 0

    # -- connection events -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, hence the cast.
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        peer = transport.get_extra_info("peername")
        if isinstance(peer, (tuple, list)) and len(peer) >= 2:
            self._client = (str(peer[0]), int(peer[1]))
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Accepted in the instant the server began to stop: its one request is still answered
        # (with ``connection: close``, see on_message_complete) rather than dropped.
        self._state.connections.add(self)
        if self._keep_alive > 0:
            self._last_active = self._loop.time()
            self._timer = self._loop.call_later(self._keep_alive, self._on_timer)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._body_task is not None:  # the client left mid-stream: stop the generator
            self._body_task.cancel()
        self._wake_writer()
        self._closing = True
        self._queue.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._state.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        if self._timer is not None:
            self._last_active = self._loop.time()
        try:
            self._parser.feed_data(data)
        except HttpParserUpgrade:
            if not self._closing:
                self._fail(400)
        except HttpParserError:
            status = self._error or 400
            self._error = 0
            if not self._closing:
                self._fail(status)

    def eof_received(self) -> bool | None:
        # A half-closed client still gets the answers to what it sent; then we close.
        if not self._busy and not self._queue:
            self._close()
            return None
        self._closing = True
        return True

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._pause_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._wake_writer()
        if not self._closing and len(self._queue) <= LOW_WATER:
            self._resume_reading()

    # -- parser callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._in_message = True
        self._served = True
        self._url = b""
        self._headers = []
        self._header_bytes = 0
        self._body = []
        self._body_size = 0
        self._flags = 0

    def on_url(self, url: bytes) -> None:
        url = self._url + url
        if len(url) > MAX_URL_SIZE:
            self._error = 414
            raise _Abort
        self._url = url

    def on_header(self, name: bytes, value: bytes) -> None:
        headers = self._headers
        headers.append((name, value))
        size = len(name)
        self._header_bytes += size + len(value)
        if self._header_bytes > MAX_HEADER_BYTES or len(headers) > MAX_HEADERS:
            self._error = 431
            raise _Abort
        if size == 14 or size == 6 or size == 10 or size == 7:
            lname = name.lower()
            if lname == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    return  # llhttp rejects it itself
                if length > self._max_body:
                    self._error = 413
                    raise _Abort
            elif lname == b"expect":
                if value.strip().lower() == b"100-continue":
                    self._flags |= _EXPECT
            elif lname == b"connection":
                self._flags |= _CONNECTION
            elif lname == b"upgrade":
                self._flags |= _UPGRADE

    def on_headers_complete(self) -> None:
        if self._flags & _EXPECT:
            if self._busy or self._queue:
                self._continue_pending = True  # sent once the earlier responses are out
            elif self._transport is not None:
                self._transport.write(CONTINUE)

    def on_body(self, body: bytes) -> None:
        size = self._body_size + len(body)
        if size > self._max_body:
            self._error = 413
            raise _Abort
        self._body_size = size
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._in_message = False
        self._continue_pending = False
        if self._closing:
            return
        parser = self._parser
        keep_alive = (parser.should_keep_alive() and self._keep_alive > 0
                      and not self._state.stopping)
        keep_alive_header = False
        flags = self._flags
        if flags:
            if flags & _UPGRADE and parser.should_upgrade():
                self._fail(400)  # no protocol upgrades (WebSocket, h2c) yet
                return
            if flags & _CONNECTION and keep_alive and parser.get_http_version() == "1.0":
                keep_alive_header = True
        raw_method = parser.get_method()
        method = _METHODS.get(raw_method) or raw_method.decode("latin-1")
        url = self._url
        if url[:1] != b"/" and url != b"*":  # absolute-form target
            try:
                parsed = parse_url(url)
            except HttpParserError:
                self._fail(400)
                return
            url = (parsed.path or b"/") + (b"?" + parsed.query if parsed.query else b"")
        if b"#" in url:
            url = url[:url.index(b"#")]
        mark = url.find(b"?")
        if mark < 0:
            raw_path = url.decode("latin-1")
            query_string = ""
        else:
            raw_path = url[:mark].decode("latin-1")
            query_string = url[mark + 1:].decode("latin-1")
        chunks = self._body
        body = (chunks[0] if len(chunks) == 1 else b"".join(chunks)) if chunks else b""
        request = Request(method, decode_path(raw_path), query_string, None, body,
                          self._client, self._headers)
        if not keep_alive:
            self._closing = True  # this is the last request read on this connection
            self._pause_reading()
        if self._busy or self._queue:
            queue = self._queue
            queue.append((request, raw_path, keep_alive, keep_alive_header))
            if len(queue) > HIGH_WATER:
                self._pause_reading()
        else:
            self._dispatch(request, raw_path, keep_alive, keep_alive_header)

    # -- answering ---------------------------------------------------------------------

    def _dispatch(self, request: Request, raw_path: str, keep_alive: bool,
                  keep_alive_header: bool) -> None:
        """Route and call; answer now (sync) or start the task that will (async)."""
        method = request.method
        found = self._match(method, raw_path)
        result: Any
        if found is None:
            try:
                result = self._fallback(request, self._allowed(raw_path))
            except Exception:
                result = self._errors[500]
        else:
            (call, is_async), request.path_params = found
            try:
                result = call(request)
            except Exception:
                result = self._errors[500]
            else:
                if is_async:
                    self._busy = True
                    self._task = self._loop.create_task(
                        self._run(result, method == "HEAD", keep_alive, keep_alive_header))
                    return
        self._respond(result, method == "HEAD", keep_alive, keep_alive_header)

    async def _run(self, coro: Coroutine[Any, Any, Any], head: bool, keep_alive: bool,
                   keep_alive_header: bool) -> None:
        try:
            result = await coro
        except Exception:
            result = self._errors[500]
        self._task = None
        self._busy = False
        if self._transport is None:
            return
        if self._timer is not None:
            self._last_active = self._loop.time()
        self._respond(result, head, keep_alive, keep_alive_header)
        self._drain()

    def _drain(self) -> None:
        """Answer queued requests until one runs as a task or the queue is empty."""
        queue = self._queue
        while queue and not self._busy and self._transport is not None:
            request, raw_path, keep_alive, keep_alive_header = queue.popleft()
            if request is None:
                self._respond(self._errors[raw_path], False, False, False)
            else:
                self._dispatch(request, raw_path, keep_alive, keep_alive_header)
        if self._transport is None:
            return
        if self._reading_paused and not self._closing and not self._writing_paused \
                and len(queue) <= LOW_WATER:
            self._resume_reading()
        if self._continue_pending and not queue and not self._busy:
            self._continue_pending = False
            self._transport.write(CONTINUE)

    def _respond(self, result: Any, head: bool, keep_alive: bool,
                 keep_alive_header: bool) -> None:
        """Write one response (a single ``transport.write``); close if it is the last."""
        transport = self._transport
        if transport is None:
            return
        try:
            status, headers, body = result
            block = header_block(headers)
            if block is None or type(status) is not int or not 100 <= status <= 599:
                raise ValueError
            if not isinstance(body, bytes):
                if body.__class__ is StreamBody or body.__class__ is FileBody:
                    self._start_body(status, block, body, head, keep_alive, keep_alive_header)
                    return
                raise ValueError
        except (TypeError, ValueError):
            status, headers, body = self._errors[500]
            block = header_block(headers) or b""
        if self._closing and not self._queue:
            keep_alive = False
        if status < 200 or status == 204 or status == 304:
            length = b""
            body = b""
        else:
            length = b"content-length: %d\r\n" % len(body)
            if head:
                body = b""
        transport.write(b"".join((
            STATUS_LINES.get(status) or status_line(status),
            block,
            length,
            self._state.date.line,
            _CLOSE if not keep_alive else _KEEP_ALIVE if keep_alive_header else b"",
            b"\r\n",
            body,
        )))
        if not keep_alive:
            self._close()

    def _start_body(self, status: int, block: bytes, body: StreamBody | FileBody, head: bool,
                    keep_alive: bool, keep_alive_header: bool) -> None:
        """Write the head of a streamed or file response and start sending its body."""
        transport = self._transport
        assert transport is not None
        if self._closing and not self._queue:
            keep_alive = False
        if isinstance(body, FileBody):
            framing = b"content-length: %d\r\n" % body.length
        else:
            framing = b"transfer-encoding: chunked\r\n"
        transport.write(b"".join((
            STATUS_LINES.get(status) or status_line(status), block, framing,
            self._state.date.line,
            _CLOSE if not keep_alive else _KEEP_ALIVE if keep_alive_header else b"",
            b"\r\n")))
        if head:
            if isinstance(body, StreamBody):
                self._close_unsent(body)
            if not keep_alive:
                self._close()
            return
        self._busy = True
        self._body_task = self._loop.create_task(self._send_body(body, keep_alive))

    async def _send_body(self, body: StreamBody | FileBody, keep_alive: bool) -> None:
        try:
            if isinstance(body, FileBody):
                await send_file(body, self._write, self._wait_writable)
            else:
                await send_stream(body, self._write, self._wait_writable)
        except asyncio.CancelledError:
            keep_alive = False
        except Exception:
            # The head is gone already: the only honest signal left is closing early.
            logger.exception("error while sending a response body; closing the connection")
            keep_alive = False
        self._body_task = None
        self._busy = False
        if self._transport is None:
            return
        if not keep_alive:
            self._close()
            return
        if self._timer is not None:
            self._last_active = self._loop.time()
        self._drain()

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if transport is None:
            raise ConnectionResetError("the client closed the connection")
        transport.write(data)

    async def _wait_writable(self) -> None:
        if self._transport is None:
            raise ConnectionResetError("the client closed the connection")
        if self._writing_paused:
            waiter = self._writable_waiter = self._loop.create_future()
            await waiter
            if self._transport is None:
                raise ConnectionResetError("the client closed the connection")

    def _wake_writer(self) -> None:
        waiter = self._writable_waiter
        if waiter is not None:
            self._writable_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _close_unsent(self, body: StreamBody) -> None:
        """A HEAD response never pulls its stream: close the iterator right away."""
        chunks: Any = body.chunks
        if body.is_async:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                self._loop.create_task(aclose())
        else:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def _fail(self, status: int) -> None:
        """Answer an engine-detected error after everything before it, then close."""
        self._closing = True
        self._pause_reading()
        if self._busy or self._queue:
            self._queue.append((None, status, False, False))
        else:
            self._respond(self._errors[status], False, False, False)

    # -- connection management ---------------------------------------------------------

    def _close(self) -> None:
        self._closing = True
        transport = self._transport
        if transport is not None:
            self._transport = None
            transport.close()

    def _pause_reading(self) -> None:
        if not self._reading_paused and self._transport is not None:
            self._reading_paused = True
            with contextlib.suppress(RuntimeError, AttributeError):
                self._transport.pause_reading()

    def _resume_reading(self) -> None:
        if self._reading_paused and self._transport is not None:
            self._reading_paused = False
            with contextlib.suppress(RuntimeError, AttributeError):
                self._transport.resume_reading()

    def _on_timer(self) -> None:
        """The keep-alive timer: close a connection idle for ``keep_alive`` seconds."""
        self._timer = None
        if self._transport is None:
            return
        delay = self._keep_alive
        if not self._busy and not self._queue:
            idle = self._loop.time() - self._last_active
            if idle >= delay:
                if self._in_message:  # a request started, then nothing more arrived
                    self._fail(408)
                else:
                    self._close()
                return
            delay -= idle
        self._timer = self._loop.call_later(delay, self._on_timer)

    def shutdown(self) -> None:
        """Graceful stop: finish the requests in hand (``connection: close``), then close.

        An idle keep-alive connection closes at once. One that has not had its first request
        yet (accepted just before the stop), or is in the middle of reading one, still gets
        that request answered: its client has sent it, or is sending it, and closing would
        lose it. The keep-alive timer and the graceful timeout bound the wait.
        """
        if self._busy or self._queue:
            self._closing = True
            self._pause_reading()
        elif self._served and not self._in_message:
            self._close()
        # else: on_message_complete sees the server stopping and answers with close

    def in_flight(self) -> int:
        """Requests received and not yet answered on this connection."""
        return int(self._busy) + sum(1 for item in self._queue if item[0] is not None)

    def abort(self) -> None:
        """Hard stop: drop the connection and cancel a running route task."""
        task = self._task
        if task is not None:
            task.cancel()
        transport = self._transport
        self._closing = True
        self._transport = None
        if transport is not None:
            transport.abort()
