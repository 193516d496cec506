"""The access log of the Python engine: the same lines the Rust engine writes.

Decided once at start (``ServerConfig.access_log``/``access_log_file``); when off, the
protocol does no logging work per request. Format: combined log plus the duration,
``client - - [time] "METHOD target HTTP/1.1" status size "referer" "user-agent" 1.234ms``,
with control characters, quotes and backslashes escaped as ``\\xHH``.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, TextIO

from bolt_api.engine import ACCESS_LOGGER

if TYPE_CHECKING:
    from ._request import Request

__all__ = ["AccessLogger", "escape"]

_SAFE = {b: chr(b) for b in range(0x20, 0x7F) if b not in (0x22, 0x5C)}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def escape(data: bytes) -> str:
    """Printable ASCII as is; everything else (and ``"``, ``\\``) as ``\\xHH``."""
    return "".join(_SAFE.get(b) or f"\\x{b:02x}" for b in data)


def _clf_time(now: float) -> str:
    t = time.gmtime(now)
    return (
        f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


class AccessLogger:
    """Formats one line per response: to ``logging``, or appended to ``path`` (``"-"``:
    standard output) through a buffer the server flushes every second and at the end."""

    __slots__ = ("_file", "_logger")

    def __init__(self, path: str | None = None) -> None:
        self._logger = logging.getLogger(ACCESS_LOGGER)
        self._file: TextIO | None = None
        if path == "-":
            self._file = sys.stdout
        elif path is not None:
            self._file = open(path, "a", buffering=1 << 16, encoding="ascii")  # noqa: SIM115

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            if self._file is not sys.stdout:
                self._file.close()

    def log_request(self, request: Request, status: int, size: int | None) -> None:
        """The line for ``request`` (an HTTP request or a WebSocket handshake), when it
        carries the context the protocol recorded for the log (``log_context``)."""
        context = request.log_context
        if context is None:
            return
        target, version, started = context
        self.log(
            request.client,
            request.method,
            target,
            version,
            request.raw_headers,
            status,
            size,
            started,
        )

    def log(
        self,
        client: tuple[str, int] | None,
        method: str,
        target: bytes,
        version: str,
        headers: list[tuple[bytes, bytes]],
        status: int,
        size: int | None,
        started: float,
    ) -> None:
        referer = user_agent = None
        for name, value in headers:
            if len(name) == 7 and name.lower() == b"referer":
                referer = value
            elif len(name) == 10 and name.lower() == b"user-agent":
                user_agent = value
        elapsed = (time.perf_counter() - started) * 1000
        args = (
            client[0] if client else "-",
            _clf_time(time.time()),
            method,
            escape(target),
            version,
            status,
            "-" if size is None else size,
            "-" if referer is None else escape(referer),
            "-" if user_agent is None else escape(user_agent),
            elapsed,
        )
        if self._file is not None:
            self._file.write(_FORMAT % args + "\n")
        else:
            self._logger.info(_FORMAT, *args)


_FORMAT = '%s - - [%s] "%s %s HTTP/%s" %d %s "%s" "%s" %.3fms'
