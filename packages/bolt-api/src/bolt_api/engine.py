"""The engine contract: what bolt-api hands an engine, and what it gets back.

bolt-api decides *what* a request means; an engine decides *how* bytes move. The whole
interface between the two is in this module (and explained in ``ENGINE_CONTRACT.md``):

* At start, :meth:`Engine.serve` receives a :class:`CompiledApp` — the route table (method,
  path template, flags, compiled callable), a fallback for misses and a renderer for the
  errors an engine detects itself — and a :class:`ServerConfig`.
* Per request, the engine builds its own native object satisfying :class:`Request` and calls
  the route's ``call`` with it. ``call`` never raises: every exception is already turned into
  a response by bolt-api.
* ``call`` returns a :data:`ResponseTuple` ``(status, headers, body)``; for an ``is_async``
  route it returns a coroutine that resolves to one.

* A WebSocket route (``RouteSpec.websocket``) is called as ``await call(request, receive,
  send)`` with ASGI ``websocket`` messages; the engine owns the framing (ENGINE_CONTRACT.md §8).
"""

from __future__ import annotations

import enum
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeAlias, runtime_checkable

# What an engine reuses of bolt-api's own rules, so it never restates them: the routing
# rules (a matcher for engines without their own router) and Django-style request helpers.
from ._request_methods import auser as arequest_user
from ._request_methods import build_absolute_uri, get_full_path
from ._request_methods import meta as request_meta
from ._request_methods import user as request_user
from ._routing import PathTemplate, RouteMatcher

__all__ = [
    "ACCESS_LOGGER",
    "Body",
    "CompiledApp",
    "ENGINE_LOGGER",
    "Engine",
    "ErrorRenderer",
    "Fallback",
    "FileBody",
    "Headers",
    "MAX_URI_SIZE",
    "Needs",
    "ParamSpec",
    "PathTemplate",
    "Request",
    "ResponseTuple",
    "RouteCall",
    "RouteMatcher",
    "RouteSpec",
    "ServerConfig",
    "StopToken",
    "StreamBody",
    "WebSocketCall",
    "WebSocketMessage",
    "WebSocketReceive",
    "WebSocketSend",
    "arequest_user",
    "build_absolute_uri",
    "get_full_path",
    "request_meta",
    "request_user",
]

#: Response headers: ``(name, value)`` pairs, names lowercase. bolt-api reuses one tuple
#: object per route for static headers, so engines must not mutate it.
Headers: TypeAlias = Sequence[tuple[str, str]]


@dataclass(slots=True)
class StreamBody:
    """A body sent in chunks as the engine pulls them (``transfer-encoding: chunked``).

    ``chunks`` yields ``bytes`` only (bolt-api has normalised them). A sync iterator is
    pulled off the event loop / off the Rust engine's worker thread (it may block); an async
    iterator is pulled on the event loop. When the client goes away, the engine stops pulling and
    closes the iterator (``close()`` / ``aclose()``), so the generator's ``finally`` runs.

    ``inline``: a sync iterator that never waits for I/O — bolt-api driving an async
    generator that cannot suspend (:mod:`bolt_api._coroutines`). The engine may pull it where
    it is, on its event loop or I/O thread, like a trivially-async handler, instead of
    handing each chunk across threads.
    """

    chunks: Iterator[bytes] | AsyncIterator[bytes]
    is_async: bool
    inline: bool = False


@dataclass(frozen=True, slots=True)
class FileBody:
    """``length`` bytes of the file at ``path`` from ``offset``, read by the engine.

    bolt-api has already checked the file, answered conditional and range requests and set
    ``content-length``; the engine only copies the bytes (never into Python).

    ``identity``: the ``(st_dev, st_ino)`` of the file bolt-api checked. The engine opens
    ``path`` later; when what it opened is another file (the path was swapped in between,
    e.g. a folder replaced by a symlink leading out of the allowed root), it sends none of
    it and fails the body as any failing body (ENGINE_CONTRACT.md §3).
    """

    path: str
    offset: int
    length: int
    identity: tuple[int, int] | None = None


