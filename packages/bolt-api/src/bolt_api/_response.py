"""The response classes (``bolt_api.responses`` is their public module).

Each renders itself to the engine contract's ``(status, headers, body)`` tuple. Plain return
values (``dict``, ``list``, ``Struct``, ``str``, ``bytes``) need no class: the per-route
encoder in :mod:`bolt_api._encoding` handles them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import format_datetime
from http.cookies import SimpleCookie
from typing import Any, ClassVar, Literal, Self

from .engine import ResponseTuple

__all__ = ["HTML", "JSON", "JSONEncode", "PlainText", "Redirect", "Response"]

JSONEncode = Callable[[Any], bytes]
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _quote_cookie(value: str) -> str:
    """Quote a cookie value the way Django (``http.cookies``) does when it must."""
    return SimpleCookie().value_encode(value)[1]


class Response:
    """Any content with a status, headers and a media type.

    ``content`` may be ``bytes`` or ``str`` (sent as is) or any JSON-encodable value (encoded
    when ``media_type`` is JSON). A ``content-type`` key in ``headers`` overrides
    ``media_type``.
    """

    __slots__ = ("_cookies", "content", "headers", "media_type", "status_code")
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
        self._cookies: list[str] | None = None

    def set_cookie(
        self,
        name: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["Lax", "Strict", "None"] | None = "Lax",
    ) -> Self:
        """Add a ``Set-Cookie`` header (value quoted like Django when it needs quoting).

        Returns the response itself, so ``return JSON(data).set_cookie("sid", sid)`` sends
        both (django-bolt's code is written that way).
        """
        if not _COOKIE_NAME.fullmatch(name):
            raise ValueError(f"invalid cookie name {name!r}")
        if samesite not in (None, "Lax", "Strict", "None"):
            raise ValueError("samesite must be 'Lax', 'Strict', 'None' or None")
        parts = [f"{name}={_quote_cookie(value)}"]
        if expires is not None:
            parts.append(
                "expires="
                + (expires if isinstance(expires, str) else format_datetime(expires, usegmt=True))
            )
        if domain:
            parts.append(f"Domain={domain}")
        if httponly:
            parts.append("HttpOnly")
        if secure:
            parts.append("Secure")
        if samesite:
            parts.append(f"SameSite={samesite}")
        if path:
            parts.append(f"Path={path}")
        if max_age is not None:
            parts.append(f"Max-Age={int(max_age)}")
        if self._cookies is None:
            self._cookies = []
        self._cookies.append("; ".join(parts))
        return self

    def delete_cookie(self, name: str, path: str = "/", domain: str | None = None) -> Self:
        """Expire the cookie ``name`` in the client (returns the response, as ``set_cookie``)."""
        return self.set_cookie(
            name,
            "",
            max_age=0,
            expires="Thu, 01 Jan 1970 00:00:00 GMT",
            path=path,
            domain=domain,
            samesite=None,
        )

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
        if self._cookies:
            extra.extend(("set-cookie", cookie) for cookie in self._cookies)
        if self.status_code in (204, 304) or self.status_code < 200:
            return extra
        return [("content-type", content_type), *extra]


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _with_charset(media_type: str) -> str:
    # text/event-stream is always UTF-8 and takes no charset parameter (WHATWG HTML 9.2).
    if (
        media_type.startswith("text/")
        and "charset" not in media_type
        and not media_type.startswith("text/event-stream")
    ):
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
        headers = [(k.lower(), v) for k, v in (self.headers or {}).items()]
        headers.extend(("set-cookie", cookie) for cookie in self._cookies or ())
        return headers
