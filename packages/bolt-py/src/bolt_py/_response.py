"""Response heads: status lines, validated header blocks and the ``date`` header.

Everything here is about not redoing work per response. Status lines are built once per
status; a route's header tuple (bolt-api reuses one tuple object per route for static
headers) is validated and encoded once and then found in a small cache; the ``date`` line
is formatted at most once per second. The protocol then assembles a response with a single
``b"".join``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from email.utils import formatdate
from typing import Any

__all__ = [
    "CONTINUE",
    "REASONS",
    "STATUS_LINES",
    "STATUS_LINES_10",
    "DateHeader",
    "encode_headers",
    "header_block",
    "status_line",
]

#: The interim response for ``Expect: 100-continue``.
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

# RFC 9110 token characters for a field name.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Control characters other than HTAB are not allowed in a field value (CR, LF and NUL
# included).
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Framing belongs to the engine: a route's own ``content-length`` or ``transfer-encoding``
# would contradict the one the engine writes.
_ENGINE_OWNED = frozenset({"content-length", "transfer-encoding"})

#: The reason phrase of each status, as the Rust engine writes it (hyper writes the ``http``
#: crate's ``canonical_reason``; RFC 9110's names, with a few older spellings), so that both
#: engines send the same status line whatever the Python version (``http.HTTPStatus``'s
#: phrases change between 3.11 and 3.13). A status not listed gets no reason.
REASONS: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi-Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Payload Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a teapot",
    421: "Misdirected Request",
    422: "Unprocessable Entity",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Required",
}

#: ``HTTP/1.1 {status} {reason}\r\n`` per status, filled by :func:`status_line`.
STATUS_LINES: dict[int, bytes] = {}
#: The same with ``HTTP/1.0``, for answers to HTTP/1.0 requests.
STATUS_LINES_10: dict[int, bytes] = {}
_header_blocks: dict[Any, bytes] = {}
_HEADER_CACHE_LIMIT = 4096


def status_line(status: int, *, http10: bool = False) -> bytes:
    """``HTTP/1.1 {status} {reason}\\r\\n`` for a status in 100-599 (cached); ``HTTP/1.0``
    with ``http10``, for an answer to an HTTP/1.0 request."""
    lines = STATUS_LINES_10 if http10 else STATUS_LINES
    line = lines.get(status)
    if line is None:
        reason = REASONS.get(status, "")
        version = "1.0" if http10 else "1.1"
        line = lines[status] = f"HTTP/{version} {status} {reason}\r\n".encode("latin-1")
    return line


def encode_headers(headers: Any) -> bytes | None:
    """Validate and encode ``(name, value)`` pairs; ``None`` when any pair is not valid HTTP.

    Names must be RFC 9110 tokens; values must hold no control character but HTAB. Values
    are sent as UTF-8 (plain ASCII in practice).
    """
    parts: list[str] = []
    append = parts.append
    token = _TOKEN.fullmatch
    bad_value = _BAD_VALUE.search
    try:
        for name, value in headers:
            if type(name) is not str or type(value) is not str:
                return None
            if token(name) is None or bad_value(value) is not None:
                return None
            if name.lower() in _ENGINE_OWNED:
                continue
            append(f"{name}: {value}\r\n")
        return "".join(parts).encode("utf-8")
    except (TypeError, ValueError):  # not pairs, or a lone surrogate
        return None


def header_block(headers: Sequence[tuple[str, str]]) -> bytes | None:
    """:func:`encode_headers`, cached per (hashable) headers value."""
    try:
        block = _header_blocks.get(headers)
    except TypeError:  # a list, or pairs that are not hashable
        return encode_headers(headers)
    if block is None:
        block = encode_headers(headers)
        if block is not None:
            if len(_header_blocks) >= _HEADER_CACHE_LIMIT:
                _header_blocks.clear()
            _header_blocks[headers] = block
    return block


class DateHeader:
    """The ``date: <IMF-fixdate>\\r\\n`` line, reformatted at most once per second.

    The server calls :meth:`refresh` from a once-a-second timer; a connection only reads
    :attr:`line`.
    """

    __slots__ = ("line", "second")

    def __init__(self) -> None:
        self.second = 0
        self.line = b""
        self.refresh()

    def refresh(self) -> bytes:
        now = time.time()
        second = int(now)
        if second != self.second:
            self.second = second
            self.line = b"date: " + formatdate(second, usegmt=True).encode("ascii") + b"\r\n"
        return self.line
