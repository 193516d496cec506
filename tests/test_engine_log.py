"""Engine errors go through ``logging``, to ``bolt_api.engine.ENGINE_LOGGER``, on both engines.

So they land where the application's logging configuration (Django's ``LOGGING``) sends
them, with the traceback. The API is served in-process (``bolt_api.testing``), so the records
reach pytest's ``caplog`` from the engine's own threads.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from bolt_api import BoltAPI
from bolt_api.engine import ENGINE_LOGGER
from bolt_api.streaming import StreamingResponse
from bolt_api.testing import TestClient

BROKE_OFF = "error while sending a response body; closing the connection"


def make_api() -> BoltAPI:
    api = BoltAPI()

    def sync_body() -> Iterator[bytes]:
        yield b"first;"
        raise RuntimeError("the sync body broke")

    async def async_body() -> AsyncIterator[bytes]:
        yield b"first;"
        await asyncio.sleep(0)
        raise RuntimeError("the async body broke")

    async def driven_body() -> AsyncIterator[bytes]:  # never awaits: pulled in place
        yield b"first;"
        raise RuntimeError("the driven body broke")

    bodies: dict[str, Callable[[], Iterator[bytes] | AsyncIterator[bytes]]] = {
        "sync": sync_body,
        "async": async_body,
        "driven": driven_body,
    }

    @api.get("/broken/{kind}")
    def broken(kind: str) -> StreamingResponse:
        return StreamingResponse(bodies[kind](), media_type="text/plain")

    @api.get("/fine")
    def fine() -> StreamingResponse:
        return StreamingResponse(iter([b"a", b"b"]), media_type="text/plain")

    return api


def engine_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == ENGINE_LOGGER]


@pytest.mark.parametrize("kind", ["sync", "async", "driven"])
def test_a_body_that_fails_midway_is_logged_with_its_traceback(
    engine: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ENGINE_LOGGER)
    with TestClient(make_api(), engine=engine, raise_server_exceptions=False) as client:
        assert client.get("/fine").content == b"ab"
        assert engine_records(caplog) == []  # a request that went well logs nothing
        with pytest.raises(httpx.RemoteProtocolError):  # the body is cut: no last chunk
            client.get(f"/broken/{kind}")
        # Logged before the connection was closed, so already there.
        [record] = engine_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.getMessage() == BROKE_OFF
    assert record.exc_info is not None
    _, exc, tb = record.exc_info
    assert isinstance(exc, RuntimeError)
    assert str(exc) == f"the {kind} body broke"
    assert f"{kind}_body" in "".join(traceback.format_tb(tb))  # the generator's own frame
