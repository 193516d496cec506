"""Streamed bodies, Server-Sent Events and files, on both engines."""

from __future__ import annotations

import socket

import httpx
import pytest

from .conftest import Server, wait_for
from .test_http import head_response

SMALL = b"0123456789abcdefghij"
BIG = bytes(range(256)) * 1200


def test_sync_stream(client: httpx.Client) -> None:
    r = client.get("/stream/sync")
    assert r.status_code == 200
    assert r.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in r.headers
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.content == b"abc"


def test_async_stream(client: httpx.Client) -> None:
    assert client.get("/stream/async?n=5").content == b"0;1;2;3;4;"


def test_driven_async_stream(server: Server, client: httpx.Client) -> None:
    """An async generator that never awaits is pulled in place (``StreamBody.inline``)."""
    r = client.get("/stream/driven?n=400")
    assert r.status_code == 200
    assert r.headers["transfer-encoding"] == "chunked"
    assert r.content == "".join(f"{i};" for i in range(400)).encode()
    assert head_response(server, "/stream/driven")[0] == 200  # and no body


def test_empty_chunks_do_not_end_the_body(client: httpx.Client) -> None:
    assert client.get("/stream/empty-chunks").content == b"ab"


def test_driven_stream_failing_midway_cuts_the_connection(
    server: Server, client: httpx.Client
) -> None:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(b"GET /stream/driven?n=5&fail=true HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    assert raw.startswith(b"HTTP/1.1 200")
    assert b"0;" in raw
    assert not raw.endswith(b"0\r\n\r\n")  # no last chunk: the client can tell it is cut
    assert client.get("/stream/driven?n=2").content == b"0;1;"  # the server goes on


def test_large_stream(client: httpx.Client) -> None:
    r = client.get("/stream/big")
    assert r.content == b"".join(bytes([i]) * 65536 for i in range(16))


def test_stream_then_keep_alive(client: httpx.Client) -> None:
    assert client.get("/stream/sync").content == b"abc"
    assert client.get("/").json() == {"message": "Hello, World!"}


def test_head_of_a_stream_has_no_body(server: Server) -> None:
    assert head_response(server, "/stream/sync")[0] == 200  # and no body


@pytest.mark.parametrize("kind", ["async", "sync", "driven"])
def test_client_disconnect_stops_the_generator(
    server: Server, client: httpx.Client, kind: str
) -> None:
    sock = socket.create_connection((server.host, server.port), timeout=5)
    sock.sendall(f"GET /stream/endless?kind={kind} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert sock.recv(4096)  # the head and the first chunks arrive
    sock.close()
    wait_for(
        lambda: f"{kind} closed" in client.get("/stream/events").json(),
        f"the {kind} generator to be closed",
        timeout=10,
    )


def test_server_sent_events(client: httpx.Client) -> None:
    r = client.get("/sse")
    assert r.headers["content-type"] == "text/event-stream"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["x-accel-buffering"] == "no"
    assert r.text == (
        'data: {"n":1}\n\nevent: update\nid: 2\ndata: two\ndata: lines\n\ndata: three\n\n'
    )


def test_sse_keep_alive_pings(client: httpx.Client) -> None:
    text = client.get("/sse/ping").text
    assert text.startswith(": ping\n\n")
    assert text.endswith("data: late\n\n")


def test_file_response(client: httpx.Client) -> None:
    r = client.get("/files/get/small.txt")
    assert r.status_code == 200
    assert r.content == SMALL
    assert (
        r.headers["content-type"] == "text/plain; charset=utf-8"
        or r.headers["content-type"] == "text/plain"
    )
    assert r.headers["content-length"] == "20"
    assert r.headers["accept-ranges"] == "bytes"
    assert "last-modified" in r.headers and "etag" in r.headers
    big = client.get("/files/get/big.bin")
    assert big.content == BIG
    assert big.headers["content-type"] == "application/octet-stream"


def test_file_head_and_download_name(client: httpx.Client) -> None:
    r = client.head("/files/get/big.bin")
    assert (r.status_code, r.content) == (200, b"")
    assert r.headers["content-length"] == str(len(BIG))
    r = client.get("/files/get/small.txt?download=true")
    assert r.headers["content-disposition"] == 'attachment; filename="small.txt"'


@pytest.mark.parametrize(
    ("range_header", "status", "content", "content_range"),
    [
        ("bytes=0-9", 206, SMALL[:10], "bytes 0-9/20"),
        ("bytes=15-", 206, SMALL[15:], "bytes 15-19/20"),
        ("bytes=-5", 206, SMALL[-5:], "bytes 15-19/20"),
        ("bytes=10-100", 206, SMALL[10:], "bytes 10-19/20"),
        ("bytes=0-0,5-6", 200, SMALL, None),
        ("bytes=30-40", 416, b"", "bytes */20"),
    ],
)
def test_file_ranges(
    client: httpx.Client, range_header: str, status: int, content: bytes, content_range: str | None
) -> None:
    r = client.get("/files/get/small.txt", headers={"range": range_header})
    assert r.status_code == status
    assert r.content == content
    assert r.headers.get("content-range") == content_range


def test_file_conditional_get(client: httpx.Client) -> None:
    first = client.get("/files/get/small.txt")
    r = client.get("/files/get/small.txt", headers={"if-none-match": first.headers["etag"]})
    assert (r.status_code, r.content) == (304, b"")
    r = client.get(
        "/files/get/small.txt", headers={"if-modified-since": first.headers["last-modified"]}
    )
    assert r.status_code == 304


def test_file_errors(client: httpx.Client) -> None:
    r = client.get("/files/get/nope.txt")
    assert (r.status_code, r.json()) == (404, {"detail": "File not found"})
    r = client.get("/files/outside")
    assert (r.status_code, r.json()) == (403, {"detail": "Permission denied"})


def test_in_memory_file(client: httpx.Client) -> None:
    r = client.get("/files/inline")
    assert r.content == SMALL
    assert r.headers["content-disposition"] == 'attachment; filename="small.txt"'
    assert r.headers["content-length"] == "20"
