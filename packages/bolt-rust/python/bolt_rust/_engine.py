"""The ``rust`` engine object bolt-api loads by name.

The native ``_bolt.serve`` reads the :class:`~bolt_api.engine.CompiledApp` and the
:class:`~bolt_api.engine.ServerConfig` itself (their defaults are the dataclasses'); this
wrapper adds only what lives in Python: the asyncio loop thread, the access log's ``logging``
writer, the trusted proxies and the bolt-api objects the engine uses (:class:`BoltApiParts`),
so that Rust imports no Python module by name.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bolt_api.engine import (
    ACCESS_LOGGER,
    ENGINE_LOGGER,
    CompiledApp,
    FileBody,
    Needs,
    ServerConfig,
    StreamBody,
    arequest_user,
    build_absolute_uri,
    get_full_path,
    request_meta,
    request_user,
)
from bolt_api.proxies import TrustedProxies

from . import _bolt
from ._loop import LoopThread

__all__ = ["BoltApiParts", "Engine"]


@dataclass(frozen=True, slots=True)
class BoltApiParts:
    """The bolt-api objects the Rust engine works with, handed to ``_bolt.serve`` at start."""

    #: Response bodies other than ``bytes``, recognised by exact type.
    stream_body: type[StreamBody] = StreamBody
    file_body: type[FileBody] = FileBody
    #: What the native request's methods of the same names call.
    get_full_path: Callable[[Any], str] = get_full_path
    build_absolute_uri: Callable[[Any, str | None], str] = build_absolute_uri
    #: Behind ``request.user`` and ``request.auser()``.
    request_user: Callable[[Any], Any] = request_user
    arequest_user: Callable[[Any], Any] = arequest_user
    #: Behind ``request.META``.
    request_meta: Callable[[Any], dict[str, Any]] = request_meta
    #: The engine reads the bit values of the flags it acts on from here.
    needs: type[Needs] = Needs
    #: Where the engine reports its own errors.
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger(ENGINE_LOGGER))


class Engine:
    """Serves a compiled bolt-api app with hyper (see ``ENGINE_CONTRACT.md``)."""

    name: ClassVar[str] = "rust"

    def serve(self, app: CompiledApp, config: ServerConfig) -> None:
        loop = LoopThread()
        # With access_log_file, Rust writes the lines itself; otherwise they go to logging.
        writer = _AccessLogWriter() if config.access_log_to_logging else None
        proxies = TrustedProxies(config.trusted_proxies) if config.trusted_proxies else None
        try:
            with _lifespan(app, loop), _rust_handles_sigint(config.handle_signals):
                _bolt.serve(
                    app,
                    config,
                    BoltApiParts(),
                    submit=loop.submit,
                    start_access_log=writer.start if writer is not None else None,
                    trusted_proxies=proxies,
                    ws_loop=loop.loop,
                )
        finally:
            loop.stop()
            if writer is not None:
                writer.join()  # the lines of the last requests are written, not lost


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
def _lifespan(app: CompiledApp, loop: LoopThread) -> Iterator[None]:
    """Enter the app's lifespan on the handlers' loop before serving, exit it after.

    ``_bolt.serve`` binds (or takes over ``listen_fd``) only once this has entered, so no
    connection is accepted before start-up ends; it returns after the graceful stop's
    drain, and the lifespan is exited then, on the same loop (ENGINE_CONTRACT.md §5).
    """
    if app.lifespan is None:
        yield
        return
    manager = app.lifespan()
    loop.run(manager.__aenter__())
    try:
        yield
    except BaseException as exc:
        if not loop.run(manager.__aexit__(type(exc), exc, exc.__traceback__)):
            raise
    else:
        loop.run(manager.__aexit__(None, None, None))


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
