"""The ``python`` engine: a listening socket, an event loop, signals and a graceful stop.

:class:`Engine` is what bolt-api loads from the ``bolt_api.engines`` entry point. ``serve``
creates the socket itself (so ``SO_REUSEPORT``, the backlog and port 0 behave the same way
as in the Rust engine), serves it with :class:`~bolt_py.protocol.HttpProtocol` on a uvloop
loop (plain asyncio when uvloop is not installed) and, on SIGINT or SIGTERM, stops accepting,
closes idle connections, lets requests in flight finish for up to :data:`DRAIN_TIMEOUT`
seconds and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time
from typing import ClassVar

from bolt_api.engine import CompiledApp, ServerConfig

from .protocol import HttpProtocol
from .state import ServerState

__all__ = ["DRAIN_TIMEOUT", "Engine", "bind_socket", "new_event_loop"]

#: Seconds a graceful stop waits for requests in flight before dropping connections.
DRAIN_TIMEOUT = 10.0


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop event loop, or the default asyncio one when uvloop is unavailable."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def bind_socket(config: ServerConfig) -> socket.socket:
    """A non-blocking TCP socket bound to ``config.host:config.port`` and listening."""
    host = config.host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if config.reuse_port:
            reuse_port = getattr(socket, "SO_REUSEPORT", None)
            if reuse_port is None:
                raise ValueError("reuse_port=True is not supported on this platform")
            sock.setsockopt(socket.SOL_SOCKET, reuse_port, 1)
        try:
            sock.bind((host, config.port))
        except OSError as exc:
            raise OSError(exc.errno, f"cannot bind {config.host}:{config.port}: "
                                     f"{exc.strerror}") from exc
        sock.listen(config.backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _check(config: ServerConfig) -> None:
    if config.workers != 1:
        raise ValueError(
            f"the python engine runs one event loop per process: workers must be 1, "
            f"got {config.workers} (start several processes with reuse_port=True instead)")
    if config.keep_alive < 0:
        raise ValueError(f"keep_alive must be >= 0, got {config.keep_alive}")
    if config.max_body_size < 0:
        raise ValueError(f"max_body_size must be >= 0, got {config.max_body_size}")
    if config.backlog < 1:
        raise ValueError(f"backlog must be >= 1, got {config.backlog}")


async def _serve(app: CompiledApp, config: ServerConfig) -> None:
    loop = asyncio.get_running_loop()
    state = ServerState(app, config, loop)
    sock = bind_socket(config)
    try:
        server = await loop.create_server(lambda: HttpProtocol(state), sock=sock,
                                          backlog=config.backlog)
    except BaseException:
        sock.close()
        raise

    def tick() -> None:
        state.date.refresh()
        now = time.time()
        loop.call_later(1.0 - (now - int(now)) + 0.001, tick)

    tick()
    stop = asyncio.Event()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (ValueError, RuntimeError, NotImplementedError):
            continue  # not the main thread, or no signal support: run until cancelled
        installed.append(sig)
    try:
        if config.on_ready is not None:
            config.on_ready(config.host, sock.getsockname()[1])
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await _stop(server, state)


async def _stop(server: asyncio.AbstractServer, state: ServerState) -> None:
    """Stop accepting, close idle connections, drain the busy ones (bounded), drop the rest."""
    loop = state.loop
    server.close()
    state.stopping = True
    for conn in list(state.connections):
        conn.shutdown()
    deadline = loop.time() + DRAIN_TIMEOUT
    while state.connections and loop.time() < deadline:
        await asyncio.sleep(0.05)
    for conn in list(state.connections):
        conn.abort()
    await asyncio.sleep(0)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(server.wait_closed(), 1.0)


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


class Engine:
    """Bolt's pure-Python engine (``--engine python``)."""

    name: ClassVar[str] = "python"

    def serve(self, app: CompiledApp, config: ServerConfig) -> None:
        """Serve ``app`` until SIGINT/SIGTERM; return after a graceful stop."""
        _check(config)
        loop = new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(_serve(app, config))
        finally:
            try:
                _cancel_all(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                asyncio.set_event_loop(None)
                loop.close()
