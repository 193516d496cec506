"""Tier-one tests: raw bytes into HttpProtocol through a fake transport, bytes out.

No sockets and no server: each test builds the protocol over a compiled BoltAPI, feeds it
request bytes and checks the exact responses written (and whether the connection closed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from bolt_api import BoltAPI, Response, run_inline
from bolt_api._routing import PathTemplate
from bolt_api.engine import CompiledApp, ServerConfig
from bolt_py._protocol import HttpProtocol
from bolt_py._request import Request, parse_query
from bolt_py._routes import engine_template
from bolt_py._state import ServerState


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    @api.get("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(0.01)
        return {"slow": True}

    @api.get("/items/{item_id}")
    def item(item_id: int, q: str = "") -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    @api.get("/files/{path:path}")
    def files(path: str) -> dict[str, str]:
        return {"path": path}

    # @run_inline: these tests drive the protocol synchronously; where handlers run is
    # tests/test_handler_threads.py's subject
    @api.post("/echo")
    @run_inline
    def echo(request: Request) -> Response:
        return Response(request.body, media_type="application/octet-stream")

    @api.get("/bad-header")
    @run_inline
    def bad_header() -> Response:
        return Response(b"x", headers={"x-evil": "a\r\nset-cookie: pwned=1"})

    @api.get("/no-content", status_code=204)
    def no_content() -> None:
        return None

    return api


API = make_api().compile()


class FakeTransport(asyncio.Transport):
    """Records writes; knows whether it was closed or paused."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.paused = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed, "write after close"
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

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000)}.get(name, default)

    @property
    def data(self) -> bytes:
        return b"".join(self.writes)