#: A response body: bytes, or one of the body objects above. An engine answers any other
#: type with ``render_error(500)``.
Body: TypeAlias = "bytes | StreamBody | FileBody"
#: ``(status, headers, body)`` — the one value a route callable produces.
ResponseTuple: TypeAlias = tuple[int, Headers, Body]


@runtime_checkable
class Request(Protocol):
    """The request object an engine implements natively (a Rust pyclass, a Python class).

    Parts are parsed lazily, on first access, and cached: a handler that never reads the
    query string or cookies costs nothing for them. Absent parts are ``None`` where noted,
    never freshly allocated empty containers.
    """

    #: Upper-case method, e.g. ``"GET"``.
    method: str
    #: Percent-decoded path (invalid UTF-8 replaced by U+FFFD), without the query string.
    path: str
    #: The raw query string after ``?`` (``""`` when there is none), not decoded.
    query_string: str
    #: Captured path parameters, percent-decoded; ``None`` for routes without parameters.
    path_params: dict[str, str] | None
    #: The request body as received (de-chunked); ``b""`` when empty.
    body: bytes

    # The three members below are read-only for bolt-api (an engine may implement them as
    # a class attribute or a lazily resolving property), hence properties in the Protocol.

    @property
    def bound(self) -> dict[str, Any] | None:
        """The route's parameters converted by the engine, ``{name: value}``, per the route's
        ``RouteSpec.params`` (``ParamSpec``); ``None`` when the engine did not convert them
        (always, for an engine without that fast path): bolt-api then binds the request."""

    @property
    def client(self) -> tuple[str, int] | None:
        """``(host, port)`` of the client, or ``None`` when unknown: the TCP peer, or the
        address ``X-Forwarded-For`` gives when the peer is a trusted proxy
        (``bolt_api.proxies``; port ``0`` then). Resolved on first access."""

    @property
    def scheme(self) -> str:
        """``"http"`` or ``"https"``: ``X-Forwarded-Proto`` when the peer is a trusted proxy,
        else ``"http"``. Resolved on first access."""

    @property
    def headers(self) -> Mapping[str, str]:
        """Lower-case names to values (latin-1 decoded); repeats joined with ``", "``."""

    @property
    def accept_encoding(self) -> str | None:
        """The ``Accept-Encoding`` header as :attr:`headers` would give it, ``None`` when absent.

        What compression reads for every large response: an engine answers it without
        building the whole header dict.
        """

    @property
    def host(self) -> str | None:
        """The ``Host`` header as :attr:`headers` would give it, ``None`` when absent.

        What the allowed-hosts check reads for every request: an engine answers it without
        building the whole header dict.
        """

    @property
    def query(self) -> dict[str, str]:
        """Query parameters, ``+`` and ``%XX`` decoded, blank values kept; last repeat wins."""

    @property
    def query_multi(self) -> dict[str, list[str]]:
        """Query parameters with every repeated value, in order."""

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies from the ``Cookie`` header (``name=value`` pairs split on ``;``)."""

    @property
    def state(self) -> dict[str, Any]:
        """A per-request dict for middleware and dependencies, created on first use."""

    @property
    def user(self) -> Any:
        """The Django user the request was authenticated as, else ``AnonymousUser``: lazy,
        read on first use (``bolt_api.engine.request_user``; needs Django)."""

    def auser(self) -> Awaitable[Any]:
        """``user`` without blocking the event loop (``bolt_api.engine.arequest_user``)."""

    @property
    def META(self) -> dict[str, Any]:
        """The request as Django's ``HttpRequest.META`` gives it (``HTTP_*``, ``PATH_INFO``,
        ...): built on first use by ``bolt_api.engine.request_meta``, then kept."""


#: A route's compiled callable: sync routes return the tuple, async ones a coroutine.
RouteCall: TypeAlias = Callable[["Request"], "ResponseTuple | Awaitable[ResponseTuple]"]
#: One WebSocket event, as an ASGI ``websocket`` message (ENGINE_CONTRACT.md §8).
WebSocketMessage: TypeAlias = dict[str, Any]
#: ``await receive()``: the next event from the client.
WebSocketReceive: TypeAlias = Callable[[], Awaitable[WebSocketMessage]]
#: ``await send(message)``: an event to the client; waits while the socket's buffer is full.
WebSocketSend: TypeAlias = Callable[[WebSocketMessage], Awaitable[None]]
#: A WebSocket route's callable: ``await call(request, receive, send)``.
WebSocketCall: TypeAlias = Callable[["Request", WebSocketReceive, WebSocketSend], Awaitable[None]]
#: Called on a routing miss: ``allowed`` lists the methods the path does answer to
#: (``None`` when no route matches the path at all).
Fallback: TypeAlias = Callable[["Request", "tuple[str, ...] | None"], ResponseTuple]
#: Renders an error the engine detected itself (bad framing, body too large, a broken
#: response). Engines call it once per status at start-up and cache the result.
ErrorRenderer: TypeAlias = Callable[[int], ResponseTuple]


#: The logger both engines write the access log to (django-bolt's choice).
ACCESS_LOGGER = "django.server"
#: The logger both engines report their own errors to (a response body that failed midway, a
#: panic, a graceful stop that cut requests): a child of ``bolt_api``, so one ``LOGGING``
#: entry for ``bolt_api`` covers handler errors and engine errors alike.
ENGINE_LOGGER = "bolt_api.engine"


class Needs(enum.IntFlag):
    """Which request parts a route's callable reads; engines may skip copying the others.

    A route whose handler takes the request object gets :attr:`ALL`.
    """

    NONE = 0
    QUERY = 1
    HEADERS = 2
    COOKIES = 4
    BODY = 8
    CLIENT = 16
    #: Only ``Accept-Encoding`` (compression); an engine may expose just that header.
    ACCEPT_ENCODING = 32
    #: Only ``Host`` (the allowed-hosts check); an engine may expose just that header.
    HOST = 64
    ALL = QUERY | HEADERS | COOKIES | BODY | CLIENT | ACCEPT_ENCODING | HOST


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """A path or query parameter an engine may convert itself, before it takes the GIL.

    Only the valid, common case is the engine's: when a value cannot be converted by the
    rules below (or a required one is missing), the engine leaves ``request.bound`` ``None``
    and bolt-api binds the request itself, converting what it can and answering 422 for the
    rest. So the answer is the same for every input, whichever side converted it.

    ``kind`` ``"str"``: the decoded value as it is. ``kind`` ``"int"``: a value of the form
    ``-?(0|[1-9][0-9]{0,17})`` (what fits an ``i64`` and what ``msgspec`` reads the same);
    anything else is left to bolt-api. So is a value longer than ``max_length`` UTF-8
    bytes. Path values are the percent-decoded ``path_params``; query values are what
    :attr:`Request.query` gives (``+`` and ``%XX`` decoded, the last repeat wins).
    """

    #: The handler's keyword.
    name: str
    #: ``"path"`` or ``"query"``.
    source: str
    #: The name on the wire (the path segment name or the query key).
    key: str
    #: ``"str"`` or ``"int"``.
    kind: str
    #: ``False``: when absent, ``default`` is passed.
    required: bool
    default: Any
    max_length: int


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One entry of the route table, as an engine sees it.

    ``path`` uses the engine template syntax: literal segments, ``{name}`` for one segment
    and ``{*name}`` for the rest of the path (only as the last segment). Priority when
    several templates match: per segment, literal before ``{name}`` before ``{*name}``.
    """

    method: str
    path: str
    call: RouteCall
    is_async: bool
    needs: Needs = Needs.ALL
    #: For diagnostics only (``module.function``).
    name: str = ""
    #: Set on sync routes whose every parameter is a plain ``str``/``int`` from the path or
    #: the query: an engine may convert them itself and hand them over as ``request.bound``
    #: (an optional fast path; ``bound = None`` is always correct). ``None`` otherwise.
    params: tuple[ParamSpec, ...] | None = None
    #: A WebSocket route (ENGINE_CONTRACT.md §8): ``method`` is ``"GET"``, ``is_async`` is
    #: true, and ``call`` is a :data:`WebSocketCall`. The engine matches these routes only
    #: for a request that asks to upgrade to ``websocket``; for every other request they do
    #: not exist.
    websocket: bool = False


