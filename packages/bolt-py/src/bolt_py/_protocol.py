"""One HTTP/1.1 connection: bytes in through httptools, one route call, bytes out.

This is the hot path of the engine, so it is written for the per-request cost: no ASGI
scope or message dicts, no per-request logging, one :class:`~bolt_py._request.Request` object,
one ``transport.write`` per response, and the parser's callbacks doing the least they can
(a few length checks on header names instead of lower-casing every one).

Ordering: requests are answered strictly in the order received. A request that arrives
while an earlier one is still being answered (an ``async`` route running as a task) waits in
a per-connection queue; sync routes are answered inline, straight from the parser callback.
Errors the engine detects itself (bad framing, body too large, ...) go through the same
queue, so pipelined requests before them are still answered first.

Why one module of about 800 lines: it is one class, the connection's state machine, whose
parser callbacks, queue, writer and timers all read and change the same per-connection
slots; split into mixins or helper modules, every step of the hot path would cross a module
boundary for no gain in clarity. What does not need that state lives beside it: the request
object (``_request``), response heads (``_response``), bodies (``_bodies``), the access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import time
from collections import deque
from collections.abc import Coroutine
from typing import Any, Final, TypeAlias, cast

from bolt_api.engine import ENGINE_LOGGER, FileBody, StreamBody
from httptools import (
    HttpParserError,
    HttpParserInvalidMethodError,
    HttpParserUpgrade,
    HttpRequestParser,
    parse_url,
)

from ._access_log import AccessLogger
from ._bodies import send_file, send_stream
from ._request import Request, decode_path
from ._response import CONTINUE, STATUS_LINES, STATUS_LINES_10, header_block, status_line
from ._state import ServerState
from ._websocket import WebSocket, lists_websocket

__all__ = ["HttpProtocol"]

logger = logging.getLogger(ENGINE_LOGGER)

#: Queue length (pipelined requests waiting) above which reading is paused ...
HIGH_WATER: Final = 32
#: ... and at or below which it resumes.
LOW_WATER: Final = 8
# The request limits (target size, header size and count, header timeout) come from
# ``ServerConfig``; see ``ENGINE_CONTRACT.md``, "Limits and hardening". llhttp does the
# syntax; the checks llhttp leaves to us are in the callbacks below, in the same order as in
# the Rust engine (packages/bolt-rust/src/head_policy.rs), so that both answer alike.

_METHODS: dict[bytes, str] = {
    m.encode(): m
    for m in (
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
        "QUERY",
        "TRACE",
        "CONNECT",
    )
}

# Header flags noted while parsing, so completion only looks at what was present.
_EXPECT: Final = 1
_CONNECTION: Final = 2
_UPGRADE: Final = 4
_HOST: Final = 8
_HOST_TWICE: Final = 16
_LENGTH: Final = 32
_CONN_UPGRADE: Final = 64
_HOST_BAD: Final = 128
#: A WebSocket request (ENGINE_CONTRACT.md §8): an HTTP/1.1 GET whose Upgrade lists websocket.
_WEBSOCKET: Final = 256
#: ``_upgrade`` after a WebSocket request no WebSocket route matched: it was answered as an
#: ordinary request, so llhttp's upgrade pause is resumed and the bytes after it parsed.
_IGNORED: Final = object()

#: RFC 9112 §3.2: ``Host = uri-host [ ":" port ]`` (RFC 3986: an IP literal in brackets, or a
#: reg-name — which covers IPv4 — of unreserved, pct-encoded and sub-delims characters; a
#: port of digits), possibly empty. No userinfo, no path, no space. The Rust engine's
#: ``head_policy::valid_host`` is the same rule.
_HOST_SYNTAX: Final = re.compile(
    rb"(?:\[[A-Za-z0-9:.%_~-]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]*)(?::[0-9]*)?"
)

#: Trailer fields a request must not carry (RFC 9110 §6.5.1).
_FORBIDDEN_TRAILERS: Final = frozenset({b"content-length", b"transfer-encoding", b"host"})

_CLOSE: Final = b"connection: close\r\n"
_KEEP_ALIVE: Final = b"connection: keep-alive\r\n"

# A response's ``mode`` (bits): an HTTP/1.0 keep-alive to confirm with ``connection:
# keep-alive``; an HTTP/1.0 request, answered in its version and without the chunked coding
# (RFC 9112 §6.1: an HTTP/1.0 recipient cannot decode it), as the Rust engine's hyper does.
_KA_HEADER: Final = 1
_HTTP10: Final = 2


def _connection(keep_alive: bool, mode: int) -> bytes:
    """The ``connection`` line of a response, as hyper writes it (the Rust engine): ``close``
    when the connection ends after it — but not to an HTTP/1.0 client that did not ask for
    keep-alive, whose connection ends anyway —, ``keep-alive`` to an HTTP/1.0 client that
    asked for it. Written after the route's headers, before the framing and ``date``."""
    if keep_alive:
        return _KEEP_ALIVE if mode & _KA_HEADER else b""
    return b"" if mode & _HTTP10 and not mode & _KA_HEADER else _CLOSE


