"""An error the engine answers itself (400, 408, 413, 414, 431) to a ``HEAD`` request carries
no body, as every answer to a HEAD (RFC 9110 §9.3.2; issue 19: both engines sent the JSON
body). Its ``content-length`` stays the one the GET would get, and the same request with
another method still gets the body.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from .conftest import Server, read_until_closed, serve_api


@pytest.fixture(scope="module")
def server(engine: str) -> Iterator[Server]:
    srv = serve_api("tests.apps.status_app:api", engine, "--header-timeout", "1")
    yield srv
    srv.stop()


def answer(server: Server, raw: bytes, *, half_close: bool = True) -> bytes:
    """Everything the server writes to ``raw`` until it closes the connection."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        try:
            sock.sendall(raw)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before taking it all
        return read_until_closed(sock)


def split(data: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    fields = dict(line.lower().split(b": ", 1) for line in lines[1:])
    return int(lines[0].split(b" ")[1]), fields, body


#: (status, request line and fields after the method) — each answered by the engine itself
CASES = {
    "bad host": (400, b" /status/200 HTTP/1.1\r\nHost: a:b\r\n\r\n"),
    "bad target byte": (400, b" /status\x01 HTTP/1.1\r\nHost: x\r\n\r\n"),
    "body too large": (
        413,
        b" /status/200 HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n",
    ),
    "target too long": (414, b" /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    "fields too large": (431, b" / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 70_000 + b"\r\n\r\n"),
}


@pytest.mark.parametrize("case", CASES)
def test_engine_error_to_head_has_no_body(server: Server, case: str) -> None:
    expected, rest = CASES[case]
    status, fields, body = split(answer(server, b"HEAD" + rest))
    assert status == expected
    assert body == b""
    get_status, get_fields, get_body = split(answer(server, b"GET" + rest))
    assert get_status == expected
    assert get_body and int(get_fields[b"content-length"]) == len(get_body)
    assert fields[b"content-length"] == get_fields[b"content-length"]


def test_header_timeout_408_to_a_head_has_no_body(server: Server) -> None:
    status, _, body = split(
        answer(server, b"HEAD /status/200 HTTP/1.1\r\nHost: x\r\n", half_close=False)
    )
    assert (status, body) == (408, b"")
    status, _, body = split(
        answer(server, b"GET /status/200 HTTP/1.1\r\nHost: x\r\n", half_close=False)
    )
    assert status == 408 and body


def test_a_method_llhttp_refuses_after_a_head_gets_the_body(server: Server) -> None:
    """llhttp leaves the previous request's method in place when it refuses the next one's."""
    data = answer(server, b"HEAD /status/200 HTTP/1.1\r\nHost: x\r\n\r\nHEAD\t/ HTTP/1.1\r\n\r\n")
    first, _, rest = data.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200 ")
    status, fields, body = split(rest)
    assert status == 400
    assert len(body) == int(fields[b"content-length"]) > 0