@dataclass(frozen=True, slots=True)
class CompiledApp:
    """Everything an engine needs to serve an API; built once by ``BoltAPI.compile()``."""

    routes: tuple[RouteSpec, ...]
    fallback: Fallback
    render_error: ErrorRenderer
    #: Statuses an engine may produce on its own; it renders each once at start-up.
    engine_error_statuses: tuple[int, ...] = (400, 408, 413, 414, 431, 500, 501, 503)
    #: Header tuples bolt-api reuses across responses (``content-type: application/json``
    #: and the like): an engine may convert each once and recognise it by identity (``is``).
    static_headers: tuple[Headers, ...] = ()
    #: What ``fallback`` answers for a plain miss when that is the same for every request
    #: (no ``error_formatter``), else ``None``. An engine may send it itself — no GIL, no
    #: Python — for a request whose raw path has no ``%``, that no route matches under any
    #: method, and whose other trailing-slash form (``/a`` for ``/a/``, ``/a/`` for ``/a``)
    #: no route matches either; any other miss still goes to ``fallback``.
    not_found: ResponseTuple | None = None
    #: The application's lifespan (``BoltAPI(lifespan=...)``), ``None`` when there is none:
    #: called with no argument, it returns an async context manager. The engine enters it
    #: on the event loop that runs async handlers before it accepts a connection (an
    #: exception propagates out of ``serve()``, which then serves nothing), and exits it
    #: there once serving has stopped — after the graceful stop's drain (ENGINE_CONTRACT.md
    #: §5). It runs on that loop so that what it opens is usable by the handlers.
    lifespan: Callable[[], AbstractAsyncContextManager[None]] | None = field(
        default=None, compare=False
    )


