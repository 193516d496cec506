"""HTTP/1.1 connection behaviour over raw sockets: keep-alive, pipelining, framing errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from .conftest import Server


@pytest.fixture
def conn(server: Server) -> Iterator[socket.socket]:
    sock = socket.create_connection((server.host, server.port), timeout=10)
    yield sock
    sock.close()


class Reader:
    """Reads HTTP/1.1 responses (Content-Length framed) off a socket, one at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def response(self, head_request: bool = False) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError(f"closed before a full response head: {self.buf!r}")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if head_request else int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            if not self._fill():
                raise ConnectionError("closed before the full body")
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body

    def closed(self) -> bool:
        """True when the peer closes the connection (nothing more arrives)."""
        try:
            return not self._fill() and not self.buf
        except ConnectionResetError:
            return True


def head_response(server: Server, path: str) -> tuple[int, dict[str, str]]:
    """``HEAD path`` over a raw socket (httpx never reads a body on HEAD, so it cannot tell
    whether one was sent): a ``GET /`` pipelined behind it must parse as the next response."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(
            f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        )
        reader = Reader(sock)
        status, headers, _ = reader.response(head_request=True)
        assert reader.response()[2] == b'{"message":"Hello, World!"}'
    return status, headers


def test_keep_alive_serves_several_requests(conn: socket.socket) -> None:
    reader = Reader(conn)
    for i in range(3):
        conn.sendall(f"GET /items/{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        status, headers, body = reader.response()
        assert status == 200
        assert body == f'{{"item_id":{i},"q":null}}'.encode()
        assert headers.get("connection", "keep-alive") != "close"


def test_pipelined_requests_are_answered_in_order(conn: socket.socket) -> None:
    requests = (
        b"GET /sleep?ms=50 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 22\r\n\r\n"
        b'{"name":"p","price":1}'
        b"GET /sleep?ms=1 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
        b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    conn.sendall(requests)
    reader = Reader(conn)
    assert reader.response()[2] == b'{"slept_ms":50}'
    assert reader.response()[2] == b'{"item_id":1,"q":null}'
    assert reader.response()[:3:2] == (201, b'{"name":"p","price":1.0,"tags":[]}')
    assert reader.response()[2] == b'{"slept_ms":1}'
    assert reader.response()[0] == 404
    status, headers, body = reader.response(head_request=True)
    assert (status, body) == (200, b"")
    assert headers["content-length"] == "27"


def test_pipelined_head_behind_a_slow_request(conn: socket.socket) -> None:
    """A HEAD queued behind a pending response and followed by another request.

    Each response must be framed by its own request (actix-http 3.20 framed them by the last
    request decoded, which is why the Rust engine once carried a patched copy of it).
    """
    conn.sendall(
        b"GET /sleep?ms=30 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    reader = Reader(conn)
    assert reader.response()[2] == b'{"slept_ms":30}'
    status, headers, _body = reader.response(head_request=True)
    assert (status, headers["content-length"]) == (200, "27")
    assert reader.response()[2] == b'{"item_id":2,"q":null}'


def test_connection_close_is_honoured(conn: socket.socket) -> None:
    conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    reader = Reader(conn)
    status, _, _ = reader.response()
    assert status == 200
    assert reader.closed()


def test_http_1_0_closes_by_default(conn: socket.socket) -> None:
    conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
    reader = Reader(conn)
    status, _, body = reader.response()
    assert status == 200
    assert body == b'{"message":"Hello, World!"}'
    assert reader.closed()


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_http_1_0_is_answered_in_its_version(conn: socket.socket) -> None:
    # RFC 9110 §6.2 allows HTTP/1.1 too; both engines answer as hyper (the Rust one's) does
    conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
    assert read_until_closed(conn).startswith(b"HTTP/1.0 200 OK\r\n")


def test_a_stream_to_http_1_0_is_not_chunked(conn: socket.socket) -> None:
    """RFC 9112 §6.1: an HTTP/1.0 client cannot decode chunked; the close ends the body."""
    conn.sendall(b"GET /stream/sync HTTP/1.0\r\n\r\n")
    head, _, body = read_until_closed(conn).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200 ")
    assert b"transfer-encoding" not in head.lower()
    assert body == b"abc"


def test_chunked_request_body(conn: socket.socket) -> None:
    payload = b'{"name":"chunky","price":2}'
    chunked = b"".join(
        [
            b"%x\r\n%s\r\n" % (len(payload[:10]), payload[:10]),
            b"%x\r\n%s\r\n" % (len(payload[10:]), payload[10:]),
            b"0\r\n\r\n",
        ]
    )
    conn.sendall(b"POST /items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
    status, _, body = Reader(conn).response()
    assert status == 201
    assert body == b'{"name":"chunky","price":2.0,"tags":[]}'


def test_expect_100_continue(conn: socket.socket) -> None:
    payload = b'{"name":"e","price":1}'
    conn.sendall(
        b"POST /items HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        b"Content-Length: %d\r\n\r\n" % len(payload)
    )
    reader = Reader(conn)
    status, _, _ = reader.response()
    assert status == 100
    conn.sendall(payload)
    status, _, body = reader.response()
    assert status == 201
    assert body == b'{"name":"e","price":1.0,"tags":[]}'


def test_expect_100_continue_is_ignored_on_http_1_0(conn: socket.socket) -> None:
    # RFC 9110 §10.1.1: a server must ignore 100-continue in an HTTP/1.0 request; the first
    # (and only) response is the final one.
    payload = b'{"name":"e","price":1}'
    conn.sendall(
        b"POST /items HTTP/1.0\r\nExpect: 100-continue\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)
    )
    reader = Reader(conn)
    status, _, body = reader.response()
    assert (status, body) == (201, b'{"name":"e","price":1.0,"tags":[]}')
    assert reader.closed()


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
    ],
)
def test_malformed_request_is_400_and_server_survives(
    server: Server, conn: socket.socket, raw: bytes
) -> None:
    conn.sendall(raw)
    reader = Reader(conn)
    status, _, _ = reader.response()
    assert status == 400
    assert reader.closed()
    assert server.alive()
    assert httpx.get(server.url + "/").status_code == 200


def test_declared_body_over_limit_is_413_before_upload(conn: socket.socket) -> None:
    conn.sendall(b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n")
    status, _headers, body = Reader(conn).response()
    assert status == 413
    assert body == b'{"detail":"Content Too Large"}'
