"""10,000 sequential messages on one WebSocket leave the server's memory where it was
(issue 17's conformance table), on both engines: nothing per message is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import serve_api
from .test_body_timeout import rss_kib

APP = "tests.apps.ws_echo_app:api"
MESSAGES = 10_000
#: What the second half of the messages may add to the server's resident memory: far less
#: than one byte per message sent (the messages total about 640 KiB a half).
GROWTH_BUDGET_KIB = 512


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_ten_thousand_messages_without_growth(engine: str) -> None:
    from websockets.sync.client import connect as ws_connect

    srv = serve_api(APP, engine)
    try:
        with ws_connect(f"ws://{srv.host}:{srv.port}/ws/echo", open_timeout=5) as client:
            message = "m" * 64
            half = MESSAGES // 2
            for _ in range(half):  # warm up: allocator pools, caches
                client.send(message)
                assert client.recv(timeout=5) == message
            before = rss_kib(srv.process.pid)  # every message echoed: all of them handled
            for i in range(half):
                client.send(f"{i:064d}")
                assert client.recv(timeout=5) == f"{i:064d}"
            grown = rss_kib(srv.process.pid) - before
        assert grown < GROWTH_BUDGET_KIB, f"{grown} KiB over {half} messages"
    finally:
        srv.stop()