#: The largest ``ServerConfig.max_uri_size`` the engines take: ``http::Uri`` (under the Rust
#: engine's hyper) holds no longer target, and the engines keep one limit.
MAX_URI_SIZE = 65_534


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """How to listen. Engines honour every field or fail at start with a clear message."""

    host: str = "127.0.0.1"
    port: int = 8000
    #: Engine worker threads per process (the Rust engine); 1 because the GIL is the limit.
    workers: int = 1
    backlog: int = 1024
    #: Seconds an idle keep-alive connection stays open; 0 disables keep-alive.
    keep_alive: float = 5.0
    #: Largest accepted request body in bytes; larger ones get 413 before being buffered.
    max_body_size: int = 1024 * 1024
    #: Seconds a client has to send a request head (request line and headers) in full,
    #: counted from its first byte (from the connection's start for its first request);
    #: 408 beyond. A connection that sends nothing at all is closed without a response.
    #: 0 disables the limit.
    header_timeout: float = 10.0
    #: Seconds a request body may pause: when no byte of it arrives for longer, the engine
    #: answers 408 and closes (nginx's ``client_body_timeout``). Counted while the engine
    #: waits for body bytes it asked for (after a ``100 Continue``, when it sent one).
    #: 0 disables the limit.
    body_timeout: float = 30.0
    #: Bytes per second a request body must average once ``body_rate_grace`` has passed
    #: (Apache ``mod_reqtimeout``'s ``MinRate``): the body may take ``body_rate_grace`` plus
    #: one second per ``body_min_rate`` bytes received; 408 and close beyond. 0 disables it.
    body_min_rate: int = 500
    #: Seconds a request body has before ``body_min_rate`` applies.
    body_rate_grace: float = 10.0
    #: Longest accepted request target (path and query string), in bytes; 414 beyond.
    max_uri_size: int = 8192
    #: Most bytes of header field names plus values (values without surrounding
    #: whitespace) in one request head; 431 beyond. The trailer section of a chunked body
    #: gets the same allowance (400 beyond).
    max_header_size: int = 64 * 1024
    #: Most header fields in one request head; 431 beyond (trailers: the same, 400).
    max_header_count: int = 100
    #: Set ``SO_REUSEPORT`` so several processes can share the port.
    reuse_port: bool = False
    #: Seconds a graceful stop (SIGTERM, SIGINT) lets requests in flight finish before the
    #: engine cuts their connections; 0 cuts them at once.
    graceful_timeout: float = 30.0
    #: A socket already bound and listening (inherited from a supervisor): serve it instead
    #: of binding ``host:port``. The engine takes the descriptor over and closes it when it
    #: stops accepting, so that the last process to let go of the socket refuses connections.
    listen_fd: int | None = None
    #: Called once the socket listens, with the bound host and port (port 0 resolved).
    on_ready: Callable[[str, int], None] | None = field(default=None, compare=False)
    #: Install SIGINT/SIGTERM handlers (only possible, and only wanted, in a process's main
    #: thread; the test client serves from another thread and stops through ``stop_token``).
    handle_signals: bool = True
    #: Lets another thread ask for the same graceful stop a SIGTERM starts.
    stop_token: StopToken | None = field(default=None, compare=False)
    #: Log every request (combined log format + duration) to the ``django.server`` logger.
    #: Decided once: when off, the engine does no logging work per request.
    access_log: bool = False
    #: Write the access log lines straight to this file (``"-"``: standard output) from the
    #: engine instead of through ``logging``: no logging machinery per line, so the log
    #: costs little. Implies ``access_log``.
    access_log_file: str | None = None
    #: IP addresses and CIDR networks (``"10.0.0.0/8"``) of the reverse proxies whose
    #: ``X-Forwarded-For``/``-Proto`` headers are honoured (``bolt_api.proxies``); empty: none.
    trusted_proxies: tuple[str, ...] = ()
    #: Largest WebSocket message (all its fragments together) in bytes; larger: close 1009.
    ws_max_message_size: int = 1024 * 1024
    #: Most open WebSocket connections per process; an upgrade beyond is answered 503.
    ws_max_connections: int = 10_000
    #: Seconds between the server's pings on an open WebSocket; 0: no pings.
    ws_heartbeat_interval: float = 5.0
    #: Seconds a WebSocket client may stay silent (no frame of any kind, pongs included)
    #: before the engine closes the connection; 0: no limit.
    ws_client_timeout: float = 10.0
    #: Negotiate ``permessage-deflate`` (RFC 7692) with clients that offer it. Off by
    #: default: it costs a compressor per connection (hundreds of KiB at the default
    #: ``ws_max_connections``), and the Rust engine cannot honour it (it refuses to start).
    ws_per_message_deflate: bool = False

    @property
    def logs_requests(self) -> bool:
        """Whether requests are logged at all (``access_log_file`` implies ``access_log``)."""
        return self.access_log or self.access_log_file is not None

    @property
    def access_log_to_logging(self) -> bool:
        """Whether the lines go through ``logging`` (no ``access_log_file`` given)."""
        return self.access_log and self.access_log_file is None


class StopToken:
    """Asks a running engine to stop gracefully, from any thread.

    The engine subscribes a callback when it starts; :meth:`request_stop` runs it (at once,
    if the stop was requested before the engine subscribed).
    """

    __slots__ = ("_callbacks", "_lock", "_requested")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []
        self._requested = False

    @property
    def requested(self) -> bool:
        return self._requested

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (from the requesting thread) when a stop is requested."""
        with self._lock:
            if not self._requested:
                self._callbacks.append(callback)
                return
        callback()

    def request_stop(self) -> None:
        """Start the engine's graceful stop; safe to call more than once."""
        with self._lock:
            if self._requested:
                return
            self._requested = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


class Engine(Protocol):
    """An engine: one object with a name and a blocking ``serve``."""

    name: ClassVar[str]

    def serve(self, app: CompiledApp, config: ServerConfig) -> None:
        """Serve until stopped by a signal; return normally after a clean stop."""
