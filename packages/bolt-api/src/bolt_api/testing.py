"""``TestClient`` / ``AsyncTestClient``: httpx clients talking to a real engine in-process.

The API is served by the chosen engine (``"rust"`` or ``"python"``) in a background thread
on a free loopback port, so tests go through the same HTTP path production does; the clients
rewrite every request to that address while keeping ``Host: testserver``. Closing the client
(or leaving its ``with`` block) stops the engine gracefully.

The API's lifespan (``BoltAPI(lifespan=...)``) runs as in a server, since the engine runs
it: entered when the client is created (before its first request), exited when it is
closed; a start-up that raises makes the constructor raise that
:class:`~bolt_api.exceptions.LifespanError`.

``raise_server_exceptions=True`` (the default, as in Starlette) re-raises in the test an
exception a handler did not handle, instead of returning the 500.

Django: for each request of a :class:`TestClient`, the handlers use the calling thread's
open database connections (:func:`bolt_api._django_requests.shared_connections`), so inside
``django.test.TestCase`` (or pytest-django's ``django_db``) they see the rows the test wrote,
and what they write is rolled back with the test. :class:`AsyncTestClient` does not lend
them: there, use ``TransactionTestCase`` (``django_db(transaction=True)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any

try:
    import httpx
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by test_testing_extra
    raise ImportError(
        'bolt_api.testing is built on httpx: pip install "bolt-api[testing]"'
    ) from exc

import msgspec

from ._app import BoltAPI
from ._django_requests import shared_connections
from .engine import ServerConfig, StopToken
from .engines import DEFAULT_ENGINE, load_engine
from .exceptions import LifespanError

__all__ = [
    "AsyncTestClient",
    "ConnectionClosed",  # noqa: F822 - websockets', looked up by __getattr__
    "HandshakeRejected",
    "TestClient",
    "TestResponse",
    "WebSocketTestClient",
    "WebSocketTestSession",
]


class TestResponse(httpx.Response):
    """What :class:`TestClient` returns: an ``httpx.Response`` plus the ``requests``-style
    ``iter_content`` / ``iter_lines`` django-bolt's test client adds (``get(..., stream=True)``),
    so its tests of streamed responses run unchanged."""

    __test__ = False

    def iter_content(
        self, chunk_size: int = 1024, decode_unicode: bool = False
    ) -> Iterator[bytes] | Iterator[str]:
        """The body in pieces of ``chunk_size`` bytes (``str`` when ``decode_unicode``)."""
        if decode_unicode:
            return self.iter_text(chunk_size)
        return self.iter_bytes(chunk_size)

    def iter_lines(self, decode_unicode: bool = True) -> Iterator[str]:
        """The body's lines without their endings (always ``str``, as django-bolt's)."""
        return super().iter_lines()


class _EngineThread:
    """One engine serving one API on 127.0.0.1:<free port> in a daemon thread."""

    def __init__(
        self,
        api: BoltAPI,
        engine: str,
        sink: Callable[[BaseException], None] | None,
        timeout: float = 30.0,
    ) -> None:
        self.engine = load_engine(engine)
        self.stop_token = StopToken()
        self.port = 0
        self._ready = threading.Event()
        self._error: BaseException | None = None
        config = ServerConfig(
            host="127.0.0.1",
            port=0,
            on_ready=self._on_ready,
            handle_signals=False,
            stop_token=self.stop_token,
            graceful_timeout=5.0,
        )
        app = api.compile() if sink is None else api.compile(on_unhandled=sink)
        self._thread = threading.Thread(
            target=self._run, args=(app, config), name=f"bolt-test-{engine}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            self.stop()
            if isinstance(self._error, LifespanError):  # the app's start-up, as it is
                raise self._error
            raise RuntimeError(f"the {engine} engine did not start") from self._error

    def _on_ready(self, host: str, port: int) -> None:
        self.port = port
        self._ready.set()

    def _run(self, app: Any, config: ServerConfig) -> None:
        try:
            self.engine.serve(app, config)
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()

    def stop(self) -> None:
        self.stop_token.request_stop()
        self._thread.join(timeout=15)


class _Sink:
    """Collects exceptions handlers raised and bolt-api answered with a 500."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()

    def __call__(self, exc: BaseException) -> None:
        with self._lock:
            self.errors.append(exc)

    def raise_first(self) -> None:
        with self._lock:
            errors, self.errors = self.errors, []
        if errors:
            raise errors[0]