#: A queued item: ``(request, raw_path, keep_alive, mode)`` for a request,
#: ``(None, status, False, 0)`` for an engine error that ends the connection.
_Item: TypeAlias = tuple[Request | None, Any, bool, int]


class _Abort(Exception):
    """Raised from a parser callback to stop parsing; ``_error`` says which status to send."""


def transfer_coding_error(value: bytes) -> int:
    """The status for a request's ``Transfer-Encoding`` (all its fields joined by ``,``).

    ``chunked`` must be the last coding and appear once (else 400); any other coding is not
    implemented (501). Empty list elements are skipped, but the list must end in ``chunked``.
    0 when the value is fine.
    """
    items = [item.strip(b" \t").lower() for item in value.split(b",")]
    if items[-1] != b"chunked":
        return 400
    before = [item for item in items[:-1] if item]
    if b"chunked" in before:
        return 400
    return 501 if before else 0


class HttpProtocol(asyncio.Protocol):
    """An ``asyncio`` protocol serving one connection of a Bolt app."""

    __slots__ = (
        "_allowed",
        "_body",
        "_body_base",
        "_body_clock",
        "_body_last",
        "_body_since",
        "_body_size",
        "_body_task",
        "_body_timer",
        "_busy",
        "_client",
        "_closing",
        "_continue_pending",
        "_current",
        "_declared",
        "_error",
        "_errors",
        "_fallback",
        "_flags",
        "_head_bytes",
        "_head_limit",
        "_head_started",
        "_head_timeout",
        "_head_timer",
        "_header_bytes",
        "_header_count",
        "_headers",
        "_headers_done",
        "_in_message",
        "_keep_alive",
        "_last_active",
        "_loop",
        "_match",
        "_max_body",
        "_max_header_count",
        "_max_header_size",
        "_max_uri",
        "_parser",
        "_queue",
        "_reading_paused",
        "_served",
        "_state",
        "_task",
        "_te",
        "_timer",
        "_transport",
        "_upgrade",
        "_upgrade_value",
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
        self._head_timeout = state.header_timeout
        self._max_uri = state.max_uri_size
        self._max_header_size = state.max_header_size
        self._max_header_count = state.max_header_count
        # an incomplete head may take this much (as bolt-rust's `HeadLimits::partial_head`)
        self._head_limit = (
            state.max_uri_size + state.max_header_size + 8 * state.max_header_count + 1024
        )
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
        #: The request being answered, for the access log (only set when it is on).
        self._current: Request | None = None
        self._writable_waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        #: The header timeout (``header_timeout``): armed when a head starts and none is
        #: armed; it re-checks when it fires instead of being cancelled by every complete head
        #: (a timer per request would cost more than the rest of the head's parsing).
        self._head_timer: asyncio.TimerHandle | None = None
        #: When the head being read began (the first one's: when the connection was made).
        self._head_started = 0.0
        self._last_active = 0.0
        self._error = 0
        self._flags = 0
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._header_bytes = 0
        self._header_count = 0
        self._headers_done = False
        self._head_bytes = 0
        self._te: bytes | None = None
        self._declared = 0
        self._body: list[bytes] = []
        self._body_size = 0
        #: The body clock (``body_timeout``, ``body_min_rate``), decided once: whether any of
        #: it is on. While it runs, ``_body_timer`` is armed; it re-checks when it fires
        #: (a timer per body chunk would cost more than the chunk's parsing).
        self._body_clock = state.body_timeout > 0 or state.body_min_rate > 0
        self._body_timer: asyncio.TimerHandle | None = None
        #: When the clock started, the body bytes counted then, and the last byte's time.
        self._body_since = 0.0
        self._body_base = 0
        self._body_last = 0.0
        #: The ``Upgrade`` fields of the head being read (set only when it has one).
        self._upgrade_value = b""
        #: A WebSocket request in hand: ``[request, call, early bytes]`` until it starts,
        #: then its :class:`~bolt_py._websocket.WebSocket`; or ``_IGNORED``; else ``None``.
        self._upgrade: Any = None

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
        # The first request's head must arrive within ``header_timeout`` of the connection;
        # the keep-alive timer only starts after a response.
        if self._head_timeout > 0:
            self._head_started = self._loop.time()
            self._head_timer = self._loop.call_later(self._head_timeout, self._on_head_timeout)

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
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._stop_body_clock()
        self._state.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        if self._timer is not None:
            self._last_active = self._loop.time()
        try:
            self._parser.feed_data(data)
        except HttpParserUpgrade as exc:
            self._upgraded(data[exc.args[0] :] if exc.args else b"")
        except HttpParserInvalidMethodError:
            if not self._closing:
                self._fail(400, head=False)  # llhttp left the last request's method in place
        except HttpParserError:
            status = self._error or 400
            self._error = 0
            if not self._closing:
                self._fail(status)
        else:
            if self._in_message and not self._headers_done:
                # a head still incomplete: bound what it may take (llhttp buffers nothing,
                # but httptools keeps a header value until it is complete)
                self._head_bytes += len(data)
                if self._head_bytes > self._head_limit and not self._closing:
                    self._fail(431)
            elif (
                self._in_message
                and self._body_timer is None
                and self._body_clock
                and not self._continue_pending
                and not self._closing
                and not self._reading_paused
            ):
                # a body still to come (one that came with its head costs no timer)
                self._start_body_clock()

    def eof_received(self) -> bool | None:
        if self._in_message and self._headers_done and not self._closing:
            # the body was cut short: a bad request (a head cut short is just dropped)
            self._in_message = False
            self._fail(400)
            return True
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
        self._url = b""
        self._headers = []
        self._header_bytes = 0
        self._header_count = 0
        self._headers_done = False
        self._head_bytes = 0
        self._te = None
        self._declared = 0
        self._body = []
        self._body_size = 0
        self._flags = 0
        if self._head_timeout > 0:
            if self._served:  # the first head's clock started with the connection
                self._head_started = self._loop.time()
            if self._head_timer is None:
                self._head_timer = self._loop.call_later(self._head_timeout, self._on_head_timeout)
        self._served = True

    def on_url(self, url: bytes) -> None:
        url = self._url + url
        if len(url) > self._max_uri:
            self._error = 414
            raise _Abort
        self._url = url

    def on_header(self, name: bytes, value: bytes) -> None:
        if value and (value[-1] == 32 or value[-1] == 9):
            value = value.rstrip(b" \t")  # llhttp keeps trailing whitespace; it is not value
        size = len(name)
        self._header_bytes += size + len(value)
        self._header_count += 1
        if self._headers_done:  # a trailer field: checked, then dropped
            if (
                self._header_bytes > self._max_header_size
                or self._header_count > self._max_header_count
                or name.lower() in _FORBIDDEN_TRAILERS
            ):
                self._error = 400
                raise _Abort
            return
        if (
            self._header_bytes > self._max_header_size
            or self._header_count > self._max_header_count
        ):
            self._error = 431
            raise _Abort
        if b"_" in name:
            return  # dropped: no ``x_forwarded_for`` may pass for ``x-forwarded-for``
        self._headers.append((name, value))
        if size == 14 or size == 4 or size == 17 or size == 6 or size == 10 or size == 7:
            lname = name.lower()
            if lname == b"content-length":
                self._flags |= _LENGTH
                with contextlib.suppress(ValueError):  # else llhttp rejects it itself
                    self._declared = int(value)
            elif lname == b"host":
                self._flags |= _HOST_TWICE if self._flags & _HOST else _HOST
                if _HOST_SYNTAX.fullmatch(value.strip(b" \t")) is None:
                    self._flags |= _HOST_BAD
            elif lname == b"transfer-encoding":
                self._te = value if self._te is None else self._te + b"," + value
            elif lname == b"expect":
                if value.strip().lower() == b"100-continue":
                    self._flags |= _EXPECT
            elif lname == b"connection":
                self._flags |= _CONNECTION
                if b"upgrade" in value.lower() and any(
                    token.strip(b" \t") == b"upgrade" for token in value.lower().split(b",")
                ):
                    self._flags |= _CONN_UPGRADE
            elif lname == b"upgrade":
                self._upgrade_value = (
                    self._upgrade_value + b"," + value if self._flags & _UPGRADE else value
                )
                self._flags |= _UPGRADE

    def on_headers_complete(self) -> None:
        self._headers_done = True
        status = self._head_error()
        if status:
            self._error = status
            raise _Abort
        # the trailer section of a chunked body gets an allowance of its own
        self._header_bytes = self._header_count = 0
        # RFC 9110 §10.1.1: an HTTP/1.0 request's Expect is ignored (a 1.0 client may not
        # understand an interim response); the Rust engine's parser does the same.
        if self._flags & _EXPECT and self._parser.get_http_version() == "1.1":
            if self._busy or self._queue:
                self._continue_pending = True  # sent once the earlier responses are out
            elif self._transport is not None:
                self._transport.write(CONTINUE)

    def _head_error(self) -> int:
        """What is wrong with a head llhttp parsed (0: nothing), checked in the Rust engine's
        order: version, Host, target for the method, upgrade, framing, declared body size."""
        parser = self._parser
        flags = self._flags
        version = parser.get_http_version()
        if version != "1.1" and version != "1.0":
            return 400
        if flags & (_HOST_TWICE | _HOST_BAD) or (version == "1.1" and not flags & _HOST):
            return 400
        method = parser.get_method()
        if method == b"CONNECT":
            return 501  # no tunnels
        url = self._url
        if url[:1] != b"/" and (method != b"OPTIONS" if url == b"*" else b"://" not in url):
            return 400  # asterisk-form is for OPTIONS only; authority-form for CONNECT only
        if flags & _UPGRADE:
            if method == b"GET" and version == "1.1" and lists_websocket(self._upgrade_value):
                self._flags = flags | _WEBSOCKET
                if self._te is not None or self._declared > 0:
                    return 400  # a handshake has no body
            elif flags & _CONN_UPGRADE:
                return 400  # no other protocol upgrades (h2c, ...)
        if self._te is not None:
            if version == "1.0" or flags & _LENGTH:
                return 400
            return transfer_coding_error(self._te)
        if self._declared > self._max_body:
            return 413
        return 0

    def on_body(self, body: bytes) -> None:
        size = self._body_size + len(body)
        if size > self._max_body:
            self._error = 413
            raise _Abort
        self._body_size = size
        self._body.append(body)
        if self._body_timer is not None:
            self._body_last = self._loop.time()

    def on_message_complete(self) -> None:
        self._in_message = False
        self._continue_pending = False
        if self._body_timer is not None:
            self._stop_body_clock()
        if self._closing:
            return
        parser = self._parser
        keep_alive = (
            parser.should_keep_alive() and self._keep_alive > 0 and not self._state.stopping
        )
        mode = 0 if parser.get_http_version() == "1.1" else _HTTP10
        flags = self._flags
        if flags:
            if flags & _UPGRADE and not flags & _WEBSOCKET and parser.should_upgrade():
                self._fail(400)  # no other protocol upgrades (h2c, ...)
                return
            if flags & _CONNECTION and keep_alive and mode:
                mode |= _KA_HEADER
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
            url = url[: url.index(b"#")]
        mark = url.find(b"?")
        if mark < 0:
            raw_path = url.decode("latin-1")
            query_string = ""
        else:
            raw_path = url[:mark].decode("latin-1")
            query_string = url[mark + 1 :].decode("latin-1")
        chunks = self._body
        body = (chunks[0] if len(chunks) == 1 else b"".join(chunks)) if chunks else b""
        request = Request(
            method,
            decode_path(raw_path),
            query_string,
            None,
            body,
            self._client,
            self._headers,
            self._state.proxies,
        )
        if self._state.access_log is not None:
            request.log_context = (url, parser.get_http_version(), time.perf_counter())
        if flags & _WEBSOCKET and self._websocket_request(request, raw_path):
            return
        if not keep_alive:
            self._closing = True  # this is the last request read on this connection
            self._pause_reading()
        if self._busy or self._queue:
            queue = self._queue
            queue.append((request, raw_path, keep_alive, mode))
            if len(queue) > HIGH_WATER:
                self._pause_reading()
        else:
            self._dispatch(request, raw_path, keep_alive, mode)

    # -- WebSocket requests ------------------------------------------------------------

    def _websocket_request(self, request: Request, raw_path: str) -> bool:
        """A WebSocket request read: start it (in its turn) if a WebSocket route matches and
        say so; else it is an ordinary request (§8), its ``Upgrade`` ignored."""
        matcher = self._state.ws_matcher
        found = matcher.match("GET", raw_path) if matcher is not None else None
        if found is None:
            if self._parser.should_upgrade():
                self._upgrade = _IGNORED
            return False
        (call, _), request.path_params = found
        # nothing after the handshake is HTTP: stop reading until the WebSocket takes over
        self._closing = True
        self._pause_reading()
        self._upgrade = [request, call, b""]
        if self._busy or self._queue:
            self._queue.append((None, self._start_websocket, False, 0))
        else:
            self._start_websocket()
        return True

    def _start_websocket(self) -> None:
        """Hand the connection to a :class:`~bolt_py._websocket.WebSocket`, which calls the
        route; ``render_error(503)`` instead beyond ``ws_max_connections`` or while stopping."""
        request, call, early = self._upgrade
        state = self._state
        transport = self._transport
        if transport is None:
            return
        if state.ws_open >= state.ws_max_connections or state.stopping:
            self._upgrade = None
            if request.log_context is not None:
                self._current = request
            self._respond(self._errors[503], False, False, 0)
            return
        state.ws_open += 1
        # the header and keep-alive timers end with HTTP on this connection
        for timer in (self._timer, self._head_timer):
            if timer is not None:
                timer.cancel()
        self._timer = self._head_timer = None
        state.connections.discard(self)
        self._transport = None
        self._queue.clear()
        session = WebSocket(state, transport, request, call, early, self._writing_paused)
        self._upgrade = session
        session.start()

    def _upgraded(self, rest: bytes) -> None:
        """llhttp paused after a head asking for an upgrade; ``rest`` is what followed it."""
        upgrade = self._upgrade
        if upgrade is _IGNORED:
            self._upgrade = None
            if rest:
                self.data_received(rest)  # the parser was resumed: go on with HTTP
        elif isinstance(upgrade, list):
            upgrade[2] += rest  # the client's first frames, for the WebSocket to come
        elif isinstance(upgrade, WebSocket):
            upgrade.add_early(rest)
        elif not self._closing:
            self._fail(400)

    # -- answering ---------------------------------------------------------------------

    def _dispatch(self, request: Request, raw_path: str, keep_alive: bool, mode: int) -> None:
        """Route and call; answer now (sync) or start the task that will (async)."""
        method = request.method
        if request.log_context is not None:
            self._current = request
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
                        self._run(result, method == "HEAD", keep_alive, mode)
                    )
                    return
        self._respond(result, method == "HEAD", keep_alive, mode)

    async def _run(
        self, coro: Coroutine[Any, Any, Any], head: bool, keep_alive: bool, mode: int
    ) -> None:
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
        self._respond(result, head, keep_alive, mode)
        self._drain()

    def _drain(self) -> None:
        """Answer queued requests until one runs as a task or the queue is empty."""
        queue = self._queue
        while queue and not self._busy and self._transport is not None:
            request, raw_path, keep_alive, mode = queue.popleft()
            if request is None:
                self._current = None
                if type(raw_path) is int:
                    self._respond(self._errors[raw_path], bool(mode), False, 0)
                else:
                    raw_path()  # a WebSocket request's turn: _start_websocket
            else:
                self._dispatch(request, raw_path, keep_alive, mode)
        if self._transport is None:
            return
        if (
            self._reading_paused
            and not self._closing
            and not self._writing_paused
            and len(queue) <= LOW_WATER
        ):
            self._resume_reading()
        if self._continue_pending and not queue and not self._busy:
            self._continue_pending = False
            self._transport.write(CONTINUE)
            if self._body_clock and not self._reading_paused:
                self._start_body_clock()  # the body may come now

    def _respond(self, result: Any, head: bool, keep_alive: bool, mode: int) -> None:
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
                    self._start_body(status, block, body, head, keep_alive, mode)
                    return
                raise ValueError
        except (TypeError, ValueError):
            status, headers, body = self._errors[500]
            block = header_block(headers) or b""
        if self._closing and not self._queue:
            keep_alive = False
        access_log = self._state.access_log
        if status < 200 or status == 204 or status == 304:
            length = b""
            body = b""
            size: int | None = None
        else:
            size = len(body)
            length = b"content-length: %d\r\n" % size
            if head:
                body = b""
        if access_log is not None:
            self._log(access_log, status, size)
        transport.write(
            b"".join(
                (
                    (STATUS_LINES_10 if mode & _HTTP10 else STATUS_LINES).get(status)
                    or status_line(status, http10=bool(mode & _HTTP10)),
                    block,
                    _connection(keep_alive, mode),
                    length,
                    self._state.date.line,
                    b"\r\n",
                    body,
                )
            )
        )
        if not keep_alive:
            self._close()
        elif self._timer is None:
            self._touch()

    def _start_body(
        self,
        status: int,
        block: bytes,
        body: StreamBody | FileBody,
        head: bool,
        keep_alive: bool,
        mode: int,
    ) -> None:
        """Write the head of a streamed or file response and start sending its body."""
        transport = self._transport
        assert transport is not None
        if self._closing and not self._queue:
            keep_alive = False
        chunked = False
        if isinstance(body, FileBody):
            framing = b"content-length: %d\r\n" % body.length
        elif mode & _HTTP10:
            framing = b""  # the end of the body is the end of the connection
            keep_alive = False
        else:
            framing = b"transfer-encoding: chunked\r\n"
            chunked = True
        access_log = self._state.access_log
        if access_log is not None:
            self._log(
                access_log, status, body.length if isinstance(body, FileBody) and not head else None
            )
        transport.write(
            b"".join(
                (
                    (STATUS_LINES_10 if mode & _HTTP10 else STATUS_LINES).get(status)
                    or status_line(status, http10=bool(mode & _HTTP10)),
                    block,
                    _connection(keep_alive, mode),
                    framing,
                    self._state.date.line,
                    b"\r\n",
                )
            )
        )
        if head:
            if isinstance(body, StreamBody):
                self._close_unsent(body)
            if not keep_alive:
                self._close()
            return
        self._busy = True
        self._body_task = self._loop.create_task(self._send_body(body, keep_alive, chunked))

    async def _send_body(
        self, body: StreamBody | FileBody, keep_alive: bool, chunked: bool
    ) -> None:
        try:
            if isinstance(body, FileBody):
                await send_file(body, self._write, self._wait_writable)
            else:
                await send_stream(body, self._write, self._wait_writable, chunked=chunked)
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
        self._touch()
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

    def _log(self, access_log: AccessLogger, status: int, size: int | None) -> None:
        request, self._current = self._current, None
        if request is not None:
            access_log.log_request(request, status, size)

    def _fail(self, status: int, head: bool | None = None) -> None:
        """Answer an engine-detected error after everything before it, then close.

        The answer to a request whose method llhttp read as ``HEAD`` carries no body (RFC 9110
        §9.3.2), as for any other answer to a HEAD; ``head=False`` when the method was not
        read (llhttp then still reports the previous request's).
        """
        if head is None:
            head = self._in_message and self._parser.get_method() == b"HEAD"
        self._closing = True
        self._pause_reading()
        if self._busy or self._queue:
            self._queue.append((None, status, False, int(head)))
        else:
            self._respond(self._errors[status], head, False, 0)

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
            if self._body_timer is not None:
                self._stop_body_clock()  # the client cannot send what we do not read
            with contextlib.suppress(RuntimeError, AttributeError):
                self._transport.pause_reading()

    def _resume_reading(self) -> None:
        if self._reading_paused and self._transport is not None:
            self._reading_paused = False
            if (
                self._body_clock
                and self._in_message
                and self._headers_done
                and not self._continue_pending
                and not self._closing
            ):
                self._start_body_clock()  # a fresh start: the pause was ours
            with contextlib.suppress(RuntimeError, AttributeError):
                self._transport.resume_reading()

    def _touch(self) -> None:
        """A response went out: the connection is idle from now on (keep-alive timer)."""
        self._last_active = self._loop.time()
        if self._timer is None and self._keep_alive > 0:
            self._timer = self._loop.call_later(self._keep_alive, self._on_timer)

    def _on_timer(self) -> None:
        """The keep-alive timer: close a connection idle for ``keep_alive`` seconds.

        It runs once a first response went out. A request being read is not idleness: its
        head is bounded by the header timeout, its body by nothing (as in the Rust engine).
        """
        self._timer = None
        if self._transport is None:
            return
        delay = self._keep_alive
        if not self._busy and not self._queue and not self._in_message:
            idle = self._loop.time() - self._last_active
            if idle >= delay:
                self._close()
                return
            delay -= idle
        self._timer = self._loop.call_later(delay, self._on_timer)

    # -- the body clock (``body_timeout``, ``body_min_rate``) -------------------------------

    def _start_body_clock(self) -> None:
        """Time the body being read from now: it may not pause longer than ``body_timeout``,
        and must average ``body_min_rate`` bytes/s once ``body_rate_grace`` has passed."""
        if self._body_timer is not None:
            self._body_timer.cancel()
        now = self._loop.time()
        self._body_since = self._body_last = now
        self._body_base = self._body_size
        self._body_timer = self._loop.call_at(self._body_deadline(), self._on_body_timeout)

    def _stop_body_clock(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_deadline(self) -> float:
        """When the body being read is cut, given what has arrived since the clock started."""
        state = self._state
        deadline = float("inf")
        if state.body_timeout > 0:
            deadline = self._body_last + state.body_timeout
        if state.body_min_rate > 0:
            received = self._body_size - self._body_base
            deadline = min(
                deadline,
                self._body_since + state.body_rate_grace + received / state.body_min_rate,
            )
        return deadline

    def _on_body_timeout(self) -> None:
        """The body clock's timer: 408 and close when the body is late, else wait on."""
        self._body_timer = None
        if self._transport is None or self._closing or not self._in_message:
            return
        deadline = self._body_deadline()
        if self._loop.time() < deadline:
            self._body_timer = self._loop.call_at(deadline, self._on_body_timeout)
        else:
            self._fail(408)

    def _on_head_timeout(self) -> None:
        """``header_timeout`` ran out: 408 for a request head not received in full (after
        the answers to the requests before it); a connection that never sent a byte is
        closed without a word."""
        self._head_timer = None
        if self._transport is None or self._closing:
            return
        if self._in_message and not self._headers_done:
            left = self._head_started + self._head_timeout - self._loop.time()
            if left > 0:  # a later head, begun after this timer was armed
                self._head_timer = self._loop.call_later(left, self._on_head_timeout)
            else:
                self._fail(408)
        elif not self._served:
            self._close()

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
