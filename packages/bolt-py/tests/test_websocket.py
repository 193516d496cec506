"""bolt_py._websocket without sockets: the handshake helpers, the turn a handshake waits for
behind pipelined requests, and the bounded inbox (reading stops, nothing is lost)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from bolt_api import BoltAPI
from bolt_api.engine import CompiledApp, Needs, Request, RouteSpec, ServerConfig
from bolt_py._protocol import HttpProtocol
from bolt_py._state import ServerState
from bolt_py._websocket import MAX_BUFFERED, WebSocket, accept_key, lists_websocket

HANDSHAKE = (
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
RECEIVED: list[Any] = []
GATE: list[asyncio.Event] = []


async def _route(request: Request, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await GATE[0].wait()  # the route lags: messages pile up in the engine
    while True:
        message = await receive()
        RECEIVED.append(message)
        if message["type"] == "websocket.disconnect":
            return


def make_app() -> CompiledApp:
    api = BoltAPI()

    @api.get("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(0.01)
        return {"slow": True}

    app = api.compile()
    spec = RouteSpec(
        method="GET",
        path="/ws",
        call=_route,  # type: ignore[arg-type]  # a WebSocketCall
        is_async=True,
        needs=Needs.ALL,
        name="ws",
        websocket=True,
    )
    return dataclasses.replace(app, routes=(*app.routes, spec))


class Transport(asyncio.Transport):
    """Records writes and the protocol it was handed to."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.paused = False
        self.protocol: asyncio.BaseProtocol | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def can_write_eof(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000)}.get(name, default)


def masked(opcode: int, payload: bytes) -> bytes:
    key = os.urandom(4)
    assert len(payload) < 126
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + key + body


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    RECEIVED.clear()
    GATE[:] = [asyncio.Event()]
    yield loop
    loop.close()


def test_helpers() -> None:
    # RFC 6455 §1.3's example
    assert accept_key(b"dGhlIHNhbXBsZSBub25jZQ==") == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert lists_websocket(b"WebSocket")
    assert lists_websocket(b"h2c, websocket")
    assert not lists_websocket(b"websocket/13")
    assert not lists_websocket(b"")


def test_handshake_waits_for_pipelined_requests(loop: asyncio.AbstractEventLoop) -> None:
    state = ServerState(make_app(), ServerConfig(), loop)
    protocol = HttpProtocol(state)
    transport = Transport()
    protocol.connection_made(transport)
    protocol.data_received(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n" + HANDSHAKE)
    assert transport.protocol is None  # its turn has not come
    loop.run_until_complete(asyncio.sleep(0.05))
    data = b"".join(transport.writes)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"HTTP/1.1 101 Switching Protocols\r\n" in data
    assert b"sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in data
    assert isinstance(transport.protocol, WebSocket)
    assert state.ws_open == 1
    assert protocol not in state.connections and transport.protocol in state.connections
    transport.protocol.abort()  # cancels the route
    transport.protocol.connection_lost(None)
    loop.run_until_complete(asyncio.sleep(0.01))
    assert state.ws_open == 0 and not state.connections


def test_inbox_is_bounded(loop: asyncio.AbstractEventLoop) -> None:
    state = ServerState(make_app(), ServerConfig(ws_heartbeat_interval=0), loop)
    protocol = HttpProtocol(state)
    transport = Transport()
    protocol.connection_made(transport)
    protocol.data_received(HANDSHAKE)
    loop.run_until_complete(asyncio.sleep(0.01))
    socket = transport.protocol
    assert isinstance(socket, WebSocket)
    assert not transport.paused
    socket.data_received(b"".join(masked(0x1, str(i).encode()) for i in range(50)))
    assert transport.paused  # the route lags: reading stopped
    assert len(socket._inbox) == MAX_BUFFERED
    GATE[0].set()
    socket.data_received(masked(0x8, struct.pack("!H", 1000)))  # read later, after the rest
    loop.run_until_complete(asyncio.sleep(0.05))
    texts = [m.get("text") for m in RECEIVED if m["type"] == "websocket.receive"]
    assert texts == [str(i) for i in range(50)]
    assert RECEIVED[-1] == {"type": "websocket.disconnect", "code": 1000, "reason": ""}


@pytest.mark.parametrize("deflate", [True, False])
def test_per_message_deflate_setting(loop: asyncio.AbstractEventLoop, deflate: bool) -> None:
    """``ws_per_message_deflate`` off: an offer of the extension is not taken up."""
    state = ServerState(make_app(), ServerConfig(ws_per_message_deflate=deflate), loop)
    protocol = HttpProtocol(state)
    transport = Transport()
    protocol.connection_made(transport)
    offer = b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
    protocol.data_received(HANDSHAKE[:-2] + offer)
    loop.run_until_complete(asyncio.sleep(0.01))
    head = b"".join(transport.writes)
    assert head.startswith(b"HTTP/1.1 101 ")
    assert (b"sec-websocket-extensions: permessage-deflate" in head) is deflate
    socket = transport.protocol
    assert isinstance(socket, WebSocket)
    socket.abort()
    socket.connection_lost(None)
    loop.run_until_complete(asyncio.sleep(0.01))


def test_pings_while_the_client_does_not_read(loop: asyncio.AbstractEventLoop) -> None:
    """With the write buffer full, pings are answered once, the last one, when it drains."""
    state = ServerState(make_app(), ServerConfig(ws_heartbeat_interval=0), loop)
    protocol = HttpProtocol(state)
    transport = Transport()
    protocol.connection_made(transport)
    protocol.data_received(HANDSHAKE)
    loop.run_until_complete(asyncio.sleep(0.01))
    socket = transport.protocol
    assert isinstance(socket, WebSocket)
    socket.data_received(masked(0x9, b"now"))
    assert transport.writes[-1] == b"\x8a\x03now"  # a pong at once
    socket.pause_writing()
    written = len(transport.writes)
    socket.data_received(b"".join(masked(0x9, b"p%d" % i) for i in range(100)))
    assert len(transport.writes) == written
    socket.resume_writing()
    assert transport.writes[written:] == [b"\x8a\x03p99"]
    socket.abort()
    socket.connection_lost(None)
    loop.run_until_complete(asyncio.sleep(0.01))
