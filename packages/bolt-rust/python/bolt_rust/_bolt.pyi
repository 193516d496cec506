"""Type stubs for the native module ``bolt_rust._bolt`` (hand-written; checked by stubtest)."""

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, final

from bolt_api.engine import CompiledApp, ServerConfig
from bolt_api.proxies import TrustedProxies

from ._engine import BoltApiParts

__all__ = [
    "AccessLogReader",
    "Channel",
    "Completion",
    "Request",
    "StopHandle",
    "__version__",
    "_bound_query",
    "_request_from_head",
    "serve",
]

__version__: str

@final
class Channel:
    """A WebSocket route's ``receive`` and ``send`` (ENGINE_CONTRACT.md §8)."""

    def receive(self) -> asyncio.Future[dict[str, Any]]: ...
    def send(self, message: dict[str, Any]) -> asyncio.Future[None]: ...
    def _wake(self) -> None: ...
    def _settle(self, future: asyncio.Future[None], broken: bool) -> None: ...

@final
class Request:
    """A request as bolt-api's ``Request`` protocol describes it; parts parsed lazily."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query_string(self) -> str: ...
    @property
    def bound(self) -> dict[str, Any] | None: ...
    @property
    def path_params(self) -> dict[str, str] | None: ...
    @property
    def body(self) -> bytes: ...
    @property
    def client(self) -> tuple[str, int] | None: ...
    @property
    def scheme(self) -> str: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def accept_encoding(self) -> str | None: ...
    @property
    def host(self) -> str | None: ...
    @property
    def query(self) -> dict[str, str]: ...
    @property
    def query_multi(self) -> dict[str, list[str]]: ...
    @property
    def cookies(self) -> dict[str, str]: ...
    @property
    def state(self) -> dict[str, Any]: ...
    def get_full_path(self) -> str: ...
    def build_absolute_uri(self, location: str | None = None) -> str: ...
    @property
    def user(self) -> Any: ...
    def auser(self) -> Coroutine[Any, Any, Any]: ...
    @property
    def META(self) -> dict[str, Any]: ...

@final
class Completion:
    """Receives a finished asyncio task and hands its result back to Rust."""

    def __call__(self, task: Any) -> None: ...

@final
class AccessLogReader:
    """Lines of the access log, formatted in Rust."""

    def drain(self, timeout: float) -> list[str] | None: ...

@final
class StopHandle:
    """Asks a running ``serve`` to stop gracefully; ``serve`` subscribes one to the config's
    ``stop_token``."""

    def stop(self) -> None: ...

def serve(
    app: CompiledApp,
    config: ServerConfig,
    bolt_api: BoltApiParts,
    *,
    submit: Callable[[Coroutine[Any, Any, Any], Completion], None],
    start_access_log: Callable[[AccessLogReader], None] | None,
    trusted_proxies: TrustedProxies | None,
    ws_loop: asyncio.AbstractEventLoop,
) -> None:
    """Serve ``app`` as ``config`` says until a signal or ``config.stop_token`` stops it.

    ``submit`` runs a coroutine on the asyncio loop thread; ``start_access_log`` (when the
    access log goes through ``logging``) is called once with the reader of its lines;
    ``trusted_proxies`` is built from ``config.trusted_proxies`` (``None`` when empty).
    """

# Test hook (src/testing.rs): the server's HTTP/1 dispatcher and checks on one in-memory
# connection; the request object, the engine's own status, or None (closed, no answer).
def _request_from_head(
    raw: bytes,
    *,
    max_uri_size: int = 8192,
    max_header_size: int = 65536,
    max_header_count: int = 100,
    max_body_size: int = 1048576,
) -> Request | int | None: ...

# Test hook (src/testing.rs): what the ParamSpec fast path hands over as request.bound for
# optional str query parameters named keys, or None when it leaves the request to bolt-api.
def _bound_query(query: str, keys: Sequence[str]) -> dict[str, str | None] | None: ...
