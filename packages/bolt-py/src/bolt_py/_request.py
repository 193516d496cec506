"""The native request object the Python engine hands to a route callable.

It satisfies :class:`bolt_api.engine.Request`. Construction must cost next to nothing,
because most handlers read only one or two parts: the protocol stores what the parser
produced (the raw header list, the raw query string) and every derived view — ``headers``,
``query``, ``query_multi``, ``cookies``, ``state`` — is built on first access and cached in
a slot. ``__slots__`` keeps the object small and attribute access fast.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote

from bolt_api.engine import (
    arequest_user,
    build_absolute_uri,
    get_full_path,
    request_meta,
    request_user,
)
from bolt_api.proxies import TrustedProxies

__all__ = ["Request", "decode_path", "parse_query"]

RawHeaders = list[tuple[bytes, bytes]]
Client = tuple[str, int] | None

#: ``Request._client`` before a trusted proxy's ``X-Forwarded-For`` has been read.
_UNRESOLVED: Any = object()


def parse_query(qs: str) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(qs, keep_blank_values=True, errors="replace")``, faster.

    Query strings without ``%`` or ``+`` (the common case) need no decoding, so they are
    split directly, with the same rules: ``&`` separates, empty parts are skipped, a part
    without ``=`` has the value ``""``.
    """
    if "%" in qs or "+" in qs:
        return parse_qsl(qs, keep_blank_values=True, errors="replace")
    pairs = []
    for part in qs.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    return pairs


def decode_path(raw_path: str) -> str:
    """Percent-decode a raw request path (UTF-8, invalid bytes become U+FFFD)."""
    if "%" not in raw_path:
        return raw_path
    return unquote(raw_path, errors="replace")


