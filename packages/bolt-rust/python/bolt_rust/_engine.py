"""The ``rust`` engine object bolt-api loads by name."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

from bolt_api.engine import ACCESS_LOGGER, CompiledApp, RouteSpec, ServerConfig
from bolt_api.proxies import TrustedProxies

from . import _bolt
from ._loop import LoopThread

__all__ = ["Engine"]


class Engine:
    """Serves a compiled bolt-api app with Actix Web (see ``ENGINE_CONTRACT.md``)."""

    name: ClassVar[str] = "rust"

    def serve(self, app: CompiledApp, config: ServerConfig) -> None:
        routes = [
            (r.method, r.path, r.call, r.is_async, int(r.needs), _fast_params(r))
            for r in app.routes
        ]
        errors = [(status, app.render_error(status)) for status in app.engine_error_statuses]
        loop = LoopThread()
        # With access_log_file, Rust writes the lines itself; otherwise they go to logging.
        writer = _AccessLogWriter() if config.access_log_to_logging else None
        stop_handle = None
        if config.stop_token is not None:
            stop_handle = _bolt.StopHandle()
            config.stop_token.subscribe(stop_handle.stop)
        try:
            with _rust_handles_sigint(config.handle_signals):
                _bolt.serve(
                    routes,
                    app.fallback,
                    errors,
                    loop.submit,
                    config.host,
                    config.port,
                    workers=config.workers,
                    backlog=config.backlog,
                    keep_alive=config.keep_alive,
                    max_body_size=config.max_body_size,
                    header_timeout=config.header_timeout,
                    max_uri_size=config.max_uri_size,
                    max_header_size=config.max_header_size,
                    max_header_count=config.max_header_count,
                    static_headers=list(app.static_headers),
                    not_found=app.not_found,
                    access_log_file=config.access_log_file,
                    reuse_port=config.reuse_port,
                    graceful_timeout=config.graceful_timeout,
                    listen_fd=config.listen_fd,
                    on_ready=config.on_ready,
                    handle_signals=config.handle_signals,
                    stop_handle=stop_handle,
                    access_log=writer.start if writer is not None else None,
                    trusted_proxies=(
                        TrustedProxies(config.trusted_proxies) if config.trusted_proxies else None
                    ),
                )
        finally:
            loop.stop()
            if writer is not None:
                writer.join()  # the lines of the last requests are written, not lost


def _fast_params(route: RouteSpec) -> list[tuple[Any, ...]] | None:
    """The route's ``ParamSpec`` rows, for Rust to convert the values itself."""
    if route.params is None:
        return None
    return [
        (sys.intern(p.name), p.source, p.key, p.kind, p.required, p.default, p.max_length)
        for p in route.params
    ]


class _AccessLogWriter:
    """Writes the lines Rust formats to ``logging``, in batches, from a thread of its own."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None

    def start(self, reader: _bolt.AccessLogReader) -> None:
        logger = logging.getLogger(ACCESS_LOGGER)

        def run() -> None:
            while True:
                lines = reader.drain(0.5)
                if lines is None:  # the server is gone and every line was read
                    return
                for line in lines:
                    logger.info(line)

        self._thread = threading.Thread(target=run, name="bolt-access-log", daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=5)


@contextlib.contextmanager
def _rust_handles_sigint(handle_signals: bool) -> Iterator[None]:
    """Let the Rust side own SIGINT while it serves.

    Tokio's handler chains to the one installed before it; with Python's in place, the SIGINT
    that starts a graceful stop would also surface later as a stray ``KeyboardInterrupt``.
    Python's handler is put back afterwards.
    """
    if not handle_signals or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
