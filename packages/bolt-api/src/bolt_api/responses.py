"""Response classes a handler may return instead of plain data.

Each renders itself to the engine contract's ``(status, headers, body)`` tuple. Plain return
values (``dict``, ``list``, ``Struct``, ``str``, ``bytes``) need no class: the per-route
encoder in :mod:`bolt_api.encoding` handles them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from .engine import ResponseTuple

__all__ = ["HTML", "JSON", "PlainText", "Redirect", "Response"]

JSONEncode = Callable[[Any], bytes]


class Response:
    """Any content with a status, headers and a media type.

    ``content`` may be ``bytes`` or ``str`` (sent as is) or any JSON-encodable value (encoded
    when ``media_type`` is JSON). A ``content-type`` key in ``headers`` overrides
    ``media_type``.
    """

    __slots__ = ("content", "headers", "media_type", "status_code")
    default_media_type: ClassVar[str] = "application/json"

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        self.content = content
        self.status_code = status_code
        self.headers = headers
        self.media_type = media_type or self.default_media_type

    def body(self, encode_json: JSONEncode) -> bytes:
        content = self.content
        if isinstance(content, bytes):
            return content
        if isinstance(content, str):
            return content.encode()
        if content is None and not _is_json(self.media_type):
            return b""
        return encode_json(content)

    def render(self, encode_json: JSONEncode) -> ResponseTuple:
        """The ``(status, headers, body)`` tuple for this response."""
        body = self.body(encode_json)
        return self.status_code, self._header_list(), body

    def _header_list(self) -> list[tuple[str, str]]:
        content_type = _with_charset(self.media_type)
        extra: list[tuple[str, str]] = []
        if self.headers:
            for name, value in self.headers.items():
                lname = name.lower()
                if lname == "content-type":
                    content_type = value
                else:
                    extra.append((lname, value))
        if self.status_code in (204, 304) or self.status_code < 200:
            return extra
        return [("content-type", content_type), *extra]


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _with_charset(media_type: str) -> str:
    if media_type.startswith("text/") and "charset" not in media_type:
        return media_type + "; charset=utf-8"
    return media_type


class JSON(Response):
    """``data`` encoded as JSON by msgspec."""

    __slots__ = ()

    def __init__(
        self, data: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(data, status_code, headers)

    def body(self, encode_json: JSONEncode) -> bytes:
        return encode_json(self.content)


class PlainText(Response):
    """``text`` as ``text/plain; charset=utf-8``."""

    __slots__ = ()
    default_media_type = "text/plain"

    def __init__(
        self, text: str, status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(text, status_code, headers)


class HTML(Response):
    """``html`` as ``text/html; charset=utf-8``."""

    __slots__ = ()
    default_media_type = "text/html"

    def __init__(
        self, html: str, status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(html, status_code, headers)


class Redirect(Response):
    """A redirect to ``url`` (307 by default, so the method and body are kept)."""

    __slots__ = ()

    def __init__(
        self, url: str, status_code: int = 307, headers: Mapping[str, str] | None = None
    ) -> None:
        if not 300 <= status_code < 400:
            raise ValueError(f"Redirect status_code must be 3xx, got {status_code}")
        super().__init__(b"", status_code, {**(headers or {}), "location": url})

    def _header_list(self) -> list[tuple[str, str]]:
        return [(k.lower(), v) for k, v in (self.headers or {}).items()]