def _rewrite(request: httpx.Request, port: int) -> httpx.Request:
    """The same request, sent to the engine's port (``Host`` stays as the test wrote it)."""
    return httpx.Request(
        request.method,
        request.url.copy_with(scheme="http", host="127.0.0.1", port=port),
        headers=request.headers,
        stream=request.stream,
        extensions=request.extensions,
    )


class _Transport(httpx.HTTPTransport):
    def __init__(self, port: int, sink: _Sink | None, share_db_connection: bool) -> None:
        super().__init__()
        self._port = port
        self._sink = sink
        self._share: Callable[[], contextlib.AbstractContextManager[bool | None]] = (
            shared_connections if share_db_connection else contextlib.nullcontext
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._share() as lent:
            sent = super().handle_request(_rewrite(request, self._port))
            response = TestResponse(
                sent.status_code,
                headers=sent.headers,
                stream=sent.stream,
                extensions=sent.extensions,
            )
            if lent or self._sink is not None:
                response.read()  # a streamed body runs handler code too
        if self._sink is not None:
            self._sink.raise_first()
        return response


class _AsyncTransport(httpx.AsyncHTTPTransport):
    def __init__(self, port: int, sink: _Sink | None) -> None:
        super().__init__()
        self._port = port
        self._sink = sink

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(_rewrite(request, self._port))
        if self._sink is not None:
            await response.aread()
            self._sink.raise_first()
        return response


class _Served:
    """What both clients share: the engine thread and the exception sink."""

    _server: _EngineThread
    _sink: _Sink | None

    def _start(self, api: BoltAPI, engine: str, raise_server_exceptions: bool) -> int:
        self._sink = _Sink() if raise_server_exceptions else None
        self._server = _EngineThread(api, engine, self._sink)
        return self._server.port

    def _stop(self) -> None:
        self._server.stop()

    @property
    def engine(self) -> str:
        """The name of the engine serving the API."""
        return self._server.engine.name


class TestClient(_Served, httpx.Client):
    """A synchronous httpx client for ``api``, served by ``engine`` in this process.

    ``share_db_connection`` (django-bolt's name): lend the test's database connections to
    the handlers for each request (see the module's docstring); ``False`` lets them open
    their own, as under ``TransactionTestCase``."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        api: BoltAPI,
        engine: str = DEFAULT_ENGINE,
        *,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        follow_redirects: bool = True,
        share_db_connection: bool = True,
        **kwargs: Any,
    ) -> None:
        port = self._start(api, engine, raise_server_exceptions)
        super().__init__(
            base_url=base_url,
            transport=_Transport(port, self._sink, share_db_connection),
            follow_redirects=follow_redirects,
            **kwargs,
        )

    def _send(self, method: str, url: httpx.URL | str, kwargs: dict[str, Any]) -> TestResponse:
        """The verbs below take django-bolt's ``stream=True``: every response has
        ``iter_content`` / ``iter_lines`` over its (read) body already (:class:`TestResponse`),
        so the flag changes nothing but is accepted."""
        response = self.request(method, url, **kwargs)
        assert isinstance(response, TestResponse)
        return response

    def get(self, url: httpx.URL | str, *, stream: bool = False, **kwargs: Any) -> TestResponse:
        """``GET`` (``stream``: see :meth:`_send`)."""
        return self._send("GET", url, kwargs)

    def post(self, url: httpx.URL | str, *, stream: bool = False, **kwargs: Any) -> TestResponse:
        """``POST`` (``stream``: see :meth:`_send`)."""
        return self._send("POST", url, kwargs)

    def put(self, url: httpx.URL | str, *, stream: bool = False, **kwargs: Any) -> TestResponse:
        """``PUT`` (``stream``: see :meth:`_send`)."""
        return self._send("PUT", url, kwargs)

    def patch(self, url: httpx.URL | str, *, stream: bool = False, **kwargs: Any) -> TestResponse:
        """``PATCH`` (``stream``: see :meth:`_send`)."""
        return self._send("PATCH", url, kwargs)

    def delete(self, url: httpx.URL | str, *, stream: bool = False, **kwargs: Any) -> TestResponse:
        """``DELETE`` (``stream``: see :meth:`_send`)."""
        return self._send("DELETE", url, kwargs)

    def head(self, url: httpx.URL | str, *, stream: bool = False, **kwargs: Any) -> TestResponse:
        """``HEAD`` (``stream``: see :meth:`_send`)."""
        return self._send("HEAD", url, kwargs)

    def options(self, url: httpx.URL | str, *, stream: bool = False, **kwargs: Any) -> TestResponse:
        """``OPTIONS`` (``stream``: see :meth:`_send`)."""
        return self._send("OPTIONS", url, kwargs)

    def websocket_connect(
        self,
        path: str,
        *,
        subprotocols: list[str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 5.0,
    ) -> WebSocketTestSession:
        """Open a WebSocket to ``path`` over a real socket to the engine
        (``with client.websocket_connect("/ws") as ws: ...``); a refused handshake raises
        :class:`HandshakeRejected` with the HTTP status. Needs the ``websockets`` library."""
        return WebSocketTestSession(
            self._server.port, path, subprotocols, headers, timeout, self._sink
        )

    def close(self) -> None:
        super().close()
        self._stop()

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.close()


class HandshakeRejected(Exception):
    """The server answered the WebSocket handshake with ``status`` instead of upgrading."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        super().__init__(f"WebSocket handshake rejected with HTTP {status}")
        self.status = status
        self.status_code = status
        self.headers = headers
        self.body = body


def _websockets(module: str) -> Any:
    """``websockets.<module>``, imported by name: a test dependency, not one of bolt-api's."""
    try:
        return importlib.import_module(f"websockets.{module}")
    except ImportError as exc:  # pragma: no cover - a test dependency
        raise ImportError("bolt-api's WebSocket test clients need the websockets library") from exc


def __getattr__(name: str) -> Any:
    """``ConnectionClosed`` is websockets' own exception (what its clients raise once the
    server closed), looked up on first use so that importing this module does not need
    the websockets library."""
    if name == "ConnectionClosed":
        return _websockets("exceptions").ConnectionClosed
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _connect_options(
    port: int, path: str, subprotocols: list[str] | None, headers: dict[str, str] | None
) -> dict[str, Any]:
    """The arguments both websockets clients (sync and asyncio) are opened with: no size
    limit and no compression, so the engine's own limits are what a test sees."""
    return {
        "uri": f"ws://127.0.0.1:{port}{path}",
        "subprotocols": subprotocols,
        "additional_headers": headers,
        "max_size": None,
        "compression": None,
    }


def _rejected(exc: Any) -> HandshakeRejected:
    """websockets' ``InvalidStatus`` as :class:`HandshakeRejected` (status, headers, body)."""
    response = exc.response
    return HandshakeRejected(
        response.status_code, dict(response.headers.raw_items()), response.body or b""
    )


def _text(message: str | bytes) -> str:
    if not isinstance(message, str):
        raise TypeError(f"expected a text message, got {len(message)} bytes")
    return message


def _bytes(message: str | bytes) -> bytes:
    if not isinstance(message, bytes):
        raise TypeError(f"expected a binary message, got the text {message!r}")
    return message


def _json_message(data: Any, mode: str) -> str | bytes:
    """``data`` as msgspec encodes it, as a text (``mode="text"``) or binary message."""
    encoded = msgspec.json.encode(data)
    return encoded.decode() if mode == "text" else encoded


class WebSocketTestSession:
    """One client WebSocket to the test engine, spoken by the ``websockets`` library (a real
    RFC 6455 client, so a test exercises the engine's framing, not a shortcut)."""

    __test__ = False

    def __init__(
        self,
        port: int,
        path: str,
        subprotocols: list[str] | None,
        headers: dict[str, str] | None,
        timeout: float,
        sink: _Sink | None,
    ) -> None:
        invalid_status = _websockets("exceptions").InvalidStatus
        connect = _websockets("sync.client").connect
        self._timeout = timeout
        self._sink = sink
        try:
            conn = connect(
                **_connect_options(port, path, subprotocols, headers), open_timeout=timeout
            )
            # websockets 17.1 wants connect() as a context manager: enter it here, close()
            # ends it
            self._conn: Any = conn.__enter__()
        except invalid_status as exc:
            raise _rejected(exc) from None

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server accepted."""
        subprotocol: str | None = self._conn.subprotocol
        return subprotocol

    @property
    def close_code(self) -> int | None:
        """The server's close code, once the connection is closed."""
        code: int | None = self._conn.close_code
        return code

    @property
    def close_reason(self) -> str | None:
        reason: str | None = self._conn.close_reason
        return reason

    def send_text(self, data: str) -> None:
        self._conn.send(data)

    def send_bytes(self, data: bytes) -> None:
        self._conn.send(data)

    def send_json(self, data: Any, mode: str = "text") -> None:
        self._conn.send(_json_message(data, mode))

    def receive(self) -> str | bytes:
        """The next message; raises ``websockets.exceptions.ConnectionClosed`` once the
        server has closed (``close_code`` then says how)."""
        message: str | bytes = self._conn.recv(timeout=self._timeout)
        return message

    def receive_text(self) -> str:
        return _text(self.receive())

    def receive_bytes(self) -> bytes:
        return _bytes(self.receive())

    def receive_json(self, mode: str = "text") -> Any:
        return msgspec.json.decode(self.receive_text() if mode == "text" else self.receive_bytes())

    def close(self, code: int = 1000, reason: str = "") -> None:
        self._conn.close(code, reason)

    def __enter__(self) -> WebSocketTestSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.close()
        if self._sink is not None and exc_type is None:
            self._sink.raise_first()


class WebSocketTestClient(_Served):
    """django-bolt's async WebSocket test client, under its name and signature, so a
    django-bolt test ports by changing its import::

        async with WebSocketTestClient(api, "/ws/rooms/1", query_string="nick=ann") as ws:
            await ws.send_text("hi")
            assert await ws.receive_text() == "ann: hi"

    Unlike django-bolt's (which calls the handler in-process), it serves ``api`` on a real
    ``engine`` (as :class:`TestClient` does, for this client alone) and talks to it over a
    real socket with the ``websockets`` asyncio client, so the handshake checks and the
    framing are the production ones. A refused handshake raises :class:`HandshakeRejected`;
    once the server closed, ``receive_*`` raise ``ConnectionClosed`` (websockets' exception,
    importable from here) and ``iter_*`` end.

    ``auth_context`` is refused (``TypeError``): django-bolt injects an authentication
    context without a credential, which would skip the very checks a real engine makes
    before the upgrade — send a real token or cookie in ``headers`` instead.
    ``cors_allowed_origins`` is honoured: the API is compiled for this client with a CORS
    policy allowing those origins (the WebSocket ``Origin`` check uses it).
    ``read_django_settings`` must stay ``True``: bolt-api always reads the Django settings
    when Django is configured (as :class:`TestClient` does) and cannot switch that off, so
    ``False`` is refused rather than ignored.
    """

    __test__ = False

    def __init__(
        self,
        api: BoltAPI,
        path: str,
        headers: dict[str, str] | None = None,
        query_string: str = "",
        subprotocols: list[str] | None = None,
        auth_context: Any = None,
        cors_allowed_origins: list[str] | None = None,
        read_django_settings: bool = True,
        *,
        engine: str = DEFAULT_ENGINE,
        raise_server_exceptions: bool = True,
        timeout: float = 5.0,
    ) -> None:
        if auth_context is not None:
            raise TypeError(
                "WebSocketTestClient(auth_context=...) is not supported: bolt-api tests go "
                "through a real engine, which authenticates the handshake itself; send real "
                "credentials in headers= (e.g. {'Authorization': 'Bearer <token>'} or a cookie)"
            )
        if not read_django_settings:
            raise ValueError(
                "WebSocketTestClient(read_django_settings=False) is not supported: bolt-api "
                "reads the Django settings whenever Django is configured"
            )
        self._api = api
        self._engine_name = engine
        self._raise = raise_server_exceptions
        self._cors = cors_allowed_origins
        self._path = f"{path}?{query_string}" if query_string else path
        self._headers = headers
        self._subprotocols = subprotocols
        self._timeout = timeout
        self._conn: Any = None

    def _serve(self) -> int:
        """Start the engine; with ``cors_allowed_origins``, compile ``api`` under a CORS
        policy allowing them (the API's own is put back once compiled)."""
        if self._cors is None:
            return self._start(self._api, self._engine_name, self._raise)
        from .cors import CORSConfig

        own = self._api.cors
        self._api.cors = CORSConfig(allowed_origins=tuple(self._cors))
        try:
            return self._start(self._api, self._engine_name, self._raise)
        finally:
            self._api.cors = own

    async def __aenter__(self) -> WebSocketTestClient:
        # started from this (the test's) thread, as TestClient is: the Rust engine crashed
        # (SIGSEGV) when its thread was started from an executor thread (asyncio.to_thread)
        port = self._serve()
        invalid_status = _websockets("exceptions").InvalidStatus
        connect = _websockets("asyncio.client").connect
        options = _connect_options(port, self._path, self._subprotocols, self._headers)
        try:
            self._conn = await connect(**options, open_timeout=self._timeout)
        except invalid_status as exc:
            await asyncio.to_thread(self._stop)
            raise _rejected(exc) from None
        except BaseException:
            await asyncio.to_thread(self._stop)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            await self.close()
        finally:
            await asyncio.to_thread(self._stop)
        if self._sink is not None and exc_type is None:
            self._sink.raise_first()

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server accepted."""
        subprotocol: str | None = self._conn.subprotocol
        return subprotocol

    @property
    def close_code(self) -> int | None:
        """The server's close code, once the connection is closed."""
        code: int | None = self._conn.close_code
        return code

    @property
    def close_reason(self) -> str | None:
        reason: str | None = self._conn.close_reason
        return reason

    async def send_text(self, data: str) -> None:
        await self._conn.send(data)

    async def send_bytes(self, data: bytes) -> None:
        await self._conn.send(data)

    async def send_json(self, data: Any, mode: str = "text") -> None:
        await self._conn.send(_json_message(data, mode))

    async def receive(self, timeout: float | None = 5.0) -> str | bytes:
        """The next message within ``timeout`` seconds (``TimeoutError`` otherwise);
        raises ``ConnectionClosed`` once the server has closed."""
        message: str | bytes = await asyncio.wait_for(self._conn.recv(), timeout)
        return message

    async def receive_text(self, timeout: float | None = 5.0) -> str:
        return _text(await self.receive(timeout))

    async def receive_bytes(self, timeout: float | None = 5.0) -> bytes:
        return _bytes(await self.receive(timeout))

    async def receive_json(self, mode: str = "text", timeout: float | None = 5.0) -> Any:
        if mode == "text":
            return msgspec.json.decode(await self.receive_text(timeout))
        return msgspec.json.decode(await self.receive_bytes(timeout))

    async def _iter(self, receive: Callable[[], Any]) -> AsyncIterator[Any]:
        """Messages until the server closes (no timeout: the close ends the loop)."""
        closed = _websockets("exceptions").ConnectionClosed
        while True:
            try:
                yield await receive()
            except closed:
                return

    def iter_text(self) -> AsyncIterator[str]:
        return self._iter(lambda: self.receive_text(None))

    def iter_bytes(self) -> AsyncIterator[bytes]:
        return self._iter(lambda: self.receive_bytes(None))

    def iter_json(self, mode: str = "text") -> AsyncIterator[Any]:
        return self._iter(lambda: self.receive_json(mode, None))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self._conn is not None:
            await self._conn.close(code, reason)


class AsyncTestClient(_Served, httpx.AsyncClient):
    """The ``async`` twin of :class:`TestClient` (``async with AsyncTestClient(api) as c``)."""

    __test__ = False

    def __init__(
        self,
        api: BoltAPI,
        engine: str = DEFAULT_ENGINE,
        *,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        follow_redirects: bool = True,
        **kwargs: Any,
    ) -> None:
        port = self._start(api, engine, raise_server_exceptions)
        super().__init__(
            base_url=base_url,
            transport=_AsyncTransport(port, self._sink),
            follow_redirects=follow_redirects,
            **kwargs,
        )

    async def aclose(self) -> None:
        await super().aclose()
        self._stop()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()
