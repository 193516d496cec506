"""One upgraded connection: a WebSocket route's ASGI ``receive``/``send`` over wsproto frames.

:class:`~bolt_py._protocol.HttpProtocol` reads the handshake request like any other and,
when it matches a WebSocket route (ENGINE_CONTRACT.md §8), hands the transport to a
:class:`WebSocket` (``transport.set_protocol``): from then on the HTTP parser, its timers
and its queue are out of the picture, and plain HTTP connections pay nothing for
WebSockets. wsproto's :class:`~wsproto.connection.Connection` does the framing and every
RFC 6455 check (masking, reserved bits, control frames, opcodes, fragments, close codes,
UTF-8, split sequences included); this module decides what the engine does around it:

* the handshake answer, written from the route's first ``send()`` — a ``101`` with the
  accept key, or the route's plain HTTP denial with ``connection: close``, or a ``500``
  when the route answers nothing;
* bounded buffering both ways: at most :data:`MAX_BUFFERED` complete messages wait for the
  route before reading stops, and ``send()`` waits while the transport's write buffer is
  above its high-water mark, so a slow handler or a client that does not read cannot grow
  the server's memory;
* the limits and timers from ``ServerConfig`` (message size: 1009, heartbeat pings, the
  client timeout: 1001), a close handshake bounded by :data:`CLOSE_TIMEOUT`, and the
  graceful stop (1001).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from bolt_api.engine import ResponseTuple, WebSocketMessage
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.extensions import Extension, PerMessageDeflate
from wsproto.handshake import server_extensions_handshake

from ._request import Request
from ._response import header_block, status_line

if TYPE_CHECKING:
    from ._state import ServerState

__all__ = [
    "CLOSE_TIMEOUT",
    "MAX_BUFFERED",
    "WebSocket",
    "accept_key",
    "lists_websocket",
]

#: Complete messages the route has not received yet, beyond which reading stops.
MAX_BUFFERED: Final = 4
#: Seconds to wait for the other side's close frame (or EOF) after ours.
CLOSE_TIMEOUT: Final = 3.0
#: The transport's write buffer: ``send()`` waits above ``WRITE_HIGH`` until ``WRITE_LOW``.
WRITE_HIGH: Final = 64 * 1024
WRITE_LOW: Final = 16 * 1024
#: With permessage-deflate, bytes fed to the decompressor at a time: one slice inflates to at
#: most ~1000 times its size before the message size limit is checked again.
_INFLATE_SLICE: Final = 4096
_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TOKEN: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE: Final = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
#: Response fields the engine writes itself on a 101; a route's own are dropped.
_OWNED: Final = frozenset(
    {
        b"connection",
        b"upgrade",
        b"content-length",
        b"transfer-encoding",
        b"sec-websocket-accept",
        b"sec-websocket-extensions",
        b"sec-websocket-protocol",
        b"date",
    }
)
#: Close codes a route may send (RFC 6455 §7.4: the registered ones and 3000-4999).
_SENDABLE_CODES: Final = frozenset((1000, 1001, 1002, 1003, *range(1007, 1015)))

# The phases of a connection.
_HANDSHAKE: Final = 0
_OPEN: Final = 1
_CLOSING: Final = 2  # a close frame was sent or received; waiting for the end
_DONE: Final = 3  # the transport is gone


def lists_websocket(value: bytes) -> bool:
    """Whether an ``Upgrade`` value (its fields joined by ``,``) lists the token
    ``websocket``, case-insensitively (``websocket/13`` is another protocol)."""
    return any(token.strip(b" \t").lower() == b"websocket" for token in value.split(b","))


def accept_key(key: bytes) -> bytes:
    """``Sec-WebSocket-Accept`` for a request's ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.strip(b" \t") + _GUID).digest())


def _field_lines(headers: Any) -> bytes:
    """A route's ``[(bytes, bytes), ...]`` as header lines; ``ValueError`` when one is not
    valid HTTP (a token name, a value without control characters but HTAB)."""
    lines = []
    for name, value in headers or ():
        name, value = bytes(name), bytes(value)
        if _TOKEN.fullmatch(name) is None or _BAD_VALUE.search(value) is not None:
            raise ValueError(f"invalid response header {name!r}: {value!r}")
        if name.lower() not in _OWNED:
            lines.append(b"%s: %s\r\n" % (name, value))
    return b"".join(lines)


