"""The ``python`` engine: a listening socket, an event loop, signals and a graceful stop.

:class:`Engine` is what bolt-api loads from the ``bolt_api.engines`` entry point. ``serve``
creates the socket itself (so ``SO_REUSEPORT``, the backlog and port 0 behave the same way
as in the Rust engine), serves it with :class:`~bolt_py._protocol.HttpProtocol` on a uvloop
loop (plain asyncio when uvloop is not installed) and, on SIGINT or SIGTERM, stops accepting
(the listening socket is closed), closes idle connections, lets requests in flight finish —
their responses carry ``connection: close`` — for up to ``config.graceful_timeout`` seconds,
cuts what is left and returns. A second SIGINT cuts at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import time
from typing import ClassVar

from bolt_api.engine import MAX_URI_SIZE, CompiledApp, ServerConfig

from ._protocol import HttpProtocol
from ._state import ServerState

__all__ = ["Engine", "bind_socket", "new_event_loop"]


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop event loop, or the default asyncio one when uvloop is unavailable."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def bind_socket(config: ServerConfig) -> socket.socket:
    """A non-blocking TCP socket bound to ``config.host:config.port`` and listening.

    With ``config.listen_fd`` (a supervisor's socket), that socket instead, taken over: it is
    closed when the server stops accepting.
    """
    if config.listen_fd is not None:
        sock = socket.socket(fileno=config.listen_fd)
        sock.setblocking(False)
        return sock
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
            raise OSError(
                exc.errno, f"cannot bind {config.host}:{config.port}: {exc.strerror}"
            ) from exc
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
            f"got {config.workers} (start several processes with reuse_port=True instead)"
        )
    if config.keep_alive < 0:
        raise ValueError(f"keep_alive must be >= 0, got {config.keep_alive}")
    if config.max_body_size < 0:
        raise ValueError(f"max_body_size must be >= 0, got {config.max_body_size}")
    if config.backlog < 1:
        raise ValueError(f"backlog must be >= 1, got {config.backlog}")
    if not config.graceful_timeout >= 0:
        raise ValueError(f"graceful_timeout must be >= 0, got {config.graceful_timeout}")
    if not config.header_timeout >= 0:
        raise ValueError(f"header_timeout must be >= 0, got {config.header_timeout}")
    for name in ("body_timeout", "body_min_rate", "body_rate_grace"):
        if not getattr(config, name) >= 0:
            raise ValueError(f"{name} must be >= 0, got {getattr(config, name)}")
    for name in ("ws_heartbeat_interval", "ws_client_timeout"):
        if not getattr(config, name) >= 0:
            raise ValueError(f"{name} must be >= 0, got {getattr(config, name)}")
    for name in ("max_uri_size", "max_header_size", "max_header_count", "ws_max_message_size"):
        if getattr(config, name) < 1:
            raise ValueError(f"{name} must be at least 1, got {getattr(config, name)}")
    if config.max_uri_size > MAX_URI_SIZE:
        # the Rust engine cannot take a longer target; the engines keep one limit
        raise ValueError(f"max_uri_size must be at most {MAX_URI_SIZE}, got {config.max_uri_size}")
    if config.ws_max_connections < 0:
        raise ValueError(f"ws_max_connections must be >= 0, got {config.ws_max_connections}")


async def _serve(app: CompiledApp, config: ServerConfig) -> None:
    """The lifespan is entered before the socket is bound or served (so no connection is
    accepted before start-up ends) and exited after the stop, on this loop (contract §5)."""
    lifespan: contextlib.AbstractAsyncContextManager[None] = (
        app.lifespan() if app.lifespan is not None else contextlib.nullcontext()
    )
    async with lifespan:
        await _serve_socket(app, config)


async def _serve_socket(app: CompiledApp, config: ServerConfig) -> None:
    loop = asyncio.get_running_loop()
    state = ServerState(app, config, loop)
    sock = bind_socket(config)
    try:
        server = await loop.create_server(
            lambda: HttpProtocol(state), sock=sock, backlog=config.backlog
        )
    except BaseException:
        sock.close()
        raise

    def tick() -> None:
        state.date.refresh()
        if state.access_log is not None:
            state.access_log.flush()
        now = time.time()
        loop.call_later(1.0 - (now - int(now)) + 0.001, tick)

    tick()
    stop = asyncio.Event()
    force = asyncio.Event()

    def on_signal(sig: signal.Signals) -> None:
        if not stop.is_set():
            stop.set()  # the first SIGINT or SIGTERM: graceful
        elif sig == signal.SIGINT and not force.is_set():
            print("bolt: second SIGINT; stopping now", file=sys.stderr, flush=True)
            force.set()

    def wake() -> None:
        """Run by the token in the thread that asks for the stop. Once this server has
        returned, its loop is closed and the stop is moot: a no-op, as in the Rust engine."""
        with contextlib.suppress(RuntimeError):  # "Event loop is closed"
            loop.call_soon_threadsafe(stop.set)

    if config.stop_token is not None:
        config.stop_token.subscribe(wake)
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM) if config.handle_signals else ():
        try:
            loop.add_signal_handler(sig, on_signal, sig)
        except (ValueError, RuntimeError, NotImplementedError):
            continue  # not the main thread, or no signal support: run until cancelled
        installed.append(sig)
    try:
        if config.on_ready is not None:
            config.on_ready(config.host, sock.getsockname()[1])
        await stop.wait()
        await _stop(server, state, config.graceful_timeout, force)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        if not state.stopping:  # cancelled, or on_ready failed
            await _stop(server, state, 0.0, force)
        if state.access_log is not None:
            state.access_log.close()


async def _stop(
    server: asyncio.AbstractServer, state: ServerState, timeout: float, force: asyncio.Event
) -> None:
    """Stop accepting, close idle connections, drain the busy ones (bounded), cut the rest."""
    loop = state.loop
    server.close()
    state.stopping = True
    for conn in list(state.connections):
        conn.shutdown()
    deadline = loop.time() + timeout
    while state.connections and not force.is_set():
        left = deadline - loop.time()
        if left <= 0:
            cut = sum(conn.in_flight() for conn in state.connections)
            if cut:
                print(
                    f"bolt: graceful timeout ({timeout:g}s) expired; cutting {cut} "
                    f"request(s) in flight",
                    file=sys.stderr,
                    flush=True,
                )
            break
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(force.wait(), min(left, 0.05))
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
        """Serve ``app`` until SIGINT/SIGTERM; return after a graceful stop (module doc)."""
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
