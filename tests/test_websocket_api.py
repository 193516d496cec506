"""``@api.websocket`` (issue 17): the bolt-api half of WebSockets.

Two kinds of tests:

* unit tests that call the compiled :data:`~bolt_api.engine.WebSocketCall` directly with a
  fake request and fake ``receive``/``send`` (the handshake checks, binding, auth, message
  mapping, the ASGI mount) — they need no engine;
* socket tests through ``TestClient.websocket_connect`` on both engines (the ``engine``
  fixture), a real RFC 6455 client talking to a real server.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from bolt_api import (
    BoltAPI,
    CloseCode,
    CORSConfig,
    Depends,
    Header,
    Router,
    WebSocket,
    WebSocketDisconnect,
    WebSocketException,
)
from bolt_api.engine import RouteSpec
from bolt_api.openapi.schema import build_openapi_schema
from bolt_api.testing import HandshakeRejected, TestClient

KEY = base64.b64encode(b"0123456789abcdef").decode()
GOOD = {
    "host": "testserver",
    "upgrade": "websocket",
    "connection": "Upgrade",
    "sec-websocket-key": KEY,
    "sec-websocket-version": "13",
}


class FakeRequest:
    """The handshake request as an engine hands it over."""

    def __init__(
        self,
        path: str = "/ws",
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        self.method = "GET"
        self.path = path
        self.query_string = "&".join(f"{k}={v}" for k, v in (query or {}).items())
        self.path_params = params
        self.body = b""
        self.bound = None
        self.headers = dict(GOOD if headers is None else headers)
        self.query = query or {}
        self.query_multi = {k: [v] for k, v in self.query.items()}
        self.cookies: dict[str, str] = {}
        self.client = ("127.0.0.1", 5000)
        self.scheme = "http"
        self.state: dict[str, Any] = {}

    @property
    def host(self) -> str | None:
        return self.headers.get("host")

    @property
    def accept_encoding(self) -> str | None:
        return None


def ws_spec(api: BoltAPI, path: str) -> RouteSpec:
    app = api.compile()
    return next(s for s in app.routes if s.websocket and s.path == path)


def run(
    api: BoltAPI,
    path: str,
    incoming: list[dict[str, Any]],
    request: FakeRequest | None = None,
    spec_path: str | None = None,
) -> list[dict[str, Any]]:
    """Call the route with ``websocket.connect`` then ``incoming``; what it sent."""
    spec = ws_spec(api, spec_path or path)
    inbox = [{"type": "websocket.connect"}, *incoming]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if inbox:
            return inbox.pop(0)
        return {"type": "websocket.disconnect", "code": 1000, "reason": ""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(spec.call(request or FakeRequest(path), receive, send))  # type: ignore[arg-type]
    return sent


def echo_api() -> BoltAPI:
    api = BoltAPI()

    @api.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(f"echo: {text}")

    return api


# --- the handshake checks ------------------------------------------------------------------


def test_a_good_handshake_is_accepted() -> None:
    sent = run(echo_api(), "/ws", [{"type": "websocket.receive", "text": "hi"}])
    assert sent[0]["type"] == "websocket.accept"
    assert sent[1] == {"type": "websocket.send", "text": "echo: hi"}
    assert len(sent) == 2  # the client disconnected: no close frame owed


def test_returning_after_accept_closes_1000() -> None:
    api = BoltAPI()

    @api.websocket("/ws")
    async def short(websocket: WebSocket) -> None:
        await websocket.accept()

    sent = run(api, "/ws", [])
    assert sent[-1] == {"type": "websocket.close", "code": 1000, "reason": ""}


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"sec-websocket-key": None}, 400),
        ({"sec-websocket-key": "short"}, 400),
        ({"sec-websocket-key": base64.b64encode(b"x" * 15).decode()}, 400),
        ({"sec-websocket-key": "!!!!!!!!!!!!!!!!!!!!!!=="}, 400),
        ({"sec-websocket-version": "8"}, 426),
        ({"sec-websocket-version": None}, 426),
        ({"connection": "keep-alive"}, 400),
        ({"connection": None}, 400),
    ],
)
def test_bad_handshakes_are_refused(change: dict[str, str | None], status: int) -> None:
    headers: dict[str, str] = dict(GOOD)
    for name, value in change.items():
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    sent = run(echo_api(), "/ws", [], FakeRequest(headers=headers))
    assert sent[0]["type"] == "websocket.http.response.start"
    assert sent[0]["status"] == status
    assert sent[1]["type"] == "websocket.http.response.body"
    if status == 426:
        assert (b"sec-websocket-version", b"13") in sent[0]["headers"]
    assert len(sent) == 2


def test_connection_tokens_are_a_list() -> None:
    headers = dict(GOOD, connection="keep-alive, UPGRADE")
    sent = run(echo_api(), "/ws", [], FakeRequest(headers=headers))
    assert sent[0]["type"] == "websocket.accept"


# --- the handler's answers -------------------------------------------------------------------


def test_close_before_accept_is_a_403() -> None:
    api = BoltAPI()

    @api.websocket("/ws")
    async def refuse(websocket: WebSocket) -> None:
        await websocket.close()

    sent = run(api, "/ws", [])
    assert [m["type"] for m in sent] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert sent[0]["status"] == 403


def test_return_without_accept_is_a_403() -> None:
    api = BoltAPI()

    @api.websocket("/ws")
    async def nothing(websocket: WebSocket) -> None:
        return None

    assert run(api, "/ws", [])[0]["status"] == 403


def test_an_exception_after_accept_closes_1011_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = BoltAPI()

    @api.websocket("/ws")
    async def boom(websocket: WebSocket) -> None:
        await websocket.accept()
        raise ValueError("bug")

    sent = run(api, "/ws", [])
    assert sent[-1] == {"type": "websocket.close", "code": 1011, "reason": ""}
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1


def test_an_exception_before_accept_is_a_500() -> None:
    api = BoltAPI()

    @api.websocket("/ws")
    async def boom(websocket: WebSocket) -> None:
        raise ValueError("bug")

    assert run(api, "/ws", [])[0]["status"] == 500


def test_websocket_exception_closes_with_its_code(caplog: pytest.LogCaptureFixture) -> None:
    api = BoltAPI()

    @api.websocket("/ws")
    async def policy(websocket: WebSocket) -> None:
        await websocket.accept()
        raise WebSocketException(CloseCode.POLICY_VIOLATION, "no")

    sent = run(api, "/ws", [])
    assert sent[-1] == {"type": "websocket.close", "code": 1008, "reason": "no"}
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_wrong_message_kind_and_bad_json_close_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = BoltAPI()

    @api.websocket("/text")
    async def text(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()

    @api.websocket("/json")
    async def json(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_json()

    sent = run(api, "/text", [{"type": "websocket.receive", "bytes": b"\x00"}])
    assert sent[-1]["code"] == 1003
    sent = run(api, "/json", [{"type": "websocket.receive", "text": "{nope"}])
    assert sent[-1]["code"] == 1007
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_json_both_modes() -> None:
    api = BoltAPI()

    @api.websocket("/ws")
    async def json(websocket: WebSocket) -> None:
        await websocket.accept()
        data = await websocket.receive_json(mode="binary")
        await websocket.send_json({"got": data})
        await websocket.send_json([1], mode="binary")

    sent = run(api, "/ws", [{"type": "websocket.receive", "bytes": b'{"a":1}'}])
    assert sent[1] == {"type": "websocket.send", "text": '{"got":{"a":1}}'}
    assert sent[2] == {"type": "websocket.send", "bytes": b"[1]"}


def test_disconnect_raises_and_ends_quietly() -> None:
    api = BoltAPI()
    seen: list[tuple[int, str]] = []

    @api.websocket("/ws")
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            await websocket.receive_text()
        except WebSocketDisconnect as exc:
            seen.append((exc.code, exc.reason))
            raise

    sent = run(api, "/ws", [{"type": "websocket.disconnect", "code": 1001, "reason": "bye"}])
    assert seen == [(1001, "bye")]
    assert [m["type"] for m in sent] == ["websocket.accept"]


def test_subprotocol_and_headers_in_the_accept() -> None:
    api = BoltAPI()

    @api.websocket("/ws")
    async def handler(websocket: WebSocket) -> None:
        assert websocket.subprotocols == ["chat", "superchat"]
        await websocket.accept(subprotocol="chat", headers={"X-Room": "1"})

    request = FakeRequest(headers=dict(GOOD, **{"sec-websocket-protocol": "chat, superchat"}))
    sent = run(api, "/ws", [], request)
    assert sent[0] == {
        "type": "websocket.accept",
        "subprotocol": "chat",
        "headers": [(b"x-room", b"1")],
    }


def test_a_send_to_a_gone_client_ends_quietly(caplog: pytest.LogCaptureFixture) -> None:
    api = BoltAPI()
    spec_calls: list[str] = []

    @api.websocket("/ws")
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("x")
        spec_calls.append("not reached")

    spec = ws_spec(api, "/ws")
    sent: list[dict[str, Any]] = []
    inbox = [{"type": "websocket.connect"}]

    async def receive() -> dict[str, Any]:
        return inbox.pop(0) if inbox else {"type": "websocket.disconnect", "code": 1006}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "websocket.send":
            raise ConnectionResetError("gone")
        sent.append(message)

    asyncio.run(spec.call(FakeRequest(), receive, send))  # type: ignore[arg-type]
    assert spec_calls == []
    assert [m["type"] for m in sent] == ["websocket.accept"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_the_request_parts() -> None:
    api = BoltAPI()
    seen: dict[str, Any] = {}

    @api.websocket("/ws/{room}")
    async def handler(websocket: WebSocket, room: str) -> None:
        with pytest.raises(RuntimeError):
            await websocket.receive()  # before the accept
        seen.update(
            url=websocket.url,
            path=websocket.path,
            query=websocket.query_params,
            qs=websocket.query_string,
            client=websocket.client,
            params=websocket.path_params,
            cookies=websocket.cookies,
        )
        websocket.state["x"] = 1
        await websocket.accept()
        seen["bytes"] = [b async for b in websocket.iter_bytes()]

    request = FakeRequest("/ws/r1", query={"a": "1"}, params={"room": "r1"})
    request.cookies = {"sid": "s"}
    run(api, "/ws/r1", [{"type": "websocket.receive", "bytes": b"ab"}], request, "/ws/{room}")
    assert seen == {
        "url": "ws://testserver/ws/r1?a=1",
        "path": "/ws/r1",
        "query": {"a": "1"},
        "qs": "a=1",
        "client": ("127.0.0.1", 5000),
        "params": {"room": "r1"},
        "cookies": {"sid": "s"},
        "bytes": [b"ab"],
    }
    assert request.state == {"x": 1}


# --- binding, auth, registration ----------------------------------------------------------------


def test_parameters_bind_as_for_http_routes() -> None:
    api = BoltAPI()
    got: dict[str, Any] = {}

    def user(token: Annotated[str, Header(alias="x-token")]) -> str:
        return f"user-{token}"

    @api.websocket("/rooms/{room}")
    async def room(
        websocket: WebSocket, room: int, lang: str = "en", who: str = Depends(user)
    ) -> None:
        got.update(room=room, lang=lang, who=who, path=websocket.path_params)
        await websocket.accept()

    request = FakeRequest(
        "/rooms/7",
        headers=dict(GOOD, **{"x-token": "t"}),
        query={"lang": "fr"},
        params={"room": "7"},
    )
    sent = run(api, "/rooms/7", [], request, spec_path="/rooms/{room}")
    assert sent[0]["type"] == "websocket.accept"
    assert got == {"room": 7, "lang": "fr", "who": "user-t", "path": {"room": "7"}}


def test_a_parameter_error_is_a_422_before_the_upgrade() -> None:
    api = BoltAPI()

    @api.websocket("/rooms/{room}")
    async def room(websocket: WebSocket, room: int) -> None:
        await websocket.accept()

    request = FakeRequest("/rooms/x", params={"room": "x"})
    sent = run(api, "/rooms/x", [], request, spec_path="/rooms/{room}")
    assert sent[0]["status"] == 422
    assert b"room" in sent[1]["body"]


def test_guards_refuse_before_the_upgrade() -> None:
    api = BoltAPI()

    def never(context: Any, request: Any) -> bool:
        return False

    @api.websocket("/ws", guards=[never])
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()

    assert run(api, "/ws", [])[0]["status"] == 403


def test_auth_backends_refuse_before_the_upgrade() -> None:
    from bolt_api import APIKeyAuthentication, IsAuthenticated

    api = BoltAPI()

    @api.websocket("/ws", auth=[APIKeyAuthentication(api_keys=["k1"])], guards=[IsAuthenticated()])
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()

    assert run(api, "/ws", [])[0]["status"] == 401
    request = FakeRequest(headers=dict(GOOD, **{"x-api-key": "k1"}))
    assert run(api, "/ws", [], request)[0]["type"] == "websocket.accept"


def test_route_middleware_and_cors_are_refused_not_ignored() -> None:
    from bolt_api import cors
    from bolt_api.middleware import middleware

    api = BoltAPI()

    @api.websocket("/ws")
    @cors(origins=["https://a.example"])
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()

    with pytest.raises(ValueError, match="@cors"):
        api.compile()

    async def layer(request: Any, call_next: Any) -> Any:
        return await call_next(request)

    api2 = BoltAPI()

    @api2.websocket("/ws")
    @middleware(layer)
    async def handler2(websocket: WebSocket) -> None:
        await websocket.accept()

    with pytest.raises(ValueError, match="@middleware"):
        api2.compile()


def test_max_requests_counts_handshakes() -> None:
    hit: list[bool] = []
    app = echo_api().compile(max_requests=2, on_max_requests=lambda: hit.append(True))
    spec = next(s for s in app.routes if s.websocket)

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    bad = FakeRequest(headers={})  # refused at once: still a request
    for _ in range(2):
        asyncio.run(spec.call(bad, receive, send))  # type: ignore[arg-type]
    assert hit == [True]


def test_registration_errors() -> None:
    api = BoltAPI()
    with pytest.raises(TypeError, match="async def"):

        @api.websocket("/ws")
        def sync(websocket: WebSocket) -> None:
            pass

    with pytest.raises(ValueError, match="include_in_schema"):
        api.websocket("/ws", include_in_schema=True)


def test_a_websocket_and_an_http_route_share_a_path_and_stay_out_of_openapi() -> None:
    api = BoltAPI()
    router = Router(prefix="/r")

    @api.get("/ws")
    def page() -> dict[str, str]:
        return {"page": "yes"}

    @router.websocket("/ws")
    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()

    api.include_router(router)

    @api.websocket("/ws")
    async def socket2(websocket: WebSocket) -> None:
        await websocket.accept()

    app = api.compile()
    ws = sorted(s.path for s in app.routes if s.websocket)
    assert ws == ["/r/ws", "/ws"]
    assert [s.method for s in app.routes if s.path == "/ws" and not s.websocket] == ["GET", "HEAD"]
    assert "/r/ws" not in build_openapi_schema(api)["paths"]
    with pytest.raises(ValueError, match="conflict"):

        @api.websocket("/ws")
        async def again(websocket: WebSocket) -> None:
            pass


# --- the ASGI mount ---


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "websocket"
    await receive()
    if scope["path"].endswith("/deny"):
        await send({"type": "websocket.close"})
        return
    await send({"type": "websocket.accept", "subprotocol": scope["subprotocols"][0]})
    message = await receive()
    await send({"type": "websocket.send", "text": f"{scope['root_path']}:{message['text']}"})
    await send({"type": "websocket.close", "code": 1000})


def test_mount_asgi_gets_websocket_scopes() -> None:
    api = BoltAPI()
    api.mount_asgi("/legacy", asgi_app)
    request = FakeRequest(
        "/legacy/chat", headers=dict(GOOD, **{"sec-websocket-protocol": "p1, p2"})
    )
    sent = run(
        api,
        "/legacy/chat",
        [{"type": "websocket.receive", "text": "x"}],
        request,
        spec_path="/legacy/{*__bolt_mount_rest}",
    )
    assert sent[0] == {"type": "websocket.accept", "subprotocol": "p1"}
    assert sent[1] == {"type": "websocket.send", "text": "/legacy:x"}
    deny = run(
        api,
        "/legacy/deny",
        [],
        FakeRequest("/legacy/deny"),
        spec_path="/legacy/{*__bolt_mount_rest}",
    )
    assert deny[0]["type"] == "websocket.http.response.start"
    assert deny[0]["status"] == 403


# --- through real sockets, on both engines ---


def socket_api() -> BoltAPI:
    api = BoltAPI()

    @api.websocket("/ws/echo/{room}")
    async def echo(websocket: WebSocket, room: str, upper: bool = False) -> None:
        offered = websocket.subprotocols
        await websocket.accept(subprotocol=offered[0] if offered else None)
        async for data in websocket.iter_json():
            await websocket.send_json({"room": room, "data": data, "upper": upper})

    @api.websocket("/ws/text")
    async def text(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            message = await websocket.receive_text()
            if message == "bye":
                await websocket.close(4000, "asked")
                return
            await websocket.send_text(message[::-1])

    @api.websocket("/ws/deny")
    async def deny(websocket: WebSocket) -> None:
        await websocket.close()

    @api.websocket("/ws/boom")
    async def boom(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()
        raise WebSocketException(CloseCode.POLICY_VIOLATION, "nope")

    @api.get("/ws/text")
    def plain() -> dict[str, str]:
        return {"plain": "http"}

    return api


@pytest.fixture
def ws_client(engine: str) -> Iterator[TestClient]:
    with TestClient(socket_api(), engine) as client:
        yield client


def test_socket_echo_json_with_params_and_subprotocol(ws_client: TestClient) -> None:
    with ws_client.websocket_connect("/ws/echo/lobby?upper=true", subprotocols=["v1"]) as ws:
        assert ws.subprotocol == "v1"
        ws.send_json({"n": 1})
        assert ws.receive_json() == {"room": "lobby", "data": {"n": 1}, "upper": True}


def test_socket_text_and_server_close(ws_client: TestClient) -> None:
    from websockets.exceptions import ConnectionClosed

    with ws_client.websocket_connect("/ws/text") as ws:
        ws.send_text("abc")
        assert ws.receive_text() == "cba"
        ws.send_text("bye")
        with pytest.raises(ConnectionClosed):
            ws.receive_text()
        assert ws.close_code == 4000
        assert ws.close_reason == "asked"


def test_socket_close_before_accept_is_403(ws_client: TestClient) -> None:
    with pytest.raises(HandshakeRejected) as info:
        ws_client.websocket_connect("/ws/deny")
    assert info.value.status == 403


def test_socket_websocket_exception_code(ws_client: TestClient) -> None:
    from websockets.exceptions import ConnectionClosed

    with ws_client.websocket_connect("/ws/boom") as ws:
        ws.send_text("x")
        with pytest.raises(ConnectionClosed):
            ws.receive_text()
        assert ws.close_code == 1008


def test_socket_http_route_on_the_same_path(ws_client: TestClient) -> None:
    assert ws_client.get("/ws/text").json() == {"plain": "http"}
    assert ws_client.get("/ws/deny").status_code == 404


def guarded_api() -> BoltAPI:
    api = BoltAPI()

    def token_guard(context: Any, request: Any) -> bool:
        return bool(request.headers.get("x-token") == "sesame")

    @api.websocket("/ws/private", guards=[token_guard])
    async def private(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("welcome")

    api.mount_asgi("/legacy", asgi_app)
    return api


def test_socket_guards_and_asgi_mount(engine: str) -> None:
    with TestClient(guarded_api(), engine) as client:
        with pytest.raises(HandshakeRejected) as info:
            client.websocket_connect("/ws/private")
        assert info.value.status == 403
        with client.websocket_connect("/ws/private", headers={"x-token": "sesame"}) as ws:
            assert ws.receive_text() == "welcome"
        with client.websocket_connect("/legacy/chat", subprotocols=["p1", "p2"]) as ws:
            assert ws.subprotocol == "p1"
            ws.send_text("x")
            assert ws.receive_text() == "/legacy:x"
        with pytest.raises(HandshakeRejected) as info:
            client.websocket_connect("/legacy/deny")
        assert info.value.status == 403


def raw_handshake(port: int, path: str, headers: dict[str, str]) -> bytes:
    import socket

    head = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall((head + "\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data


@pytest.mark.parametrize(
    ("change", "status"),
    [({"sec-websocket-version": "8"}, b"426"), ({"sec-websocket-key": "bad"}, b"400")],
)
def test_socket_handshake_checks(engine: str, change: dict[str, str], status: bytes) -> None:
    with TestClient(socket_api(), engine) as client:
        answer = raw_handshake(client._server.port, "/ws/text", dict(GOOD, **change))
    assert answer.split(b" ")[1] == status
    if status == b"426":
        assert b"sec-websocket-version: 13" in answer.lower()


# --- the Origin check (cross-site WebSocket hijacking) --------------------------------------


def origin_api(cors: CORSConfig | None) -> BoltAPI:
    api = BoltAPI(cors=cors)

    @api.websocket("/ws/me")
    async def me(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")

    return api


def test_socket_origin_must_be_the_servers_own_or_allowed_by_cors(engine: str) -> None:
    with TestClient(origin_api(None), engine) as client:
        port = client._server.port  # the Host the client sends: 127.0.0.1:<port>
        for origin in (None, f"http://127.0.0.1:{port}", f"https://127.0.0.1:{port}"):
            headers = {} if origin is None else {"Origin": origin}
            with client.websocket_connect("/ws/me", headers=headers) as ws:
                assert ws.receive_text() == "hello"
        for origin in ("https://evil.example", "http://127.0.0.1:1", "null", "not a url"):
            with pytest.raises(HandshakeRejected) as info:
                client.websocket_connect("/ws/me", headers={"Origin": origin})
            assert info.value.status == 403, origin
    allowed = CORSConfig(allowed_origins=["https://app.example"])
    with TestClient(origin_api(allowed), engine) as client:
        with client.websocket_connect("/ws/me", headers={"Origin": "https://app.example"}) as ws:
            assert ws.receive_text() == "hello"
        with pytest.raises(HandshakeRejected) as info:
            client.websocket_connect("/ws/me", headers={"Origin": "https://evil.example"})
        assert info.value.status == 403


# --- @rate_limit, before the upgrade ------------------------------------------------------------


def test_socket_rate_limit_refuses_handshakes_beyond_the_burst(engine: str) -> None:
    from bolt_api.ratelimit import rate_limit

    api = BoltAPI()

    @api.websocket("/ws/limited")
    @rate_limit(rps=1, burst=2)
    async def limited(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("in")

    with TestClient(api, engine) as client:
        for _ in range(2):
            with client.websocket_connect("/ws/limited") as ws:
                assert ws.receive_text() == "in"
        with pytest.raises(HandshakeRejected) as info:
            client.websocket_connect("/ws/limited")
        assert info.value.status == 429