def _negotiate_deflate(headers: list[tuple[bytes, bytes]]) -> tuple[Extension, bytes] | None:
    """RFC 7692: the first ``permessage-deflate`` offer the client made that wsproto accepts,
    as ``(extension, response value)``; ``None`` when there is none."""
    for name, value in headers:
        if len(name) != 24 or name.lower() != b"sec-websocket-extensions":
            continue
        for offer in value.decode("latin-1").split(","):
            if offer.split(";", 1)[0].strip() != "permessage-deflate":
                continue
            extension = PerMessageDeflate()
            try:
                answer = server_extensions_handshake([offer.strip()], [extension])
            except (ValueError, TypeError):  # malformed parameters: not this offer
                continue
            if answer is not None:
                return extension, answer
    return None


def _header(headers: list[tuple[bytes, bytes]], wanted: bytes) -> bytes:
    for name, value in headers:
        if len(name) == len(wanted) and name.lower() == wanted:
            return value
    return b""


class WebSocket(asyncio.Protocol):
    """One WebSocket connection: the route's task, its message buffers and the frames."""

    def __init__(
        self,
        state: ServerState,
        transport: asyncio.Transport,
        request: Request,
        call: Callable[..., Awaitable[None]],
        early: bytes,
        writing_paused: bool,
    ) -> None:
        self._state = state
        self._loop = state.loop
        self._transport: asyncio.Transport | None = transport
        self._request = request
        self._call = call
        #: Bytes that came with the handshake request (the client's first frames).
        self._early = early
        self._phase = _HANDSHAKE
        self._conn: Connection | None = None
        self._deflate = False
        self._connect_sent = False
        self._inbox: deque[WebSocketMessage] = deque()
        self._disconnect: WebSocketMessage | None = None
        self._receive_waiter: asyncio.Future[None] | None = None
        self._write_waiter: asyncio.Future[None] | None = None
        self._writing_paused = writing_paused
        self._reading_paused = True  # the HTTP protocol paused it; resumed on accept
        self._parts: list[Any] = []
        #: Bytes read and not yet fed to wsproto (from ``_unfed_at`` on).
        self._unfed = b""
        self._unfed_at = 0
        self._backlog = False
        self._pending_pong: bytes | None = None
        self._size = 0
        self._failed = False  # a protocol error: nothing more is parsed
        self._denial: tuple[int, bytes] | None = None
        self._denial_body: list[bytes] = []
        self._stop_on_accept = False
        self._last_seen = 0.0
        self._timers: list[asyncio.TimerHandle | None] = [None, None, None]
        self._task: asyncio.Task[None] | None = None
        self._counted = True

    # -- start and end ------------------------------------------------------------------

    def start(self) -> None:
        """Take the transport over and call the route (the caller counted this connection
        in ``state.ws_open``)."""
        transport = self._transport
        assert transport is not None
        transport.set_protocol(self)
        self._state.connections.add(self)
        self._task = self._loop.create_task(self._run())

    def add_early(self, data: bytes) -> None:
        """Bytes read with the handshake request, after its head: the first frames."""
        if data:
            if self._phase == _HANDSHAKE:
                self._early += data
            elif self._phase == _OPEN:
                self.data_received(data)

    async def _run(self) -> None:
        code = 1000
        try:
            await self._call(self._request, self._receive, self._send)
        except asyncio.CancelledError:
            raise
        except Exception:
            code = 1011
        finally:
            self._task = None
            self._finish(code)

    def _finish(self, code: int) -> None:
        """The route is done: answer a handshake it left unanswered, close an open socket."""
        if self._phase == _HANDSHAKE and self._transport is not None:
            if self._denial is not None and code == 1000:
                self._write_denial()
            else:
                self._write_response(self._state.errors[500])
        elif self._phase == _OPEN:
            self._close_local(code, "")
        if self._transport is None:
            self._state.connections.discard(self)

    # -- the route's receive and send ------------------------------------------------------

    async def _receive(self) -> WebSocketMessage:
        if not self._connect_sent:
            self._connect_sent = True
            return {"type": "websocket.connect"}
        inbox = self._inbox
        while not inbox:
            if self._disconnect is not None:
                return dict(self._disconnect)
            waiter = self._receive_waiter
            if waiter is None or waiter.done():
                waiter = self._receive_waiter = self._loop.create_future()
            await asyncio.shield(waiter)
        message = inbox.popleft()
        if self._backlog and len(inbox) < MAX_BUFFERED and self._conn is not None:
            self._backlog = False
            self._pump()  # what was read before reading stopped
        if (
            self._reading_paused
            and not self._backlog
            and self._phase == _OPEN
            and len(inbox) < MAX_BUFFERED
        ):
            self._resume_reading()
        return message

    async def _send(self, message: WebSocketMessage) -> None:
        kind = message.get("type")
        if self._phase == _HANDSHAKE:
            if self._transport is None:
                raise ConnectionResetError("the client closed the connection")
            if kind == "websocket.accept" and self._denial is None:
                self._accept(message)
                return
            if kind == "websocket.http.response.start" and self._denial is None:
                status = message.get("status")
                if type(status) is not int or not 200 <= status <= 599:
                    raise ValueError(f"invalid denial status {status!r}")
                self._denial = (status, _field_lines(message.get("headers")))
                return
            if kind == "websocket.http.response.body" and self._denial is not None:
                self._denial_body.append(bytes(message.get("body") or b""))
                if not message.get("more_body"):
                    self._write_denial()
                return
            raise RuntimeError(f"{kind!r} cannot be sent before the handshake is answered")
        if self._phase != _OPEN or self._conn is None:
            raise ConnectionResetError("the WebSocket is closed")
        if kind == "websocket.send":
            text = message.get("text")
            event: Message[Any]
            if text is not None:
                event = TextMessage(data=str(text))
            else:
                data = message.get("bytes")
                if data is None:
                    raise ValueError("websocket.send needs 'text' or 'bytes'")
                event = BytesMessage(data=bytes(data))
            self._write(self._conn.send(event))
            while self._writing_paused and self._transport is not None:
                waiter = self._write_waiter
                if waiter is None or waiter.done():
                    waiter = self._write_waiter = self._loop.create_future()
                await asyncio.shield(waiter)
            if self._transport is None:
                raise ConnectionResetError("the client closed the connection")
        elif kind == "websocket.close":
            code = message.get("code", 1000)
            code = 1000 if code is None else code
            if type(code) is not int or not (code in _SENDABLE_CODES or 3000 <= code <= 4999):
                raise ValueError(f"invalid close code {code!r}")
            self._close_local(code, str(message.get("reason") or ""))
        else:
            raise RuntimeError(f"{kind!r} cannot be sent on an open WebSocket")

    # -- the handshake answer ------------------------------------------------------------

    def _accept(self, message: WebSocketMessage) -> None:
        request = self._request
        raw = request.raw_headers
        lines = [
            status_line(101),
            b"upgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept: ",
            accept_key(_header(raw, b"sec-websocket-key")),
            b"\r\n",
        ]
        subprotocol = message.get("subprotocol")
        if subprotocol is not None:
            token = str(subprotocol).encode("latin-1")
            if _TOKEN.fullmatch(token) is None:
                raise ValueError(f"invalid subprotocol {subprotocol!r}")
            lines.append(b"sec-websocket-protocol: %s\r\n" % token)
        extensions: list[Extension] = []
        if self._state.ws_per_message_deflate:
            negotiated = _negotiate_deflate(raw)
            if negotiated is not None:
                extensions.append(negotiated[0])
                lines.append(b"sec-websocket-extensions: %s\r\n" % negotiated[1])
                self._deflate = True
        lines += [_field_lines(message.get("headers")), self._state.date.line, b"\r\n"]
        transport = self._transport
        assert transport is not None
        transport.set_write_buffer_limits(high=WRITE_HIGH, low=WRITE_LOW)
        self._log(101, None)
        transport.write(b"".join(lines))
        self._phase = _OPEN
        self._conn = Connection(ConnectionType.SERVER, extensions)
        self._last_seen = self._loop.time()
        state = self._state
        if state.ws_heartbeat_interval > 0:
            self._timers[0] = self._loop.call_later(state.ws_heartbeat_interval, self._beat)
        if state.ws_client_timeout > 0:
            self._timers[1] = self._loop.call_later(state.ws_client_timeout, self._check_silence)
        self._unfed, self._early = self._early, b""
        self._pump()
        if self._stop_on_accept:
            self._close_local(1001, "")
        elif self._phase == _OPEN and not self._backlog:
            self._resume_reading()

    def _write_denial(self) -> None:
        assert self._denial is not None
        status, block = self._denial
        body = b"".join(self._denial_body)
        self._write_head(status, block, body)

    def _write_response(self, response: ResponseTuple) -> None:
        status, headers, body = response
        block = header_block(headers) or b""
        self._write_head(status, block, body if isinstance(body, bytes) else b"")

    def _write_head(self, status: int, block: bytes, body: bytes) -> None:
        """A plain HTTP answer instead of the upgrade, then the end of the connection."""
        transport = self._transport
        self._phase = _DONE
        if transport is None:
            return
        bodiless = status < 200 or status == 204 or status == 304
        self._log(status, None if bodiless else len(body))
        transport.write(
            b"".join(
                (
                    status_line(status),
                    block,
                    b"connection: close\r\n",
                    b"" if bodiless else b"content-length: %d\r\n" % len(body),
                    self._state.date.line,
                    b"\r\n",
                    b"" if bodiless else body,
                )
            )
        )
        self._close_transport()

    def _log(self, status: int, size: int | None) -> None:
        access_log = self._state.access_log
        if access_log is not None:
            access_log.log_request(self._request, status, size)

    # -- frames in -------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._last_seen = self._loop.time()
        if self._phase == _HANDSHAKE:
            self._early += data  # reading is paused: at most one read's worth
            self._pause_reading()
            return
        if self._failed or self._conn is None:
            return
        if self._unfed_at < len(self._unfed):
            self._unfed = self._unfed[self._unfed_at :] + data
        else:
            self._unfed = data
        self._unfed_at = 0
        self._pump()

    def _pump(self) -> None:
        """Feed what was read to wsproto and act on its events, until it is all parsed or
        :data:`MAX_BUFFERED` messages wait for the route (then reading stays paused and
        ``receive()`` pumps again). With permessage-deflate the bytes go in slices, so that
        one read cannot inflate far beyond ``ws_max_message_size`` before it is checked."""
        conn = self._conn
        assert conn is not None
        while self._process(conn):
            data, at = self._unfed, self._unfed_at
            if at >= len(data) or self._failed or conn.state is ConnectionState.CLOSED:
                self._unfed, self._unfed_at = b"", 0
                return
            if self._deflate and len(data) - at > _INFLATE_SLICE:
                self._unfed_at = at + _INFLATE_SLICE
                conn.receive_data(data[at : at + _INFLATE_SLICE])
            else:
                self._unfed, self._unfed_at = b"", 0
                conn.receive_data(data[at:] if at else data)

    def _process(self, conn: Connection) -> bool:
        """wsproto's events for the bytes fed so far; ``False`` to stop pumping (the route
        has :data:`MAX_BUFFERED` messages waiting, or the connection is ending)."""
        for event in conn.events():
            if isinstance(event, Message):
                if self._phase != _OPEN:
                    continue  # after our close: dropped
                piece = event.data
                self._size += len(piece) if isinstance(piece, bytes) else len(piece.encode())
                if self._size > self._state.ws_max_message_size:
                    self._parts = []
                    self._close_local(1009, "message too big")
                    continue
                self._parts.append(piece)
                if event.message_finished:
                    self._deliver(event)
                    if len(self._inbox) >= MAX_BUFFERED:
                        self._backlog = True
                        self._pause_reading()
                        return False
            elif isinstance(event, Ping):
                if self._writing_paused:
                    # the client is not reading: answer only its last ping, once it reads
                    # again (RFC 6455 §5.5.3), so that pings cannot grow the write buffer
                    self._pending_pong = bytes(event.payload)
                elif conn.state is ConnectionState.OPEN:
                    self._write(conn.send(event.response()))
            elif isinstance(event, CloseConnection):
                self._on_close(conn, event)
                return False
        return self._phase != _DONE

    def _deliver(self, event: Message[Any]) -> None:
        parts, self._parts, self._size = self._parts, [], 0
        if isinstance(event, TextMessage):
            text = parts[0] if len(parts) == 1 else "".join(parts)
            self._inbox.append({"type": "websocket.receive", "text": text})
        else:
            data = parts[0] if len(parts) == 1 else b"".join(parts)
            self._inbox.append({"type": "websocket.receive", "bytes": bytes(data)})
        self._wake_receiver()

    def _on_close(self, conn: Connection, event: CloseConnection) -> None:
        state = conn.state
        if state is ConnectionState.REMOTE_CLOSING:
            # the client's close: answer it, tell the route, end the TCP connection
            self._write(conn.send(event.response()))
            self._set_disconnect(int(event.code), event.reason or "")
            self._phase = _CLOSING
            self._close_transport()
        elif state is ConnectionState.CLOSED:
            self._close_transport()  # the answer to our close
        else:
            # wsproto's ParseFailed (the state did not move): fail the connection
            self._failed = True
            if state is ConnectionState.OPEN:
                self._close_local(int(event.code), "")
            transport = self._transport
            if transport is not None and transport.can_write_eof():
                with contextlib.suppress(OSError, RuntimeError):
                    transport.write_eof()

    # -- closing --------------------------------------------------------------------------

    def _close_local(self, code: int, reason: str) -> None:
        """Send our close frame (once), tell the route, wait a bounded time for the end."""
        conn = self._conn
        if self._phase != _OPEN or conn is None:
            return
        self._phase = _CLOSING
        if conn.state in (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING):
            self._write(conn.send(CloseConnection(code=code, reason=reason or None)))
        self._set_disconnect(code, reason)
        self._cancel_timers()
        self._resume_reading()  # to read the client's answer
        self._timers[2] = self._loop.call_later(CLOSE_TIMEOUT, self._close_transport)

    def _set_disconnect(self, code: int, reason: str) -> None:
        if self._disconnect is None:
            self._disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
            self._wake_receiver()

    def _close_transport(self) -> None:
        """Close the TCP connection once what was written is sent — or drop it after
        :data:`CLOSE_TIMEOUT` more, should the client not read it."""
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.close()
            self._cancel_timers()
            self._timers[2] = self._loop.call_later(CLOSE_TIMEOUT, transport.abort)

    def eof_received(self) -> bool | None:
        if self._phase == _OPEN and not self._failed:
            self._set_disconnect(1006, "")
            self._phase = _CLOSING
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._cancel_timers()
        if self._phase == _HANDSHAKE:
            self._phase = _DONE
        self._set_disconnect(1006, "")
        self._phase = _DONE
        self._wake_receiver()
        waiter = self._write_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self._counted:
            self._counted = False
            self._state.ws_open -= 1
        if self._task is None:
            self._state.connections.discard(self)

    # -- timers ---------------------------------------------------------------------------

    def _beat(self) -> None:
        """``ws_heartbeat_interval``: a ping on an open connection."""
        self._timers[0] = None
        conn = self._conn
        if self._phase != _OPEN or conn is None or conn.state is not ConnectionState.OPEN:
            return
        if not self._writing_paused:  # else the client has not read the last ones yet
            self._write(conn.send(Ping(payload=b"")))
        self._timers[0] = self._loop.call_later(self._state.ws_heartbeat_interval, self._beat)

    def _check_silence(self) -> None:
        """``ws_client_timeout``: close 1001 when no frame came for that long (a connection
        whose reading is paused because the route lags is not silent)."""
        self._timers[1] = None
        if self._phase != _OPEN:
            return
        now = self._loop.time()
        if self._reading_paused:
            self._last_seen = now
        timeout = self._state.ws_client_timeout
        left = self._last_seen + timeout - now
        if left <= 0:
            self._close_local(1001, "")
            return
        self._timers[1] = self._loop.call_later(left, self._check_silence)

    def _cancel_timers(self) -> None:
        timers = self._timers
        for index, timer in enumerate(timers):
            if timer is not None:
                timer.cancel()
                timers[index] = None

    # -- flow control ---------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None and data:
            transport.write(data)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        pong, self._pending_pong = self._pending_pong, None
        conn = self._conn
        if pong is not None and conn is not None and conn.state is ConnectionState.OPEN:
            self._write(conn.send(Pong(payload=pong)))
        waiter = self._write_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_receiver(self) -> None:
        waiter = self._receive_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

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

    # -- the server's stop ----------------------------------------------------------------

    def shutdown(self) -> None:
        """Graceful stop: close an open WebSocket with 1001 (its route gets the disconnect);
        one still in its handshake is closed so as soon as it is accepted."""
        if self._phase == _OPEN:
            self._close_local(1001, "")
        elif self._phase == _HANDSHAKE:
            self._stop_on_accept = True

    def in_flight(self) -> int:
        """1 while the route runs (the stop waits for it, like a request in flight)."""
        return int(self._task is not None)

    def abort(self) -> None:
        """Hard stop: cancel the route and drop the connection."""
        task = self._task
        if task is not None:
            task.cancel()
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.abort()  # connection_lost follows
        self._state.connections.discard(self)
