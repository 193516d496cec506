"""``bolt_api.testing.WebSocketTestClient``: django-bolt's async WebSocket test client, over a
real socket to a real engine (both engines, through the ``engine`` fixture).

pytest-asyncio is not a dependency of the test suite: each test is a sync test that drives
its coroutine with :func:`asyncio.run`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from bolt_api import BoltAPI, CloseCode, WebSocket, WebSocketException
from bolt_api.testing import ConnectionClosed, HandshakeRejected, WebSocketTestClient


def ws_api() -> BoltAPI:
    api = BoltAPI()

    @api.websocket("/ws/echo/{room}")
    async def echo(websocket: WebSocket, room: str, nick: str = "anon") -> None:
        offered = websocket.subprotocols
        await websocket.accept(subprotocol=offered[0] if offered else None)
        await websocket.send_json({"room": room, "nick": nick})
        async for text in websocket.iter_text():
            if text == "bye":
                await websocket.close(4000, "asked")
                return
            await websocket.send_text(f"{nick}: {text}")

    @api.websocket("/ws/json")
    async def json_echo(websocket: WebSocket) -> None:
        await websocket.accept()
        async for data in websocket.iter_json():
            await websocket.send_json({"got": data})

    @api.websocket("/ws/bytes")
    async def bytes_echo(websocket: WebSocket) -> None:
        await websocket.accept()
        async for data in websocket.iter_bytes():
            await websocket.send_bytes(data[::-1])

    @api.websocket("/ws/three")
    async def three(websocket: WebSocket) -> None:
        await websocket.accept()
        for n in range(3):
            await websocket.send_text(str(n))

    @api.websocket("/ws/header")
    async def header(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(websocket.headers.get("x-token", ""))

    @api.websocket("/ws/deny")
    async def deny(websocket: WebSocket) -> None:
        await websocket.close()

    def never(context: Any, request: Any) -> bool:
        return False

    @api.websocket("/ws/guarded", guards=[never])
    async def guarded(websocket: WebSocket) -> None:
        await websocket.accept()

    @api.websocket("/ws/policy")
    async def policy(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()
        raise WebSocketException(CloseCode.POLICY_VIOLATION, "nope")

    return api


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def test_echo_query_string_and_subprotocol(engine: str) -> None:
    async def test() -> None:
        async with WebSocketTestClient(
            ws_api(),
            "/ws/echo/lobby",
            query_string="nick=ann",
            subprotocols=["v1", "v2"],
            engine=engine,
        ) as ws:
            assert ws.engine == engine
            assert ws.subprotocol == "v1"
            assert await ws.receive_json() == {"room": "lobby", "nick": "ann"}
            await ws.send_text("hi")
            assert await ws.receive_text(timeout=5.0) == "ann: hi"

    run(test)


def test_json_both_modes_and_bytes(engine: str) -> None:
    async def test() -> None:
        api = ws_api()
        async with WebSocketTestClient(api, "/ws/json", engine=engine) as ws:
            await ws.send_json({"n": 1})
            assert await ws.receive_json() == {"got": {"n": 1}}
            await ws.send_json([1, 2], mode="binary")  # the handler reads text: 1003
            with pytest.raises(ConnectionClosed):
                await ws.receive()
            assert ws.close_code == CloseCode.UNSUPPORTED_DATA
        async with WebSocketTestClient(api, "/ws/bytes", engine=engine) as ws:
            await ws.send_bytes(b"abc")
            assert await ws.receive_bytes() == b"cba"
            assert ws.subprotocol is None

    run(test)


def test_headers_reach_the_handler(engine: str) -> None:
    async def test() -> None:
        async with WebSocketTestClient(
            ws_api(), "/ws/header", headers={"X-Token": "t1"}, engine=engine
        ) as ws:
            assert await ws.receive_text() == "t1"

    run(test)


@pytest.mark.parametrize("path", ["/ws/deny", "/ws/guarded"])
def test_a_refused_handshake_raises(engine: str, path: str) -> None:
    async def test() -> None:
        with pytest.raises(HandshakeRejected) as info:
            async with WebSocketTestClient(ws_api(), path, engine=engine):
                pytest.fail("the handshake was accepted")
        assert info.value.status == 403

    run(test)


def test_close_codes(engine: str) -> None:
    async def test() -> None:
        api = ws_api()
        async with WebSocketTestClient(api, "/ws/echo/r", engine=engine) as ws:
            await ws.receive_json()
            await ws.send_text("bye")
            with pytest.raises(ConnectionClosed):
                await ws.receive_text()
            assert (ws.close_code, ws.close_reason) == (4000, "asked")
        async with WebSocketTestClient(api, "/ws/policy", engine=engine) as ws:
            await ws.send_text("x")
            with pytest.raises(ConnectionClosed):
                await ws.receive_text()
            assert ws.close_code == 1008
        async with WebSocketTestClient(api, "/ws/json", engine=engine) as ws:
            await ws.close(code=1000)
            assert ws.close_code == 1000

    run(test)


def test_iter_text_ends_at_the_servers_close(engine: str) -> None:
    async def test() -> None:
        async with WebSocketTestClient(ws_api(), "/ws/three", engine=engine) as ws:
            assert [m async for m in ws.iter_text()] == ["0", "1", "2"]
            assert ws.close_code == 1000

    run(test)


def test_receive_times_out(engine: str) -> None:
    async def test() -> None:
        async with WebSocketTestClient(ws_api(), "/ws/json", engine=engine) as ws:
            with pytest.raises(TimeoutError):
                await ws.receive_text(timeout=0.2)

    run(test)


def test_cors_allowed_origins_is_honoured(engine: str) -> None:
    async def test() -> None:
        api = ws_api()
        origin = {"Origin": "https://app.example"}
        with pytest.raises(HandshakeRejected) as info:
            async with WebSocketTestClient(api, "/ws/three", headers=origin, engine=engine):
                pass
        assert info.value.status == 403
        async with WebSocketTestClient(
            api,
            "/ws/three",
            headers=origin,
            cors_allowed_origins=["https://app.example"],
            engine=engine,
        ) as ws:
            assert await ws.receive_text() == "0"
        assert api.cors is None  # the API's own policy is put back

    run(test)


def test_arguments_it_cannot_honour_are_refused() -> None:
    with pytest.raises(TypeError, match="headers="):
        WebSocketTestClient(ws_api(), "/ws/json", auth_context=object())
    with pytest.raises(ValueError, match="read_django_settings"):
        WebSocketTestClient(ws_api(), "/ws/json", read_django_settings=False)


def test_connection_closed_is_websockets_own() -> None:
    from websockets.exceptions import ConnectionClosed as Theirs

    assert ConnectionClosed is Theirs
