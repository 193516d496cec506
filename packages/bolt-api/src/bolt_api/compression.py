"""Response compression: gzip, brotli or zstd, negotiated with ``Accept-Encoding``.

Compression is decided here, in bolt-api, so both engines send the same encodings for the
same request; they only move the (already compressed) bytes. ``BoltAPI(compression=...)``
(or Django's ``BOLT_COMPRESSION``) configures it: ``None`` means the defaults below, ``False``
turns it off, and ``@no_compress`` opts a route out.

A response is compressed when the client accepts an encoding (q-values honoured), the body
is at least ``minimum_size`` bytes, it is not already encoded, and its type compresses
(images, audio, video and archives are left alone). ``Vary: Accept-Encoding`` is added to
every response that could have been compressed. Streamed bodies are compressed chunk by chunk
(each chunk flushed, so events still arrive one by one); files from ``FileResponse`` are sent
as they are, so they keep their zero-copy path and range support.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from .engine import Headers, Request, ResponseTuple, StreamBody

__all__ = ["CompressionConfig", "Compressor", "no_compress"]

Backend = Literal["gzip", "brotli", "zstd"]
F = TypeVar("F", bound=Callable[..., Any])

_SKIP_PREFIXES = ("image/", "audio/", "video/", "font/woff")
_SKIP_TYPES = frozenset(
    {
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/zstd",
        "application/x-7z-compressed",
        "application/x-rar-compressed",
        "application/octet-stream",
        "application/pdf",
    }
)
_KEEP_IMAGES = frozenset({"image/svg+xml"})


def no_compress(fn: F) -> F:
    """Mark a handler whose responses must never be compressed."""
    fn.__bolt_no_compress__ = True  # type: ignore[attr-defined]
    return fn


@dataclass(frozen=True, slots=True)
class CompressionConfig:
    """How responses are compressed (django-bolt's ``CompressionConfig``)."""

    backend: Backend = "gzip"
    minimum_size: int = 500
    #: When the client does not accept ``backend``, use gzip if it accepts that.
    gzip_fallback: bool = True
    gzip_level: int = 6
    brotli_quality: int = 4
    zstd_level: int = 3

    def __post_init__(self) -> None:
        if self.backend not in ("gzip", "brotli", "zstd"):
            raise ValueError(
                f"compression backend must be gzip, brotli or zstd, got {self.backend!r}"
            )
        if self.minimum_size < 0:
            raise ValueError("minimum_size must be >= 0")
        if self.backend == "brotli":
            _require("brotli", "brotli")
        elif self.backend == "zstd":
            _require("zstandard", "zstd")


def _require(module: str, extra: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(
            f"the {extra!r} compression backend needs the {module!r} package: "
            f"pip install 'bolt-api[{extra}]'"
        ) from None


def parse_accept_encoding(value: str) -> dict[str, float]:
    """``{"gzip": 1.0, "br": 0.5, "*": 0.0, ...}`` from an ``Accept-Encoding`` value."""
    accepted: dict[str, float] = {}
    for part in value.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, raw = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(raw)
                except ValueError:
                    q = 0.0
        accepted[name] = q
    return accepted


def _accepts(accepted: dict[str, float], coding: str) -> bool:
    q = accepted.get(coding)
    if q is None:
        q = accepted.get("*", 0.0)
    return q > 0


_TOKENS = {"gzip": "gzip", "brotli": "br", "zstd": "zstd"}


class _Encoder:
    """One encoding: whole-body and per-chunk (streaming) compression."""

    def __init__(self, token: str, config: CompressionConfig) -> None:
        self.token = token
        self.config = config

    def compress(self, data: bytes) -> bytes:
        if self.token == "gzip":
            return zlib.compress(data, self.config.gzip_level, wbits=31)
        if self.token == "br":
            return bytes(
                _require("brotli", "brotli").compress(data, quality=self.config.brotli_quality)
            )
        zstd = _require("zstandard", "zstd")
        return bytes(zstd.ZstdCompressor(level=self.config.zstd_level).compress(data))

    def streamer(self) -> tuple[Callable[[bytes], bytes], Callable[[], bytes]]:
        """``(compress_chunk, finish)`` for one stream."""
        if self.token == "gzip":
            gz = zlib.compressobj(self.config.gzip_level, zlib.DEFLATED, 31)
            return (lambda c: gz.compress(c) + gz.flush(zlib.Z_SYNC_FLUSH)), gz.flush
        if self.token == "br":
            brotli = _require("brotli", "brotli")
            br = brotli.Compressor(quality=self.config.brotli_quality)
            return (lambda c: br.process(c) + br.flush()), br.finish
        zstd = _require("zstandard", "zstd")
        zc = zstd.ZstdCompressor(level=self.config.zstd_level).compressobj()
        return ((lambda c: zc.compress(c) + zc.flush(zstd.COMPRESSOBJ_FLUSH_BLOCK)), zc.flush)


def _compressible(content_type: str | None) -> bool:
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _KEEP_IMAGES:
        return True
    return media not in _SKIP_TYPES and not media.startswith(_SKIP_PREFIXES)


class Compressor:
    """Applies one :class:`CompressionConfig` to responses."""

    def __init__(self, config: CompressionConfig) -> None:
        self.config = config
        self._preferred = _Encoder(_TOKENS[config.backend], config)
        self._gzip = _Encoder("gzip", config)
        self._choices: dict[str, _Encoder | None] = {}
        self._varied: dict[int, tuple[Headers, Headers | None]] = {}
        self._minimum_size = config.minimum_size
        #: ``apply(response, request)``: the response compressed when it should be.
        self.apply = self._make_apply()

    def _choose(self, accept: str | None) -> _Encoder | None:
        if not accept:
            return None
        if accept in self._choices:
            return self._choices[accept]
        accepted = parse_accept_encoding(accept)
        choice: _Encoder | None = None
        if _accepts(accepted, self._preferred.token):
            choice = self._preferred
        elif self.config.gzip_fallback and _accepts(accepted, "gzip"):
            choice = self._gzip
        if len(self._choices) < 256:
            self._choices[accept] = choice
        return choice

    def _make_apply(self) -> Callable[[ResponseTuple, Any], ResponseTuple]:
        """Build :attr:`apply`: ``response``, compressed for ``request`` when it should be.

        It runs for every response of a compressed route, so it is a closure over locals
        (no attribute lookups), and the common cases (a small body; a large one for a client
        that sent no ``Accept-Encoding``) take no call beyond the request's
        ``accept_encoding``.
        """
        minimum, memo, varied, choose = self._minimum_size, self._varied, self.varied, self._choose

        def apply(response: ResponseTuple, request: Request) -> ResponseTuple:
            status, headers, body = response
            kind = body.__class__
            if kind is bytes:
                if len(body) < minimum:  # type: ignore[arg-type]
                    return response
                is_stream = False
            elif kind is StreamBody:
                is_stream = True
            else:
                return response
            if status < 200 or status in (204, 206, 304):
                return response
            hit = memo.get(id(headers))
            vary = hit[1] if hit is not None and hit[0] is headers else varied(headers)
            if vary is None:
                return response
            accept = request.accept_encoding
            encoder = choose(accept) if accept else None
            if encoder is None:
                return status, vary, body
            encoded = [*vary, ("content-encoding", encoder.token)]
            if is_stream:
                return status, encoded, _compress_stream(body, encoder)  # type: ignore[arg-type]
            return status, encoded, encoder.compress(body)  # type: ignore[arg-type]

        return apply

    def varied(self, headers: Headers) -> Headers | None:
        """``headers`` with ``Vary: Accept-Encoding``, or ``None`` when the response stays as
        it is (already encoded, or of a type that does not compress).

        Memoised for tuples — bolt-api reuses one tuple per route or media type — keyed by
        identity, holding the tuple so its id cannot be reused (at most 256 entries).
        """
        if headers.__class__ is tuple:
            hit = self._varied.get(id(headers))
            if hit is not None and hit[0] is headers:
                return hit[1]
        content_type = None
        result: Headers | None = None
        for name, value in headers:
            if name == "content-encoding":
                break
            if name == "content-type":
                content_type = value
        else:
            if _compressible(content_type):
                result = tuple(_with_vary(headers))
        if headers.__class__ is tuple and len(self._varied) < 256:
            self._varied[id(headers)] = (headers, result)
        return result


def _with_vary(headers: Any) -> list[tuple[str, str]]:
    out = []
    found = False
    for name, value in headers:
        if name == "vary":
            found = True
            if "accept-encoding" not in value.lower():
                value = f"{value}, Accept-Encoding"
        out.append((name, value))
    if not found:
        out.append(("vary", "Accept-Encoding"))
    return out


def _compress_stream(body: StreamBody, encoder: _Encoder) -> StreamBody:
    compress, finish = encoder.streamer()
    if body.is_async:
        return StreamBody(_AsyncCompressed(body.chunks, compress, finish), True)  # type: ignore[arg-type]
    return StreamBody(
        _SyncCompressed(body.chunks, compress, finish),  # type: ignore[arg-type]
        False,
        body.inline,
    )


class _SyncCompressed:
    __slots__ = ("_compress", "_done", "_finish", "_source")

    def __init__(
        self,
        source: Iterator[bytes],
        compress: Callable[[bytes], bytes],
        finish: Callable[[], bytes],
    ) -> None:
        self._source, self._compress, self._finish, self._done = source, compress, finish, False

    def __iter__(self) -> _SyncCompressed:
        return self

    def __next__(self) -> bytes:
        if self._done:
            raise StopIteration
        try:
            return self._compress(next(self._source))
        except StopIteration:
            self._done = True
            return self._finish()

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


class _AsyncCompressed:
    __slots__ = ("_compress", "_done", "_finish", "_source")

    def __init__(
        self,
        source: AsyncIterator[bytes],
        compress: Callable[[bytes], bytes],
        finish: Callable[[], bytes],
    ) -> None:
        self._source, self._compress, self._finish, self._done = source, compress, finish, False

    def __aiter__(self) -> _AsyncCompressed:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        try:
            return self._compress(await anext(self._source))
        except StopAsyncIteration:
            self._done = True
            return self._finish()

    async def aclose(self) -> None:
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()
