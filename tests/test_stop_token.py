"""``ServerConfig.stop_token``: how each engine, served in-process, answers a stop request."""

from __future__ import annotations

import pytest
from bolt_api import BoltAPI
from bolt_api.engine import ServerConfig, StopToken
from bolt_api.engines import load_engine


def test_a_stop_requested_after_the_engine_returned_is_a_no_op(engine: str) -> None:
    """The engine subscribed to the token, then returned without it (here its ``on_ready``
    hook failed); asking the token for a stop afterwards must not raise in the asking thread
    (the Python engine's closed event loop did)."""
    api = BoltAPI()

    @api.get("/")
    def index() -> dict[str, str]:
        return {}

    def on_ready(host: str, port: int) -> None:
        raise OSError("the ready hook failed")

    token = StopToken()
    config = ServerConfig(
        host="127.0.0.1", port=0, on_ready=on_ready, handle_signals=False, stop_token=token
    )
    with pytest.raises(OSError, match="the ready hook failed"):
        load_engine(engine).serve(api.compile(), config)
    token.request_stop()
    assert token.requested
