"""Both engines write the same status line for every status (issue 19: they disagreed on
413 and 414, and with the Python version): the reason phrase hyper writes (the ``http``
crate's canonical one), none for a status without one — never hyper's ``<none>``.

``bolt_py._response.REASONS`` is that table; the Rust engine passing this test shows it is
what hyper writes, the Python engine passing it shows bolt-py writes it on any Python.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from bolt_py._response import REASONS

from .conftest import Server, serve_api

#: Every status an app may answer with (1xx are interim responses, not a route's to send).
STATUSES = range(200, 600)


@pytest.fixture(scope="module")
def server(engine: str) -> Iterator[Server]:
    srv = serve_api("tests.apps.status_app:api", engine)
    yield srv
    srv.stop()


def status_lines(server: Server, codes: range) -> dict[int, bytes]:
    """The status line of ``GET /status/{code}`` for each code, over one connection."""
    lines: dict[int, bytes] = {}
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        reader = sock.makefile("rb")
        for code in codes:
            sock.sendall(b"GET /status/%d HTTP/1.1\r\nHost: x\r\n\r\n" % code)
            lines[code] = reader.readline()
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            reader.read(length)
    return lines


def test_every_status_line_is_the_shared_one(server: Server) -> None:
    lines = status_lines(server, STATUSES)
    wrong = {
        code: line
        for code, line in lines.items()
        if line != f"HTTP/1.1 {code} {REASONS.get(code, '')}\r\n".encode()
    }
    assert wrong == {}
    # the cases that differed: Python's own phrases, and hyper's placeholder
    assert lines[413] == b"HTTP/1.1 413 Payload Too Large\r\n"
    assert lines[414] == b"HTTP/1.1 414 URI Too Long\r\n"
    assert lines[299] == b"HTTP/1.1 299 \r\n"
