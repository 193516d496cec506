"""``serve()``: run an API on an engine from a plain script, no Django needed.

In a process started by the supervisor (:mod:`._supervisor`) the same call serves the
socket the parent handed down instead of binding one, reports readiness to the parent
instead of printing the banner, and counts requests when ``--max-requests`` asks for it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Collection
from typing import Any, TextIO

from .._app import BoltAPI
from .._threads import handler_threads
from ..engine import ACCESS_LOGGER, ServerConfig
from ..engines import DEFAULT_ENGINE, load_engine
from ._link import parent_link

__all__ = ["banner", "serve"]


def banner(engine: str, host: str, port: int, processes: int = 1) -> str:
    """The start-up line; tests and humans read the resolved engine and address from it."""
    shown = f"[{host}]" if ":" in host else host
    return (
        f"Bolt serving on http://{shown}:{port} (engine={engine}, processes={processes}, "
        f"threads={handler_threads()}, pid={os.getpid()})"
    )


def serve(
    api: BoltAPI,
    engine: str = DEFAULT_ENGINE,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    out: TextIO | None = None,
    ablate: Collection[str] = (),
    **options: Any,
) -> None:
    """Serve ``api`` on the named engine until interrupted (SIGINT/SIGTERM: graceful stop).

    ``options`` are further :class:`~bolt_api.engine.ServerConfig` fields (``workers``,
    ``backlog``, ``keep_alive``, ``max_body_size``, ``reuse_port``, ``graceful_timeout``).

    In a process started by :class:`bolt_api.server.Supervisor` the parent provides the
    listening socket (one of several sharing the port with ``SO_REUSEPORT``), hears of
    readiness through its pipe (it prints the banner, once for all its processes) and, with
    ``--max-requests``, has the requests counted (``BoltAPI.compile(max_requests=...)``).
    ``ablate``: optimisations to switch off, for the benchmark's ablation table only
    (``BoltAPI.compile(ablate=...)``; an unknown name is a ``ValueError``).
    """
    chosen = load_engine(engine)
    if options.get("access_log"):
        _log_access_to_stderr()
    stream = out if out is not None else sys.stdout
    link = parent_link()
    if link is not None:
        host, port = link.host, link.port
        options["listen_fd"] = link.listen_fd
        on_ready: Callable[[str, int], None] = link.ready
        app = api.compile(
            max_requests=link.max_requests, on_max_requests=link.retire, ablate=ablate
        )
    else:
        on_ready = _announce(chosen.name, stream)
        app = api.compile(ablate=ablate)
    config = ServerConfig(host=host, port=port, on_ready=on_ready, **options)
    chosen.serve(app, config)


def _announce(engine: str, stream: TextIO) -> Callable[[str, int], None]:
    def on_ready(host: str, port: int) -> None:
        stream.write(banner(engine, host, port) + "\n")
        stream.flush()

    return on_ready


def _log_access_to_stderr() -> None:
    """Outside Django nobody configured the access logger: give it a plain stderr handler."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
