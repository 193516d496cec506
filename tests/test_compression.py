"""Compression negotiated by bolt-api, identical on both engines."""

from __future__ import annotations

import gzip
import json
import socket

import httpx
import pytest

from .conftest import Server
from .test_http import Reader

BIG = [{"id": i, "name": f"item {i}", "tags": ["a", "b", "c"]} for i in range(200)]


def raw_get(client: httpx.Client, path: str, accept: str | None) -> httpx.Response:
    headers = {"accept-encoding": accept} if accept is not None else {"accept-encoding": ""}
    with client.stream("GET", path, headers=headers) as r:
        r.raw_body = b"".join(r.iter_raw())  # type: ignore[attr-defined]
        return r


def test_gzip_when_accepted(client: httpx.Client) -> None:
    r = raw_get(client, "/compress/big", "gzip, deflate")
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    body = r.raw_body  # type: ignore[attr-defined]
    assert int(r.headers["content-length"]) == len(body)
    assert json.loads(gzip.decompress(body)) == BIG


@pytest.mark.parametrize("accept", ["", "identity", "gzip;q=0", "br"])
def test_identity_when_gzip_is_not_accepted(client: httpx.Client, accept: str) -> None:
    r = raw_get(client, "/compress/big", accept)
    assert "content-encoding" not in r.headers
    assert r.headers["vary"] == "Accept-Encoding"
    assert json.loads(r.raw_body) == BIG  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["/compress/big", "/compress/awaits", "/compress/scoped"])
def test_sync_and_async_routes_alike(client: httpx.Client, path: str) -> None:
    """Compression is built into every kind of route callable (sync, async, with
    dependencies): the same bytes whichever it is."""
    r = raw_get(client, path, "gzip")
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert json.loads(gzip.decompress(r.raw_body)) == BIG  # type: ignore[attr-defined]


@pytest.mark.parametrize(("size", "encoded"), [(600, True), (10, False)])
def test_error_responses_are_compressed_too(client: httpx.Client, size: int, encoded: bool) -> None:
    r = raw_get(client, f"/compress/error?n={size}", "gzip")
    assert r.status_code == 409
    body = r.raw_body  # type: ignore[attr-defined]
    assert (r.headers.get("content-encoding") == "gzip") is encoded
    assert json.loads(gzip.decompress(body) if encoded else body) == {"detail": "e" * size}


def test_wildcard_accepts_gzip(client: httpx.Client) -> None:
    assert raw_get(client, "/compress/big", "*").headers["content-encoding"] == "gzip"


@pytest.mark.parametrize("path", ["/", "/compress/off", "/compress/png"])
def test_skipped_responses(client: httpx.Client, path: str) -> None:
    r = raw_get(client, path, "gzip")
    assert "content-encoding" not in r.headers
    assert "vary" not in r.headers


def test_streams_are_compressed_per_chunk(client: httpx.Client) -> None:
    r = raw_get(client, "/stream/async?n=200", "gzip")
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["transfer-encoding"] == "chunked"
    assert (
        gzip.decompress(r.raw_body)
        == "".join(  # type: ignore[attr-defined]
            f"{i};" for i in range(200)
        ).encode()
    )
    # binary (application/octet-stream) streams are left alone
    assert "content-encoding" not in raw_get(client, "/stream/big", "gzip").headers


def test_head_matches_get(client: httpx.Client) -> None:
    get = raw_get(client, "/compress/big", "gzip")
    head = client.head("/compress/big", headers={"accept-encoding": "gzip"})
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize(
    ("header_lines", "encoded"),
    [
        ("", False),  # no Accept-Encoding at all
        ("ACCEPT-ENCODING: gzip\r\n", True),  # names are case-insensitive
        ("Accept-Encoding: identity\r\nAccept-Encoding: gzip\r\n", True),  # repeats are joined
        ("Accept-Encoding: br\r\naccept-encoding: gzip;q=0\r\n", False),
    ],
)
def test_accept_encoding_as_sent(server: Server, header_lines: str, encoded: bool) -> None:
    """The header as it arrives on the wire (absent, upper-case, repeated), which httpx
    cannot send: engines hand compression ``request.accept_encoding`` for it."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(f"GET /compress/big HTTP/1.1\r\nHost: x\r\n{header_lines}\r\n".encode())
        _, headers, body = Reader(sock).response()  # framed by its content-length
    assert headers["vary"] == "Accept-Encoding"
    if encoded:
        assert headers["content-encoding"] == "gzip"
        body = gzip.decompress(body)
    else:
        assert "content-encoding" not in headers
    assert json.loads(body) == BIG
