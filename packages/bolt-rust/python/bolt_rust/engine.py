"""The ``rust`` engine object bolt-api loads by name."""

from __future__ import annotations

from typing import ClassVar

from bolt_api.engine import CompiledApp, ServerConfig

from . import _bolt
from .loop import LoopThread

__all__ = ["Engine"]


class Engine:
    """Serves a compiled bolt-api app with Actix Web (see ``ENGINE_CONTRACT.md``)."""

    name: ClassVar[str] = "rust"

    def serve(self, app: CompiledApp, config: ServerConfig) -> None:
        routes = [(r.method, r.path, r.call, r.is_async, int(r.needs)) for r in app.routes]
        errors = [(status, app.render_error(status)) for status in app.engine_error_statuses]
        loop = LoopThread()
        try:
            _bolt.serve(
                routes, app.fallback, errors, loop.submit, config.host, config.port,
                workers=config.workers, backlog=config.backlog, keep_alive=config.keep_alive,
                max_body_size=config.max_body_size, reuse_port=config.reuse_port,
                on_ready=config.on_ready,
            )
        finally:
            loop.stop()
