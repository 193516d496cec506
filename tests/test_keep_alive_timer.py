"""The keep-alive timer times an idle connection only (issue 19: a request that had fully
arrived, waiting behind a slow handler, was reset when the keep-alive timeout ran out).

With ``--keep-alive 1``, a handler takes 2.5 s while the next request waits: both are
answered; after the last answer the connection idles and is closed about a second later.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from .conftest import Server, serve_api

REQUEST = "GET {} HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture(scope="module")
def server(engine: str) -> Iterator[Server]:
    srv = serve_api("tests.apps.slow_app:api", engine, "--keep-alive", "1")
    yield srv
    srv.stop()


def read_answers(sock: socket.socket, count: int) -> list[bytes]:
    """The bodies of ``count`` responses (each with a content-length), in order."""
    reader = sock.makefile("rb")
    bodies = []
    for _ in range(count):
        status = reader.readline()
        assert status.startswith(b"HTTP/1.1 200 "), status
        length = 0
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        bodies.append(reader.read(length))
    return bodies


def closed_after(sock: socket.socket) -> float:
    """Seconds until the server closes the (idle) connection."""
    start = time.monotonic()
    assert sock.recv(1) == b""
    return time.monotonic() - start


@pytest.mark.parametrize("slow", ["/sleep/2.5", "/block/2.5"])
def test_pipelined_request_behind_a_slow_handler_is_answered(server: Server, slow: str) -> None:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall((REQUEST.format(slow) + REQUEST.format("/fast")).encode())
        assert read_answers(sock, 2) == [b'{"slept":2.5}', b'{"fast":true}']
        assert 0.5 < closed_after(sock) < 3


@pytest.mark.parametrize("slow", ["/sleep/2.5", "/block/2.5"])
def test_request_sent_during_a_slow_handler_is_answered(server: Server, slow: str) -> None:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(REQUEST.format(slow).encode())
        time.sleep(0.5)
        sock.sendall(REQUEST.format("/fast").encode())
        assert read_answers(sock, 2) == [b'{"slept":2.5}', b'{"fast":true}']
        assert 0.5 < closed_after(sock) < 3
