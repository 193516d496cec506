"""Each engine's request parsing, reached without a socket.

``parse(engine, raw, limits)`` runs the bytes of one request through the code that engine's
server runs on every connection and returns what the server would do with it: the request
object it hands to bolt-api, the status it answers itself, or ``None`` when it closes the
connection without a word (a head cut short).

- Rust: ``bolt_rust._bolt._request_from_head`` (``packages/bolt-rust/src/testing.rs``) feeds
  the bytes to the same connection stack the server runs (Bolt's gate with its head policy,
  and hyper's HTTP/1.1 over it), with the same limits, over an in-memory connection, and
  builds the request object as the server does.
- Python: an ``HttpProtocol`` of ``bolt_py`` gets the bytes through ``data_received`` and then
  the end of the stream, on a transport that only records what is written back; the
  fallback of an app without routes receives the request object.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bolt_api.engine import CompiledApp, ResponseTuple, ServerConfig
from bolt_py._protocol import HttpProtocol
from bolt_py._state import ServerState
from bolt_rust import _bolt

from . import Limits

__all__ = ["HOOKS", "parse"]

#: The request object, the engine's own status, or ``None`` (closed without an answer).
Parsed = Any


def _rust(raw: bytes, limits: Limits) -> Parsed:
    return _bolt._request_from_head(raw, **limits)


class _Transport:
    """Just enough of an ``asyncio.Transport`` for ``HttpProtocol``: it keeps the output."""

    def __init__(self) -> None:
        self.written = bytearray()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def write(self, data: bytes) -> None:
        self.written += data

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def _python(raw: bytes, limits: Limits) -> Parsed:
    seen: list[Any] = []

    def fallback(request: Any, allowed: tuple[str, ...] | None) -> ResponseTuple:
        seen.append(request)
        return 200, [], b""

    app = CompiledApp(routes=(), fallback=fallback, render_error=lambda s: (s, [], b""))
    # one request per connection, no timers: the whole request is there at once
    config = ServerConfig(header_timeout=0, keep_alive=0, **limits)
    loop = asyncio.new_event_loop()
    try:
        protocol = HttpProtocol(ServerState(app, config, loop))
        transport = _Transport()
        protocol.connection_made(transport)  # type: ignore[arg-type]
        protocol.data_received(raw)
        protocol.eof_received()
    finally:
        loop.close()
    if seen:
        return seen[0]
    return final_status(bytes(transport.written))


def final_status(written: bytes) -> int | None:
    """The status of the last response in ``written`` (after any ``100 Continue``)."""
    heads = [h for h in written.split(b"\r\n\r\n") if h.startswith(b"HTTP/1.1 ")]
    return int(heads[-1][9:12]) if heads else None


HOOKS: dict[str, Callable[[bytes, Limits], Parsed]] = {
    "rust": _rust,
    "python": _python,
}


def parse(engine: str, raw: bytes, limits: Limits) -> Parsed:
    """What ``engine``'s server makes of ``raw`` under ``limits`` (see the module docstring)."""
    return HOOKS[engine](raw, limits)
