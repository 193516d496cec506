"""WebSocket conformance (ENGINE_CONTRACT.md §8): both engines, over real sockets.

The client side is written here by hand — a few lines of RFC 6455 framing (masking, lengths)
— so a test can send exactly the frame it wants, broken ones included; ``websockets`` is the
real client of one round trip. The app is ``tests.apps.ws_contract`` (raw ``WebSocketCall``
routes; what a route saw is read back at ``GET /seen/{cid}``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import os
import re
import signal
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import Server, serve_api, wait_for

APP = "tests.apps.ws_contract:api"
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
_cids = itertools.count()


def new_cid() -> str:
    return f"c{os.getpid()}-{next(_cids)}-{time.monotonic_ns()}"


def frame(
    opcode: int, payload: bytes = b"", *, fin: bool = True, mask: bool = True, rsv: int = 0
) -> bytes:
    """One client frame: ``rsv`` is the three reserved bits (0-7), masked unless told not."""
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    bit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([bit | n])
    elif n < 1 << 16:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()


class WS:
    """A raw client connection: the handshake's answer, then the server's frames."""

    def __init__(self, sock: socket.socket, status: int, headers: dict[str, str], rest: bytes):
        self.sock = sock
        self.status = status
        self.headers = headers
        self.buf = rest

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the TCP connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self, timeout: float = 5.0) -> tuple[bool, int, bytes]:
        """``(fin, opcode, payload)`` of the server's next frame (server frames are unmasked)."""
        self.sock.settimeout(timeout)
        b0, b1 = self._read(2)
        assert b1 & 0x80 == 0, "a server frame must not be masked"
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._read(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._read(8))
        return bool(b0 & 0x80), b0 & 0x0F, self._read(n)

    def recv_message(self, timeout: float = 5.0) -> tuple[int, bytes]:
        """The next data message (fragments joined), skipping pings; a close is returned too."""
        opcode, data = None, b""
        while True:
            fin, op, payload = self.recv_frame(timeout)
            if op in (PING, PONG):
                continue
            if op == CLOSE:
                return CLOSE, payload
            if opcode is None:
                opcode = op
            data += payload
            if fin:
                return opcode, data

    def expect_close(self, timeout: float = 5.0) -> tuple[int, str]:
        """Read until the server's close frame; answer it; return its code and reason."""
        while True:
            _, op, payload = self.recv_frame(timeout)
            if op == CLOSE:
                break
        code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        with contextlib.suppress(OSError):
            self.send(frame(CLOSE, payload[:2]))
        return code, payload[2:].decode()

    def expect_eof(self, timeout: float = 5.0) -> None:
        """The server closes the TCP connection within ``timeout`` (after its close frame)."""
        self.sock.settimeout(timeout)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return
            if not chunk:
                return

    def close(self) -> None:
        self.sock.close()


def read_head(sock: socket.socket, buf: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Read one response head: status, headers (lower-cased, repeated ones joined with ', '),
    and what came after the head."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a full head: {buf!r}")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return status, headers, rest


def read_body(sock: socket.socket, headers: dict[str, str], rest: bytes) -> tuple[bytes, bytes]:
    """A content-length body (what every answer here has), and what came after it."""
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return rest[:n], rest[n:]


