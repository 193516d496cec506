"""WebSocket handlers: the :class:`WebSocket` a ``@api.websocket`` route receives.

A WebSocket route's handler is ``async def handler(websocket: WebSocket, room: str, ...)``:
the connection plus parameters bound as for HTTP routes (path, query, header, cookie,
``Depends``). The engine moves frames and speaks ASGI ``websocket`` messages
(ENGINE_CONTRACT.md §8); this class turns them into calls that read like the rest of the
API, and keeps the rules of the protocol in one place: nothing is sent before
:meth:`WebSocket.accept`, closing before it answers HTTP 403 (there is no close frame
without a connection), and a message of the wrong kind or undecodable JSON closes the
connection with a close code (:class:`WebSocketException`) rather than a traceback, because
it is the client's input, not the server's bug.

The object also serves as the request for parameter binding and authentication: the
request's parts (``headers``, ``query``, ``cookies``, ``state``, ...) are read through it.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Literal

import msgspec

from .engine import Request, WebSocketMessage, WebSocketReceive, WebSocketSend

__all__ = [
    "CloseCode",
    "WebSocket",
    "WebSocketClose",
    "WebSocketDisconnect",
    "WebSocketException",
    "WebSocketState",
]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class CloseCode(enum.IntEnum):
    """The close codes of RFC 6455 §7.4.1 (and the IANA registry's 1012-1014)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RECEIVED = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_PAYLOAD = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015


class WebSocketState(enum.Enum):
    """Where one side of the connection is: before the handshake, open, or closed."""

    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2


class WebSocketDisconnect(Exception):
    """The client closed the connection (or it was lost): raised by the ``receive_*``
    methods. A handler may let it propagate; the route then ends quietly."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class WebSocketException(Exception):
    """Raise it to close the connection with ``code`` and ``reason`` (before the accept:
    the handshake is refused with 403). It is not logged: it is an answer, not a bug."""

    def __init__(self, code: int = 1011, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class WebSocketClose(WebSocketException):
    """Raise it to close the connection normally (``code`` 1000 unless given): django-bolt's
    way to end a handler from deep inside it."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)


def _header_pairs(
    headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]] | None,
) -> list[tuple[bytes, bytes]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    pairs = []
    for name, value in items:
        raw_name = name if isinstance(name, bytes) else name.encode("latin-1")
        raw_value = value if isinstance(value, bytes) else value.encode("latin-1")
        pairs.append((raw_name.lower(), raw_value))
    return pairs


class WebSocket:
    """One WebSocket connection, handed to the route's handler.

    ``client_state``: what the client has done (``CONNECTED`` once it asked to connect);
    ``application_state``: what the handler has done (``CONNECTED`` once accepted,
    ``DISCONNECTED`` once closed).
    """

    __slots__ = ("_receive", "_request", "_send", "application_state", "client_state")

    def __init__(self, request: Request, receive: WebSocketReceive, send: WebSocketSend) -> None:
        self._request = request
        self._receive = receive
        self._send = send
        self.client_state = WebSocketState.CONNECTED
        self.application_state = WebSocketState.CONNECTING

    # --- the request's parts -------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # The rest of the Request protocol (query, query_multi, body, bound, user, META,
        # host, ...), so that binding and authentication read the handshake request.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._request, name)

    @property
    def request(self) -> Request:
        """The handshake request, as the engine gave it."""
        return self._request

    @property
    def method(self) -> str:
        return self._request.method

    @property
    def path(self) -> str:
        return self._request.path

    @property
    def query_string(self) -> str:
        return self._request.query_string

    @property
    def path_params(self) -> dict[str, str]:
        return self._request.path_params or {}

    @property
    def headers(self) -> Mapping[str, str]:
        return self._request.headers

    @property
    def query_params(self) -> dict[str, str]:
        return self._request.query

    @property
    def cookies(self) -> dict[str, str]:
        return self._request.cookies

    @property
    def client(self) -> tuple[str, int] | None:
        return self._request.client

    @property
    def state(self) -> dict[str, Any]:
        """The per-connection dict (the request's ``state``: authentication puts its
        context there, dependencies may share values through it)."""
        return self._request.state

    @property
    def url(self) -> str:
        """``ws://host/path?query`` (``wss`` behind a trusted proxy that says https)."""
        scheme = "wss" if self._request.scheme == "https" else "ws"
        host = self._request.headers.get("host", "")
        query = f"?{self.query_string}" if self.query_string else ""
        return f"{scheme}://{host}{self.path}{query}"

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered (``Sec-WebSocket-Protocol``), in its order."""
        offered = self._request.headers.get("sec-websocket-protocol", "")
        return [p.strip() for p in offered.split(",") if p.strip()]

    # --- the handshake ---------------------------------------------------------------------

    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]] | None = None,
    ) -> None:
        """Answer the handshake with 101; ``subprotocol`` should be one the client offered."""
        if self.application_state is not WebSocketState.CONNECTING:
            raise RuntimeError("the WebSocket is already accepted or closed")
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(f"the client did not offer the subprotocol {subprotocol!r}")
        await self._send(
            {
                "type": "websocket.accept",
                "subprotocol": subprotocol,
                "headers": _header_pairs(headers),
            }
        )
        self.application_state = WebSocketState.CONNECTED

    # --- receiving ---------------------------------------------------------------------------

    async def receive(self) -> WebSocketMessage:
        """The next ASGI message: ``websocket.receive`` or ``websocket.disconnect``."""
        if self.application_state is WebSocketState.CONNECTING:
            raise RuntimeError("accept() the WebSocket before receiving")
        if self.client_state is WebSocketState.DISCONNECTED:
            raise RuntimeError("the client has disconnected: no message will come")
        message = await self._receive()
        if message.get("type") == "websocket.disconnect":
            self.client_state = WebSocketState.DISCONNECTED
        return message

    async def _data(self) -> WebSocketMessage:
        message = await self.receive()
        if message.get("type") == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1005), message.get("reason", ""))
        return message

    async def receive_text(self) -> str:
        """The next text message; a binary one closes the connection with 1003."""
        message = await self._data()
        text = message.get("text")
        if text is None:
            raise WebSocketException(CloseCode.UNSUPPORTED_DATA, "expected a text message")
        return str(text)

    async def receive_bytes(self) -> bytes:
        """The next binary message; a text one closes the connection with 1003."""
        message = await self._data()
        data = message.get("bytes")
        if data is None:
            raise WebSocketException(CloseCode.UNSUPPORTED_DATA, "expected a binary message")
        return bytes(data)

    async def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        """The next message decoded as JSON (``mode``: from a text or a binary message);
        invalid JSON closes the connection with 1007."""
        if mode not in ("text", "binary"):
            raise ValueError(f"mode must be 'text' or 'binary', got {mode!r}")
        raw: str | bytes = await (self.receive_text() if mode == "text" else self.receive_bytes())
        try:
            return _decoder.decode(raw)
        except msgspec.DecodeError:
            raise WebSocketException(CloseCode.INVALID_PAYLOAD, "invalid JSON") from None

    async def iter_text(self) -> AsyncIterator[str]:
        """Text messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            return

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Binary messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            return

    async def iter_json(self, mode: Literal["text", "binary"] = "text") -> AsyncIterator[Any]:
        """JSON messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_json(mode)
        except WebSocketDisconnect:
            return

    # --- sending -------------------------------------------------------------------------------

    async def send(self, message: WebSocketMessage) -> None:
        """Send an ASGI message (``websocket.send`` or ``websocket.close``) after the accept."""
        if self.application_state is WebSocketState.CONNECTING:
            raise RuntimeError("accept() the WebSocket before sending")
        if self.application_state is WebSocketState.DISCONNECTED:
            raise RuntimeError("the WebSocket is closed")
        if message.get("type") == "websocket.close":
            self.application_state = WebSocketState.DISCONNECTED
        try:
            await self._send(message)
        except OSError:
            # the client is gone (the engine's send raises on a closed connection): the
            # same end as a disconnect the handler receives, not a server error to log
            self.client_state = WebSocketState.DISCONNECTED
            self.application_state = WebSocketState.DISCONNECTED
            raise WebSocketDisconnect(CloseCode.ABNORMAL_CLOSURE, "") from None

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self.send({"type": "websocket.send", "bytes": bytes(data)})

    async def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        """``data`` encoded with msgspec, as a text (or, ``mode="binary"``, a binary) message."""
        if mode not in ("text", "binary"):
            raise ValueError(f"mode must be 'text' or 'binary', got {mode!r}")
        encoded = _encoder.encode(data)
        if mode == "text":
            await self.send_text(encoded.decode("utf-8"))
        else:
            await self.send_bytes(encoded)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection; before :meth:`accept`, refuse the handshake with 403."""
        if self.application_state is WebSocketState.DISCONNECTED:
            return
        if self.application_state is WebSocketState.CONNECTING:
            self.application_state = WebSocketState.DISCONNECTED
            await deny(self._send, 403, [("content-type", "text/plain; charset=utf-8")], b"")
            return
        await self.send({"type": "websocket.close", "code": int(code), "reason": reason})


async def deny(
    send: WebSocketSend, status: int, headers: Iterable[tuple[str, str]], body: bytes
) -> None:
    """Answer the handshake with a plain HTTP response (the ASGI denial-response messages)."""
    await send(
        {
            "type": "websocket.http.response.start",
            "status": status,
            "headers": _header_pairs(list(headers)),
        }
    )
    await send({"type": "websocket.http.response.body", "body": body})
