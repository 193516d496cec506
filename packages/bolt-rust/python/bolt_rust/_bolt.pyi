"""Type stubs for the native module ``bolt_rust._bolt`` (hand-written; checked by stubtest)."""

from collections.abc import Callable, Sequence
from typing import Any, final

__all__ = ["AccessLogReader", "Completion", "Request", "StopHandle", "__version__", "serve"]

__version__: str

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
    def query(self) -> dict[str, str]: ...
    @property
    def query_multi(self) -> dict[str, list[str]]: ...
    @property
    def cookies(self) -> dict[str, str]: ...
    @property
    def state(self) -> dict[str, Any]: ...
    def get_full_path(self) -> str: ...
    def build_absolute_uri(self, location: str | None = None) -> str: ...

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
    """Asks a running ``serve`` to stop gracefully, from another thread."""

    def __init__(self) -> None: ...
    def stop(self) -> None: ...

def serve(
    routes: Sequence[
        tuple[
            str,
            str,
            Callable[[Any], Any],
            bool,
            int,
            Sequence[tuple[str, str, str, str, bool, Any, int]] | None,
        ]
    ],
    fallback: Callable[[Any, tuple[str, ...] | None], Any],
    errors: Sequence[tuple[int, Any]],
    submit: Callable[[Any, Completion], None],
    host: str,
    port: int,
    *,
    workers: int = 1,
    backlog: int = 1024,
    keep_alive: float = 5.0,
    max_body_size: int = 1048576,
    reuse_port: bool = False,
    graceful_timeout: float = 30.0,
    listen_fd: int | None = None,
    on_ready: Callable[[str, int], None] | None = None,
    handle_signals: bool = True,
    stop_handle: StopHandle | None = None,
    access_log: Callable[[AccessLogReader], None] | None = None,
    trusted_proxies: Any = None,
    header_timeout: float = 10.0,
    max_uri_size: int = 8192,
    max_header_size: int = 65536,
    max_header_count: int = 100,
    static_headers: Sequence[Any] = ...,
    access_log_file: str | None = None,
    not_found: Any = None,
) -> None: ...