class Request:
    """One HTTP request: eager scalar parts, lazily parsed and cached mappings."""

    __slots__ = (
        "_client",
        "_cookies",
        "_headers",
        "_peer",
        "_proxies",
        "_query",
        "_query_multi",
        "_raw_headers",
        "_scheme",
        "_state",
        "body",
        "log_context",
        "method",
        "path",
        "path_params",
        "query_string",
    )

    #: This engine does not convert ``ParamSpec`` parameters itself: bolt-api binds them
    #: (a class attribute, so it costs no slot and no per-request work).
    bound: ClassVar[dict[str, Any] | None] = None
    method: str
    path: str
    query_string: str
    path_params: dict[str, str] | None
    body: bytes

    def __init__(
        self,
        method: str,
        path: str,
        query_string: str,
        path_params: dict[str, str] | None,
        body: bytes,
        client: Client,
        raw_headers: RawHeaders,
        proxies: TrustedProxies | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.query_string = query_string
        self.path_params = path_params
        self.body = body
        self._raw_headers = raw_headers
        self._peer = client
        #: ``None`` without trusted proxies: ``client`` is the peer, ``scheme`` is ``http``.
        self._proxies = proxies
        self._client: Client = client if proxies is None else _UNRESOLVED
        self._scheme: str | None = "http" if proxies is None else None
        #: ``(target, http_version, started)`` when the access log is on, else ``None``.
        self.log_context: tuple[bytes, str, float] | None = None
        self._headers: dict[str, str] | None = None
        self._query: dict[str, str] | None = None
        self._query_multi: dict[str, list[str]] | None = None
        self._cookies: dict[str, str] | None = None
        self._state: dict[str, Any] | None = None

    @property
    def client(self) -> Client:
        """``(host, port)`` of the client: the peer, or a trusted proxy's ``X-Forwarded-For``."""
        client = self._client
        if client is _UNRESOLVED:
            assert self._proxies is not None
            client = self._client = self._proxies.client(
                self._peer, self.headers.get("x-forwarded-for")
            )
        return client

    @property
    def scheme(self) -> str:
        """``"http"``, or ``"https"`` from a trusted proxy's ``X-Forwarded-Proto``."""
        scheme = self._scheme
        if scheme is None:
            assert self._proxies is not None
            scheme = self._scheme = self._proxies.scheme(
                self._peer, self.headers.get("x-forwarded-proto")
            )
        return scheme

    @property
    def raw_headers(self) -> RawHeaders:
        """The header list as received: ``(name, value)`` byte pairs, original case."""
        return self._raw_headers

    @property
    def headers(self) -> dict[str, str]:
        """Lower-case names to values (latin-1 decoded); repeats joined with ``", "``."""
        headers = self._headers
        if headers is None:
            headers = {}
            for raw_name, raw_value in self._raw_headers:
                name = raw_name.decode("latin-1").lower()
                value = raw_value.decode("latin-1")
                previous = headers.get(name)
                headers[name] = value if previous is None else previous + ", " + value
            self._headers = headers
        return headers

    @property
    def accept_encoding(self) -> str | None:
        """``headers["accept-encoding"]`` or ``None``, without building the header dict."""
        return self._one_header("accept-encoding", b"accept-encoding")

    @property
    def host(self) -> str | None:
        """``headers["host"]`` or ``None``, without building the header dict (what the
        allowed-hosts check reads for every request)."""
        return self._one_header("host", b"host")

    def _one_header(self, name: str, raw: bytes) -> str | None:
        """One header as :attr:`headers` gives it (``raw``: its lower-case bytes), read from
        the header list when the dict is not built: compression and the allowed-hosts check
        read one header of every request."""
        headers = self._headers
        if headers is not None:
            return headers.get(name)
        size = len(raw)
        found: str | None = None
        for raw_name, raw_value in self._raw_headers:
            if len(raw_name) == size and raw_name.lower() == raw:
                value = raw_value.decode("latin-1")
                found = value if found is None else found + ", " + value
        return found

    @property
    def query(self) -> dict[str, str]:
        """Query parameters, ``+`` and ``%XX`` decoded, blank values kept; last repeat wins."""
        query = self._query
        if query is None:
            qs = self.query_string
            query = dict(parse_query(qs)) if qs else {}
            self._query = query
        return query

    @property
    def query_multi(self) -> dict[str, list[str]]:
        """Query parameters with every repeated value, in order."""
        multi = self._query_multi
        if multi is None:
            multi = {}
            qs = self.query_string
            if qs:
                for key, value in parse_query(qs):
                    values = multi.get(key)
                    if values is None:
                        multi[key] = [value]
                    else:
                        values.append(value)
            self._query_multi = multi
        return multi

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies from the ``Cookie`` header (``name=value`` pairs split on ``;``)."""
        cookies = self._cookies
        if cookies is None:
            cookies = {}
            header = self.headers.get("cookie")
            if header:
                for part in header.split(";"):
                    key, sep, value = part.partition("=")
                    if not sep:
                        key, value = "", part
                    key = key.strip()
                    value = value.strip()
                    if key or value:
                        cookies[key] = value
            self._cookies = cookies
        return cookies

    @property
    def state(self) -> dict[str, Any]:
        """A per-request dict for middleware and dependencies, created on first use."""
        state = self._state
        if state is None:
            state = self._state = {}
        return state

    def get_full_path(self) -> str:
        """The path and query string, like Django's (see ``bolt_api._request_methods``)."""
        return get_full_path(self)

    def build_absolute_uri(self, location: str | None = None) -> str:
        """An absolute URL for ``location`` or this request (``bolt_api._request_methods``)."""
        return build_absolute_uri(self, location)

    @property
    def user(self) -> Any:
        """The Django user the request was authenticated as, lazily (``bolt_api.engine``)."""
        return request_user(self)

    async def auser(self) -> Any:
        """``user``, loaded without blocking the event loop (``bolt_api.engine``)."""
        return await arequest_user(self)

    @property
    def META(self) -> dict[str, Any]:
        """The request as Django's ``HttpRequest.META`` gives it, built on first use
        (``bolt_api.engine.request_meta``)."""
        return request_meta(self)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path!r}>"
