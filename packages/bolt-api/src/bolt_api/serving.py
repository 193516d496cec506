"""``serve()``: run an API on an engine from a plain script, no Django needed."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from .app import BoltAPI
from .engine import ServerConfig
from .engines import DEFAULT_ENGINE, load_engine

__all__ = ["banner", "serve"]


def banner(engine: str, host: str, port: int, processes: int = 1) -> str:
    """The start-up line; tests and humans read the resolved engine and address from it."""
    shown = f"[{host}]" if ":" in host else host
    return (f"Bolt serving on http://{shown}:{port} (engine={engine}, processes={processes}, "
            f"pid={os.getpid()})")


def serve(
    api: BoltAPI,
    engine: str = DEFAULT_ENGINE,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    out: TextIO | None = None,
    **options: Any,
) -> None:
    """Serve ``api`` on the named engine until interrupted.

    ``options`` are further :class:`~bolt_api.engine.ServerConfig` fields (``workers``,
    ``backlog``, ``keep_alive``, ``max_body_size``, ``reuse_port``).
    """
    chosen = load_engine(engine)
    stream = out if out is not None else sys.stdout

    def on_ready(bound_host: str, bound_port: int) -> None:
        stream.write(banner(chosen.name, bound_host, bound_port) + "\n")
        stream.flush()

    config = ServerConfig(host=host, port=port, on_ready=on_ready, **options)
    chosen.serve(api.compile(), config)
