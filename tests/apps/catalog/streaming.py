"""Streamed responses and server-sent events.

Sync and async generators, an async generator that never awaits (bolt-api drives it inline),
empty chunks (skipped, never taken for the end of the body), a failure mid-stream, a large
body, and endless streams whose ``finally`` records in ``STREAM_EVENTS`` that the generator
was closed when the client went away (``/stream/events`` reads it). ``/sse/ping`` waits
longer than its ping interval before its first event.
"""

from __future__ import annotations

import asyncio
import time

from bolt_api.streaming import EventSourceResponse, ServerSentEvent, StreamingResponse

from .app import api

__all__ = [
    "STREAM_EVENTS",
    "sse",
    "sse_ping",
    "stream_async",
    "stream_big",
    "stream_driven",
    "stream_empty_chunks",
    "stream_endless",
    "stream_events",
    "stream_sync",
]

STREAM_EVENTS: list[str] = []


@api.get("/stream/sync")
def stream_sync() -> StreamingResponse:
    def gen():  # type: ignore[no-untyped-def]
        yield "a"
        yield b"b"
        yield "c"

    return StreamingResponse(gen(), media_type="text/plain")


@api.get("/stream/async")
async def stream_async(n: int = 3) -> StreamingResponse:
    async def gen():  # type: ignore[no-untyped-def]
        for i in range(n):
            await asyncio.sleep(0.001)
            yield f"{i};"

    return StreamingResponse(gen(), media_type="text/plain")


@api.get("/stream/driven")
def stream_driven(n: int = 3, fail: bool = False) -> StreamingResponse:
    """An async generator that never awaits: bolt-api drives it in place (inline)."""

    async def gen():  # type: ignore[no-untyped-def]
        for i in range(n):
            yield f"{i};"
            yield b""  # empty chunks are skipped, never taken for the end of the body
            if fail and i == 1:
                raise RuntimeError("the generator failed mid-stream")

    return StreamingResponse(gen(), media_type="text/plain")


@api.get("/stream/empty-chunks")
def stream_empty_chunks() -> StreamingResponse:
    def gen():  # type: ignore[no-untyped-def]
        yield b""
        yield "a"
        yield b""
        yield "b"

    return StreamingResponse(gen(), media_type="text/plain")


@api.get("/stream/big")
def stream_big() -> StreamingResponse:
    return StreamingResponse(bytes([i]) * 65536 for i in range(16))


@api.get("/stream/endless")
def stream_endless(kind: str = "async") -> StreamingResponse:
    async def agen():  # type: ignore[no-untyped-def]
        try:
            while True:
                yield b"x" * 1024
                await asyncio.sleep(0.005)
        finally:
            STREAM_EVENTS.append("async closed")

    async def driven():  # type: ignore[no-untyped-def]  # never awaits: pulled inline
        try:
            while True:
                yield b"z" * 1024
        finally:
            STREAM_EVENTS.append("driven closed")

    def sgen():  # type: ignore[no-untyped-def]
        try:
            while True:
                yield b"y" * 1024
                time.sleep(0.005)
        finally:
            STREAM_EVENTS.append("sync closed")

    source = {"async": agen, "sync": sgen, "driven": driven}[kind]()
    return StreamingResponse(source)


@api.get("/stream/events")
def stream_events() -> list[str]:
    return list(STREAM_EVENTS)


@api.get("/sse")
def sse() -> EventSourceResponse:
    def events():  # type: ignore[no-untyped-def]
        yield {"n": 1}
        yield ServerSentEvent(data="two\nlines", event="update", id="2")
        yield "three"

    return EventSourceResponse(events())


@api.get("/sse/ping")
async def sse_ping() -> EventSourceResponse:
    async def events():  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.25)
        yield "late"

    return EventSourceResponse(events(), ping_interval=0.05)