def handshake_bytes(
    path: str, key: str, extra: tuple[tuple[str, str], ...] = (), *, upgrade: bool = True
) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: localhost"]
    if upgrade:
        lines += [
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
    lines += [f"{name}: {value}" for name, value in extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def connect(srv: Server, path: str, *extra: tuple[str, str], timeout: float = 5.0) -> WS:
    """Open a TCP connection, send the handshake for ``path``, read the answer's head."""
    sock = socket.create_connection((srv.host, srv.port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(handshake_bytes(path, key, extra))
    status, headers, rest = read_head(sock)
    ws = WS(sock, status, headers, rest)
    if status == 101:
        expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        assert headers.get("sec-websocket-accept") == expected
    return ws


def seen(srv: Server, cid: str, until_disconnect: bool = True) -> dict[str, Any]:
    """What the route saw for ``cid``; waits for its disconnect event unless told not."""
    result: dict[str, Any] = {}

    def ready() -> bool:
        result.update(httpx.get(f"{srv.url}/seen/{cid}", timeout=5).json())
        if not result.get("found"):
            return False
        events = result["events"]
        return not until_disconnect or events[-1]["type"] == "websocket.disconnect"

    wait_for(ready, f"the route to record {cid}")
    return result


@pytest.fixture(scope="module")
def wsserver(engine: str) -> Iterator[Server]:
    """The contract app with small limits, shared by the tests that do not stop it."""
    srv = serve_api(
        APP,
        engine,
        "--ws-max-message-size",
        "4096",
        "--ws-heartbeat-interval",
        "0",
        "--ws-client-timeout",
        "0",
    )
    yield srv
    srv.stop()


# -- the handshake ---------------------------------------------------------------------------


def test_handshake_accepts_with_subprotocol(wsserver: Server) -> None:
    cid = new_cid()
    ws = connect(wsserver, f"/ws/echo?cid={cid}", ("Sec-WebSocket-Protocol", "chat, superchat"))
    try:
        assert ws.status == 101
        assert ws.headers["upgrade"].lower() == "websocket"
        assert ws.headers["connection"].lower() == "upgrade"
        assert ws.headers["sec-websocket-protocol"] == "chat"
        assert ws.headers["x-accepted"] == "1"
        assert "date" in ws.headers
        assert "content-length" not in ws.headers
        assert "sec-websocket-extensions" not in ws.headers  # none offered
        ws.send(frame(CLOSE, close_payload(1000)))
        assert ws.expect_close() == (1000, "")
    finally:
        ws.close()
    events = seen(wsserver, cid)["events"]
    assert events[0] == {"type": "websocket.connect"}
    assert events[-1] == {"type": "websocket.disconnect", "code": 1000, "reason": ""}


def test_handshake_without_subprotocol(wsserver: Server) -> None:
    ws = connect(wsserver, "/ws/echo")
    try:
        assert ws.status == 101
        assert "sec-websocket-protocol" not in ws.headers
    finally:
        ws.close()


def test_denial_is_plain_http(wsserver: Server) -> None:
    ws = connect(wsserver, f"/ws/deny?cid={new_cid()}")
    try:
        assert ws.status == 403
        assert ws.headers["content-type"] == "application/json"
        assert ws.headers["connection"].lower() == "close"
        body, _ = read_body(ws.sock, ws.headers, ws.buf)
        assert json.loads(body) == {"detail": "denied"}
        ws.buf = b""
        ws.expect_eof()
    finally:
        ws.close()


def test_silent_route_gets_500(wsserver: Server) -> None:
    ws = connect(wsserver, "/ws/silent")
    try:
        assert ws.status == 500
    finally:
        ws.close()


def test_unknown_ws_path_is_plain_404_kept_alive(wsserver: Server) -> None:
    ws = connect(wsserver, "/ws/nowhere")
    try:
        assert ws.status == 404
        assert ws.headers.get("connection", "").lower() != "upgrade"
        _, rest = read_body(ws.sock, ws.headers, ws.buf)
        # the same connection still serves HTTP: the HTTP route that shares /ws/echo's path
        ws.sock.sendall(b"GET /ws/echo HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status, headers, rest = read_head(ws.sock, rest)
        body, _ = read_body(ws.sock, headers, rest)
        assert status == 200
        assert json.loads(body) == {"http": True}
    finally:
        ws.close()


def test_http_route_sharing_a_ws_path(wsserver: Server) -> None:
    response = httpx.get(wsserver.url + "/ws/echo")
    assert response.status_code == 200
    assert response.json() == {"http": True}
    # a path with only a WebSocket route is unknown to plain HTTP: 404, not 405
    assert httpx.get(wsserver.url + "/ws/wait").status_code == 404
    assert httpx.post(wsserver.url + "/ws/wait").status_code == 404


@pytest.mark.parametrize(
    "head",
    [
        "POST /ws/wait HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
        "Content-Length: 0\r\n\r\n",
        "GET /ws/wait HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
        "GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n",
    ],
    ids=["post", "http10", "h2c"],
)
def test_other_upgrades_are_refused(wsserver: Server, head: str) -> None:
    """Only an HTTP/1.1 GET asking for websocket is a WebSocket request; any other request
    asking for an upgrade is refused as before (400), WebSocket routes or not."""
    sock = socket.create_connection((wsserver.host, wsserver.port), timeout=5)
    try:
        sock.sendall(head.encode())
        status, headers, _ = read_head(sock)
        assert status == 400
        assert "sec-websocket-accept" not in headers
    finally:
        sock.close()


@pytest.mark.parametrize(
    "framing", [("Content-Length", "5"), ("Transfer-Encoding", "chunked")], ids=["cl", "te"]
)
def test_handshake_with_body_is_400(wsserver: Server, framing: tuple[str, str]) -> None:
    sock = socket.create_connection((wsserver.host, wsserver.port), timeout=5)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        body = b"hello" if framing[0] == "Content-Length" else b"5\r\nhello\r\n0\r\n\r\n"
        sock.sendall(handshake_bytes("/ws/echo", key, (framing,)) + body)
        status, headers, _ = read_head(sock)
        assert status == 400
        assert "sec-websocket-accept" not in headers
    finally:
        sock.close()


# -- messages ---------------------------------------------------------------------------------


def test_echo_text_and_bytes(wsserver: Server) -> None:
    cid = new_cid()
    ws = connect(wsserver, f"/ws/echo?cid={cid}")
    try:
        assert ws.status == 101
        ws.send(frame(TEXT, "héllo".encode()))
        assert ws.recv_message() == (TEXT, "héllo".encode())
        ws.send(frame(BINARY, b"\x00\xff\x10"))
        assert ws.recv_message() == (BINARY, b"\x00\xff\x10")
        ws.send(frame(TEXT, b""))
        assert ws.recv_message() == (TEXT, b"")
        big = os.urandom(3000)  # a 16-bit length, under the 4096 limit
        ws.send(frame(BINARY, big))
        assert ws.recv_message() == (BINARY, big)
        ws.send(frame(CLOSE, close_payload(1000)))
        assert ws.expect_close()[0] == 1000
    finally:
        ws.close()
    events = seen(wsserver, cid)["events"]
    assert events[1] == {"type": "websocket.receive", "text": "héllo"}
    assert events[2] == {"type": "websocket.receive", "bytes": "\x00\xff\x10"}


def test_fragments_are_joined_with_a_ping_between(wsserver: Server) -> None:
    ws = connect(wsserver, "/ws/echo")
    try:
        ws.send(frame(TEXT, b"hel", fin=False))
        ws.send(frame(PING, b"mid"))
        ws.send(frame(CONT, b"l", fin=False))
        ws.send(frame(CONT, b"o"))
        assert ws.recv_frame() == (True, PONG, b"mid")
        assert ws.recv_message() == (TEXT, b"hello")
        # a UTF-8 sequence split across fragments is one valid character
        euro = "€".encode()
        ws.send(frame(TEXT, euro[:2], fin=False))
        ws.send(frame(CONT, euro[2:]))
        assert ws.recv_message() == (TEXT, euro)
        ws.send(frame(BINARY, b"ab", fin=False))
        ws.send(frame(CONT, b"cd"))
        assert ws.recv_message() == (BINARY, b"abcd")
    finally:
        ws.close()


def test_many_messages_in_one_write(wsserver: Server) -> None:
    """Thousands of messages in one read: the engine buffers a few for the route and parses
    the rest as the route takes them; none is lost, the order is kept."""
    ws = connect(wsserver, "/ws/echo")
    try:
        count = 3000
        ws.send(b"".join(frame(TEXT, str(i).encode()) for i in range(count)))
        for i in range(count):
            assert ws.recv_message(timeout=10) == (TEXT, str(i).encode())
    finally:
        ws.close()


def test_frames_sent_with_the_handshake(wsserver: Server) -> None:
    """Frames that come in the same write as the handshake are kept for after the accept."""
    sock = socket.create_connection((wsserver.host, wsserver.port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(handshake_bytes("/ws/echo", key) + frame(TEXT, b"early") + frame(BINARY, b"b"))
    status, headers, rest = read_head(sock)
    ws = WS(sock, status, headers, rest)
    try:
        assert status == 101
        assert ws.recv_message() == (TEXT, b"early")
        assert ws.recv_message() == (BINARY, b"b")
    finally:
        ws.close()


def test_ping_answered_with_pong(wsserver: Server) -> None:
    ws = connect(wsserver, "/ws/echo")
    try:
        ws.send(frame(PING, b"are you there"))
        assert ws.recv_frame() == (True, PONG, b"are you there")
        ws.send(frame(PING))
        assert ws.recv_frame() == (True, PONG, b"")
    finally:
        ws.close()


def test_handler_closes_with_its_code(wsserver: Server) -> None:
    cid = new_cid()
    ws = connect(wsserver, f"/ws/echo?cid={cid}")
    try:
        ws.send(frame(TEXT, b"close 4001 done here"))
        assert ws.expect_close() == (4001, "done here")
        ws.expect_eof()
    finally:
        ws.close()
    assert seen(wsserver, cid)["events"][-1]["type"] == "websocket.disconnect"


# -- protocol errors --------------------------------------------------------------------------

PROTOCOL_ERRORS = {
    "unmasked": [frame(TEXT, b"hi", mask=False)],
    "rsv1-without-extension": [frame(TEXT, b"hi", rsv=4)],
    "rsv2": [frame(BINARY, b"hi", rsv=2)],
    "long-ping": [frame(PING, b"x" * 126)],
    "fragmented-ping": [frame(PING, b"x", fin=False)],
    "unknown-opcode": [frame(0x3, b"x")],
    "unknown-control-opcode": [frame(0xB, b"x")],
    "continuation-without-start": [frame(CONT, b"x")],
    "new-message-inside-fragmented": [frame(TEXT, b"a", fin=False), frame(TEXT, b"b")],
    "bad-close-code": [frame(CLOSE, close_payload(1004))],
    "close-code-999": [frame(CLOSE, close_payload(999))],
    "one-byte-close": [frame(CLOSE, b"\x03")],
}


@pytest.mark.parametrize("frames", PROTOCOL_ERRORS.values(), ids=PROTOCOL_ERRORS.keys())
def test_protocol_error_closes_1002(wsserver: Server, frames: list[bytes]) -> None:
    cid = new_cid()
    ws = connect(wsserver, f"/ws/echo?cid={cid}")
    try:
        assert ws.status == 101
        for data in frames:
            ws.send(data)
        assert ws.expect_close()[0] == 1002
        ws.expect_eof()
    finally:
        ws.close()
    assert seen(wsserver, cid)["events"][-1]["type"] == "websocket.disconnect"


UTF8_ERRORS = {
    "text": [frame(TEXT, b"ok \xff")],
    "split-sequence": [frame(TEXT, b"\xe2\x82", fin=False), frame(CONT, b"\x28")],
    "close-reason": [frame(CLOSE, struct.pack("!H", 1000) + b"\xc3\x28")],
}


@pytest.mark.parametrize("frames", UTF8_ERRORS.values(), ids=UTF8_ERRORS.keys())
def test_invalid_utf8_closes_1007(wsserver: Server, frames: list[bytes]) -> None:
    ws = connect(wsserver, "/ws/echo")
    try:
        for data in frames:
            ws.send(data)
        assert ws.expect_close()[0] == 1007
    finally:
        ws.close()


@pytest.mark.parametrize("fragmented", [False, True], ids=["whole", "fragments"])
def test_message_over_max_size_closes_1009(wsserver: Server, fragmented: bool) -> None:
    cid = new_cid()
    ws = connect(wsserver, f"/ws/echo?cid={cid}")
    try:
        ws.send(frame(BINARY, b"x" * 4096))  # at the limit: fine
        assert ws.recv_message() == (BINARY, b"x" * 4096)
        if fragmented:
            ws.send(frame(BINARY, b"x" * 3000, fin=False))
            ws.send(frame(CONT, b"x" * 3000))
        else:
            ws.send(frame(BINARY, b"x" * 5000))
        assert ws.expect_close()[0] == 1009
    finally:
        ws.close()
    last = seen(wsserver, cid)["events"][-1]
    assert (last["type"], last["code"]) == ("websocket.disconnect", 1009)


# -- how the handler ends ---------------------------------------------------------------------


def test_return_closes_1000(wsserver: Server) -> None:
    ws = connect(wsserver, "/ws/return")
    try:
        assert ws.status == 101
        assert ws.expect_close()[0] == 1000
        ws.expect_eof()
    finally:
        ws.close()


def test_raise_closes_1011(wsserver: Server) -> None:
    ws = connect(wsserver, "/ws/raise")
    try:
        assert ws.status == 101
        assert ws.expect_close()[0] == 1011
        ws.expect_eof()
    finally:
        ws.close()


@pytest.mark.parametrize(
    ("payload", "code", "reason"),
    [(close_payload(4000, "bye"), 4000, "bye"), (b"", 1005, ""), (None, 1006, "")],
    ids=["client-code", "no-code", "dropped"],
)
def test_disconnect_code_seen_by_handler(
    wsserver: Server, payload: bytes | None, code: int, reason: str
) -> None:
    cid = new_cid()
    ws = connect(wsserver, f"/ws/wait?cid={cid}")
    try:
        assert ws.status == 101
        ws.send(frame(TEXT, b"first"))
        if payload is not None:
            ws.send(frame(CLOSE, payload))
            _, op, echoed = ws.recv_frame()
            assert op == CLOSE
            if payload:
                assert echoed[:2] == payload[:2]
            ws.expect_eof()
    finally:
        ws.close()
    events = seen(wsserver, cid)["events"]
    assert events[1] == {"type": "websocket.receive", "text": "first"}
    assert events[-1] == {"type": "websocket.disconnect", "code": code, "reason": reason}


def test_back_pressure_stalls_send(wsserver: Server) -> None:
    """A client that does not read: the handler's send() waits, memory stays bounded; once
    the client reads, every message arrives, then the close."""
    cid = new_cid()
    count, size = 400, 65536
    sock = socket.create_connection((wsserver.host, wsserver.port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(handshake_bytes(f"/ws/flood?cid={cid}&n={count}&size={size}", key))
    status, headers, rest = read_head(sock)
    ws = WS(sock, status, headers, rest)
    try:
        assert status == 101
        time.sleep(1.0)
        stalled = seen(wsserver, cid, until_disconnect=False)["sent"]
        assert stalled < count
        got = 0
        while True:
            op, data = ws.recv_message(timeout=10)
            if op == CLOSE:
                assert struct.unpack("!H", data[:2])[0] == 1000
                break
            assert len(data) == size
            got += 1
        assert got == count
        ws.send(frame(CLOSE, close_payload(1000)))
    finally:
        ws.close()
    assert seen(wsserver, cid)["sent"] == count


def test_send_on_a_closed_connection_raises(wsserver: Server) -> None:
    """The client leaves while the route floods it: a later send() raises an OSError (the
    route records its name) instead of buffering forever; the route sees 1006."""
    cid = new_cid()
    sock = socket.create_connection((wsserver.host, wsserver.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(handshake_bytes(f"/ws/flood?cid={cid}&n=2000&size=65536", key))
    status, _, _ = read_head(sock)
    assert status == 101
    wait_for(lambda: httpx.get(f"{wsserver.url}/seen/{cid}").json()["sent"] > 0, "a send")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # a reset: no close frame
    result = seen(wsserver, cid)
    assert result["error"] is not None
    assert result["sent"] < 2000
    assert result["events"][-1]["code"] == 1006


def test_client_close_while_route_is_stalled(wsserver: Server) -> None:
    """A client that does not read sends its close while the route waits in send(): the
    route sees the client's code and its send() raises, rather than waiting forever."""
    cid = new_cid()
    sock = socket.create_connection((wsserver.host, wsserver.port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(handshake_bytes(f"/ws/flood?cid={cid}&n=2000&size=65536", key))
    try:
        status, _, _ = read_head(sock)
        assert status == 101
        wait_for(lambda: httpx.get(f"{wsserver.url}/seen/{cid}").json()["sent"] > 0, "a send")
        sock.sendall(frame(CLOSE, close_payload(4000, "enough")))
        result = seen(wsserver, cid)
        assert result["error"] is not None
        assert result["events"][-1] == {
            "type": "websocket.disconnect",
            "code": 4000,
            "reason": "enough",
        }
    finally:
        sock.close()


# -- a real client ----------------------------------------------------------------------------


def test_websockets_library_round_trip(wsserver: Server) -> None:
    from websockets.exceptions import ConnectionClosedError
    from websockets.sync.client import connect as ws_connect

    url = f"ws://{wsserver.host}:{wsserver.port}/ws/echo?cid={new_cid()}"
    with ws_connect(url, subprotocols=["chat"], open_timeout=5) as client:  # type: ignore[list-item]
        assert client.subprotocol == "chat"
        client.send("hello")
        assert client.recv(timeout=5) == "hello"
        client.send(b"\x01\x02" * 1000)
        assert client.recv(timeout=5) == b"\x01\x02" * 1000
        client.send(b"\x01\x02" * 5000)  # over the 4096-byte limit: the server closes 1009
        with pytest.raises(ConnectionClosedError) as info:
            client.recv(timeout=5)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1009


def test_per_message_deflate_is_off_by_default(wsserver: Server) -> None:
    """The client offers permessage-deflate; ``ws_per_message_deflate`` is off by default."""
    from websockets.sync.client import connect as ws_connect

    url = f"ws://{wsserver.host}:{wsserver.port}/ws/echo?cid={new_cid()}"
    with ws_connect(url, open_timeout=5) as client:
        assert "sec-websocket-extensions" not in client.response.headers
        client.send("plain " * 100)
        assert client.recv(timeout=5) == "plain " * 100


def test_rust_engine_refuses_per_message_deflate() -> None:
    """A setting the engine cannot honour stops it at start (ENGINE_CONTRACT.md §8)."""
    with pytest.raises(RuntimeError, match="cannot negotiate permessage-deflate"):
        serve_api(APP, "rust", "--ws-per-message-deflate").stop()


def test_python_engine_with_per_message_deflate() -> None:
    """``--ws-per-message-deflate``: the Python engine negotiates RFC 7692 (the Rust engine
    refuses the setting, above)."""
    from websockets.exceptions import ConnectionClosedError
    from websockets.sync.client import connect as ws_connect

    srv = serve_api(APP, "python", "--ws-per-message-deflate")
    try:
        url = f"ws://{srv.host}:{srv.port}/ws/echo"
        with ws_connect(url, open_timeout=5) as client:
            extensions = client.response.headers.get("sec-websocket-extensions", "")
            assert "permessage-deflate" in extensions
            text = "compress me " * 200
            client.send(text)
            assert client.recv(timeout=5) == text
            client.send(b"\x00" * 10000)
            assert client.recv(timeout=5) == b"\x00" * 10000
            # a message that inflates beyond ws_max_message_size (1 MiB): 1009
            client.send(b"\x00" * (3 << 20))
            with pytest.raises(ConnectionClosedError) as info:
                client.recv(timeout=5)
            assert info.value.rcvd is not None and info.value.rcvd.code == 1009
    finally:
        srv.stop()


# -- limits and timers ------------------------------------------------------------------------


def test_max_connections_503(engine: str) -> None:
    srv = serve_api(APP, engine, "--ws-max-connections", "2")
    opened: list[WS] = []
    try:
        for _ in range(2):
            opened.append(connect(srv, "/ws/wait"))
            assert opened[-1].status == 101
        extra = connect(srv, f"/ws/wait?cid={(cid := new_cid())}")
        opened.append(extra)
        assert extra.status == 503
        assert httpx.get(f"{srv.url}/seen/{cid}").json() == {"found": False}
        # one closes: a new one fits again
        opened[0].send(frame(CLOSE, close_payload(1000)))
        opened[0].expect_close()
        opened[0].expect_eof()

        def fits() -> bool:
            ws = connect(srv, "/ws/wait")
            opened.append(ws)
            return ws.status == 101

        wait_for(fits, "a freed WebSocket slot", timeout=5)
    finally:
        for ws in opened:
            ws.close()
        srv.stop()


def test_heartbeat_pings(engine: str) -> None:
    srv = serve_api(APP, engine, "--ws-heartbeat-interval", "0.2", "--ws-client-timeout", "0")
    try:
        ws = connect(srv, "/ws/wait")
        try:
            start = time.monotonic()
            pings = 0
            while pings < 2:
                _fin, op, payload = ws.recv_frame(timeout=3)
                if op == PING:
                    pings += 1
                    ws.send(frame(PONG, payload))
            assert time.monotonic() - start < 3
        finally:
            ws.close()
    finally:
        srv.stop()


def test_silent_client_closed_1001(engine: str) -> None:
    srv = serve_api(APP, engine, "--ws-heartbeat-interval", "0", "--ws-client-timeout", "0.5")
    try:
        cid = new_cid()
        ws = connect(srv, f"/ws/wait?cid={cid}")
        try:
            start = time.monotonic()
            assert ws.expect_close(timeout=5)[0] == 1001
            assert 0.3 < time.monotonic() - start < 5
        finally:
            ws.close()
        assert seen(srv, cid)["events"][-1]["code"] == 1001
    finally:
        srv.stop()


def test_pongs_keep_a_client_alive(engine: str) -> None:
    """Answering the heartbeat pings counts as hearing from the client."""
    srv = serve_api(APP, engine, "--ws-heartbeat-interval", "0.2", "--ws-client-timeout", "0.7")
    try:
        ws = connect(srv, "/ws/wait")
        try:
            end = time.monotonic() + 1.5
            while time.monotonic() < end:
                _, op, payload = ws.recv_frame(timeout=2)
                assert op == PING, "closed although the client answered every ping"
                ws.send(frame(PONG, payload))
        finally:
            ws.close()
    finally:
        srv.stop()


def test_header_timeout_stops_after_upgrade(engine: str) -> None:
    """A WebSocket outlives --keep-alive and --header-timeout."""
    srv = serve_api(
        APP,
        engine,
        "--keep-alive",
        "0.3",
        "--header-timeout",
        "0.3",
        "--ws-heartbeat-interval",
        "0",
        "--ws-client-timeout",
        "0",
    )
    try:
        ws = connect(srv, "/ws/echo")
        try:
            time.sleep(1.0)
            ws.send(frame(TEXT, b"still here"))
            assert ws.recv_message() == (TEXT, b"still here")
        finally:
            ws.close()
    finally:
        srv.stop()


# -- stopping and the access log --------------------------------------------------------------


def test_graceful_stop_closes_1001(engine: str) -> None:
    srv = serve_api(APP, engine, "--ws-heartbeat-interval", "0", "--ws-client-timeout", "0")
    sockets: list[WS] = []
    try:
        for _ in range(2):
            sockets.append(connect(srv, "/ws/wait"))
            assert sockets[-1].status == 101
        srv.process.send_signal(signal.SIGTERM)
        for ws in sockets:
            assert ws.expect_close(timeout=5)[0] == 1001
            ws.expect_eof()
        srv.process.wait(timeout=10)
    finally:
        for ws in sockets:
            ws.close()
        srv.stop()


ACCESS = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d{3}) ')


def test_access_log_line_per_handshake(engine: str) -> None:
    srv = serve_api(APP, engine, "--access-log")
    try:
        ws = connect(srv, "/ws/echo?cid=log")
        assert ws.status == 101
        ws.send(frame(TEXT, b"a"))
        ws.recv_message()
        ws.send(frame(CLOSE, close_payload(1000)))
        ws.expect_close()
        ws.close()
        denied = connect(srv, "/ws/deny")
        assert denied.status == 403
        denied.close()
    finally:
        output = srv.stop()
    lines = [m.groupdict() for m in map(ACCESS.search, output.splitlines()) if m]
    assert {"request": "GET /ws/echo?cid=log HTTP/1.1", "status": "101"} in lines
    assert {"request": "GET /ws/deny HTTP/1.1", "status": "403"} in lines
    assert len([line for line in lines if "/ws/echo" in line["request"]]) == 1