class Conn:
    """A protocol wired to a fake transport on a private event loop."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, app: CompiledApp = API, **config: Any
    ) -> None:
        self.loop = loop
        self.state = ServerState(app, ServerConfig(**config), loop)
        self.protocol = HttpProtocol(self.state)
        self.transport = FakeTransport()
        self.protocol.connection_made(self.transport)

    def send(self, data: bytes) -> None:
        self.protocol.data_received(data)

    def settle(self, seconds: float = 0.05) -> None:
        self.loop.run_until_complete(asyncio.sleep(seconds))

    def responses(self) -> list[tuple[int, dict[str, str], bytes]]:
        return parse_responses(self.transport.data)


def parse_responses(data: bytes, head: bool = False) -> list[tuple[int, dict[str, str], bytes]]:
    """Split a byte stream into ``(status, headers, body)`` using content-length."""
    out = []
    while data:
        head_end = data.index(b"\r\n\r\n")
        lines = data[:head_end].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(": ")
            assert name not in headers, f"duplicate header {name}"
            headers[name] = value
        data = data[head_end + 4 :]
        length = 0 if head or status == 100 else int(headers.get("content-length", "0"))
        out.append((status, headers, data[:length]))
        data = data[length:]
    return out


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_simple_get(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(conn.transport.writes) == 1  # one write per response
    raw = conn.transport.writes[0]
    assert raw.startswith(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 17\r\ndate: "
    )
    assert raw.endswith(b' GMT\r\n\r\n{"hello":"world"}')
    assert not conn.transport.closed


def test_keep_alive_and_pipelining_order(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(
        b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /items/7?q=a HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert conn.transport.writes == []  # the async route runs first; the rest wait
    conn.settle()
    bodies = [body for _, _, body in conn.responses()]
    assert bodies == [b'{"slow":true}', b'{"hello":"world"}', b'{"item_id":7,"q":"a"}']
    assert len(conn.transport.writes) == 3
    assert not conn.transport.closed
    conn.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")  # the connection is still usable
    assert len(conn.responses()) == 4


def test_sync_then_async_in_one_chunk(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(conn.transport.writes) == 1
    conn.settle()
    assert [s for s, _, _ in conn.responses()] == [200, 200]
    assert conn.responses()[1][2] == b'{"slow":true}'


def test_request_split_across_packets(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    for piece in (b"GET /ite", b"ms/4", b"2 HTTP/1.1\r\nHo", b"st: x\r\n", b"\r\n"):
        conn.send(piece)
    assert conn.responses()[0][2] == b'{"item_id":42,"q":""}'


def test_head_has_content_length_and_no_body(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    raw = conn.transport.data
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"content-length: 17\r\n" in raw
    assert raw.endswith(b"\r\n\r\n")
    [(_status, _headers, body)] = parse_responses(raw, head=True)
    assert body == b""


def test_not_found_via_fallback(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
    [(status, _headers, body)] = conn.responses()
    assert status == 404
    assert body == b'{"detail":"Not Found"}'
    assert conn.transport.data.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert not conn.transport.closed


def test_method_not_allowed_has_allow(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    [(status, headers, body)] = conn.responses()
    assert status == 405
    assert headers["allow"] == "GET, HEAD, OPTIONS"
    assert body == b'{"detail":"Method Not Allowed"}'


def test_path_params_are_matched_raw_and_decoded(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"GET /files/a%2Fb/c%20d HTTP/1.1\r\nHost: x\r\n\r\n")
    assert conn.responses()[0][2] == b'{"path":"a/b/c d"}'


def test_malformed_request_gets_400_and_close(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n")
    responses = conn.responses()
    assert [s for s, _, _ in responses] == [200, 400]  # the good request is answered first
    _status, headers, body = responses[1]
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert body == b'{"detail":"Bad Request"}'
    assert conn.transport.writes[1].startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert conn.transport.closed


def test_oversized_content_length_gets_413_and_close(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop, max_body_size=10)
    conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")
    [(status, headers, body)] = conn.responses()
    assert status == 413
    assert headers["connection"] == "close"
    assert b"Too Large" in body
    assert conn.transport.closed


def test_oversized_chunked_body_gets_413(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop, max_body_size=10)
    conn.send(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n"
    )
    [(status, _headers, _)] = conn.responses()
    assert status == 413
    assert conn.transport.closed


def test_chunked_body_is_reassembled(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
    conn.send(b"6\r\n world\r\n0\r\n\r\n")
    [(status, headers, body)] = conn.responses()
    assert status == 200
    assert body == b"hello world"
    assert headers["content-length"] == "11"


def test_connection_close_is_honoured(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(
        b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    [(_status, headers, _)] = conn.responses()  # nothing after the closing request
    assert headers["connection"] == "close"
    assert conn.transport.closed


def test_http10_closes_by_default(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"GET /hello HTTP/1.0\r\n\r\n")
    [(status, headers, _)] = conn.responses()
    assert status == 200
    assert "connection" not in headers  # HTTP/1.0 closes unless asked: hyper says nothing
    assert conn.transport.closed


def test_http10_keep_alive_on_request(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    [(_status, headers, _)] = conn.responses()
    assert headers["connection"] == "keep-alive"
    assert not conn.transport.closed


def test_keep_alive_zero_closes_after_each_response(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop, keep_alive=0)
    conn.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    assert conn.responses()[0][1]["connection"] == "close"
    assert conn.transport.closed


def test_invalid_response_header_becomes_500(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"GET /bad-header HTTP/1.1\r\nHost: x\r\n\r\n")
    [(status, headers, _body)] = conn.responses()
    assert status == 500
    assert "x-evil" not in headers and "set-cookie" not in headers


def test_malformed_route_result_becomes_500(loop: asyncio.AbstractEventLoop) -> None:
    def broken(request: Any) -> Any:
        return (200, [("content-type", "text/plain")], "not bytes")

    def raising(request: Any) -> Any:
        raise RuntimeError("boom")

    app = CompiledApp(
        routes=(
            *API.routes,
            type(API.routes[0])("GET", "/broken", broken, False),
            type(API.routes[0])("GET", "/raising", raising, False),
        ),
        fallback=API.fallback,
        render_error=API.render_error,
    )
    conn = Conn(loop, app=app)
    conn.send(b"GET /broken HTTP/1.1\r\nHost: x\r\n\r\nGET /raising HTTP/1.1\r\nHost: x\r\n\r\n")
    assert [s for s, _, _ in conn.responses()] == [500, 500]


def test_no_content_length_for_204(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"GET /no-content HTTP/1.1\r\nHost: x\r\n\r\n")
    assert conn.transport.data.startswith(b"HTTP/1.1 204 No Content\r\n")
    assert b"content-length" not in conn.transport.data


def test_expect_100_continue(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    )
    assert conn.transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    conn.send(b"abc")
    assert conn.responses()[-1][2] == b"abc"


def test_idle_keep_alive_timeout_closes(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop, keep_alive=0.05)
    conn.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    assert not conn.transport.closed
    conn.settle(0.15)
    assert conn.transport.closed


def test_pipelining_flow_control_pauses_reading(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(
        b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n" + b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n" * 40
    )
    assert conn.transport.paused
    conn.settle()
    assert len(conn.responses()) == 41
    assert not conn.transport.paused


def test_request_object_parts() -> None:
    request = Request(
        "GET",
        "/p",
        "a=1&b=x+y&a=2&c=&d=%C3%A9",
        None,
        b"",
        ("1.2.3.4", 5),
        [
            (b"Host", b"x"),
            (b"X-Multi", b"1"),
            (b"x-multi", b"2"),
            (b"Cookie", b"sid=abc; theme = dark ;flag; =v; ;last=1; last=2"),
            (b"X-Latin", b"caf\xe9"),
        ],
    )
    assert request.headers == {
        "host": "x",
        "x-multi": "1, 2",
        "x-latin": "café",
        "cookie": "sid=abc; theme = dark ;flag; =v; ;last=1; last=2",
    }
    assert request.query == {"a": "2", "b": "x y", "c": "", "d": "é"}
    assert request.query_multi == {"a": ["1", "2"], "b": ["x y"], "c": [""], "d": ["é"]}
    assert request.cookies == {"sid": "abc", "theme": "dark", "": "v", "last": "2"}
    assert request.state == {}
    assert request.state is request.state
    assert request.headers is request.headers
    empty = Request("GET", "/", "", None, b"", None, [])
    assert empty.query == {} and empty.query_multi == {} and empty.cookies == {}


def test_long_url_gets_414_and_too_many_headers_431(loop: asyncio.AbstractEventLoop) -> None:
    conn = Conn(loop)
    conn.send(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert conn.responses()[0][0] == 414
    assert conn.transport.closed
    conn = Conn(loop)
    conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"x-h: 1\r\n" * 101 + b"\r\n")
    assert conn.responses()[0][0] == 431
    assert conn.transport.closed


def test_graceful_shutdown(loop: asyncio.AbstractEventLoop) -> None:
    idle = Conn(loop)  # kept alive after one answer: closed at once
    idle.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    idle.state.stopping = True
    idle.protocol.shutdown()
    assert idle.transport.closed and len(idle.responses()) == 1
    fresh = Conn(loop)  # accepted just before the stop: its first request is still answered
    fresh.state.stopping = True
    fresh.protocol.shutdown()
    assert not fresh.transport.closed
    fresh.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    [(status, headers, _)] = fresh.responses()
    assert status == 200 and headers["connection"] == "close"
    assert fresh.transport.closed
    busy = Conn(loop)
    busy.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    busy.state.stopping = True
    busy.protocol.shutdown()
    assert not busy.transport.closed
    busy.settle()
    [(status, headers, _)] = busy.responses()
    assert status == 200 and headers["connection"] == "close"
    assert busy.transport.closed


def test_parse_query_matches_parse_qsl() -> None:
    for qs in (
        "a=1&b=2",
        "a",
        "&&a=&=b&c=1=2",
        "a=1;b=2",
        "=",
        "x&y=",
        "a+b=c%20d",
        "&",
        "%ff=%zz",
    ):
        assert parse_query(qs) == parse_qsl(qs, keep_blank_values=True, errors="replace")


def test_engine_template_round_trips() -> None:
    for source in ("/", "/a", "/a/{b}", "/a/{b}/c/{d:path}", "/items/{id}/"):
        for mode in ("strip", "append", "keep"):
            template = PathTemplate.parse(source, mode)  # type: ignore[arg-type]
            parsed = engine_template(template.engine_path)
            assert parsed.segments == template.segments
            assert parsed.engine_path == template.engine_path
