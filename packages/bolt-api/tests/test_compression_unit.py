"""Tier one: encoding negotiation and the three backends, without a server."""

from __future__ import annotations

import gzip

import brotli
import pytest
import zstandard
from bolt_api.compression import CompressionConfig, Compressor, parse_accept_encoding
from bolt_api.engine import StreamBody


class Req:
    """What compression reads of a request."""

    def __init__(self, accept: str) -> None:
        self.accept_encoding = accept


BODY = b'{"text": "' + b"hello world " * 100 + b'"}'
RESPONSE = (200, [("content-type", "application/json")], BODY)


def test_parse_accept_encoding() -> None:
    assert parse_accept_encoding("gzip, br;q=0.5, zstd;q=0, *;q=0.1") == {
        "gzip": 1.0,
        "br": 0.5,
        "zstd": 0.0,
        "*": 0.1,
    }


@pytest.mark.parametrize(
    ("backend", "accept", "token"),
    [
        ("brotli", "gzip, br", "br"),
        ("brotli", "gzip", "gzip"),
        ("zstd", "zstd", "zstd"),
        ("zstd", "br", None),
        ("gzip", "gzip;q=0.001", "gzip"),
    ],
)
def test_backends_and_fallback(backend: str, accept: str, token: str | None) -> None:
    _, headers, body = Compressor(CompressionConfig(backend=backend)).apply(  # type: ignore[arg-type]
        RESPONSE, Req(accept)
    )
    encoding = dict(headers).get("content-encoding")
    assert encoding == token
    decoded = {
        "br": brotli.decompress,
        "gzip": gzip.decompress,
        "zstd": zstandard.ZstdDecompressor().decompress,
        None: bytes,
    }[token](body)
    assert decoded == BODY


def test_no_gzip_fallback() -> None:
    compressor = Compressor(CompressionConfig(backend="brotli", gzip_fallback=False))
    assert compressor.apply(RESPONSE, Req("gzip"))[2] == BODY


def test_minimum_size_and_existing_encoding() -> None:
    compressor = Compressor(CompressionConfig(minimum_size=10_000))
    assert compressor.apply(RESPONSE, Req("gzip")) is RESPONSE
    encoded = (200, [("content-encoding", "br")], BODY)
    assert Compressor(CompressionConfig()).apply(encoded, Req("gzip")) is encoded


def test_stream_chunks_are_flushed() -> None:
    chunks = [b"event one\n", b"event two\n"]
    response = (200, [], StreamBody(iter(chunks), False))
    _, _, body = Compressor(CompressionConfig()).apply(response, Req("gzip"))
    assert isinstance(body, StreamBody)
    parts = list(body.chunks)  # type: ignore[call-overload]
    assert len(parts) == 3 and all(parts[:2])
    assert gzip.decompress(b"".join(parts)) == b"".join(chunks)


def test_unknown_backend() -> None:
    with pytest.raises(ValueError):
        CompressionConfig(backend="lzma")  # type: ignore[arg-type]
