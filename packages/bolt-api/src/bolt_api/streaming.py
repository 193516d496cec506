"""Streamed responses: ``StreamingResponse`` and Server-Sent Events.

A handler returns an iterator (sync or async) of ``bytes``/``str``; the response renders to a
:class:`~bolt_api.engine.StreamBody` whose chunks are normalised to ``bytes`` here, so each
engine only moves bytes. SSE adds the event framing, keep-alive pings (async sources) and the
headers proxies need to pass events through unbuffered.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

import msgspec

from ._coroutines import DrivenChunks, never_suspends_gen
from ._encoding import encode_json
from ._response import JSONEncode, Response
from .engine import ResponseTuple, StreamBody

__all__ = ["EventSourceResponse", "ServerSentEvent", "StreamingResponse", "format_sse_event"]

Content = Iterable[Any] | AsyncIterable[Any]


def _to_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode()
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"a streamed chunk must be bytes or str, got {type(chunk).__name__}")


class _SyncChunks:
    """A sync iterator of bytes over the user's iterator; ``close()`` reaches the generator."""

    __slots__ = ("_source",)

    def __init__(self, source: Iterable[Any]) -> None:
        self._source: Iterator[Any] = iter(source)

    def __iter__(self) -> _SyncChunks:
        return self

    def __next__(self) -> bytes:
        return _to_bytes(next(self._source))

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


class _AsyncChunks:
    """The async twin of :class:`_SyncChunks`; ``aclose()`` reaches the generator."""

    __slots__ = ("_source",)

    def __init__(self, source: AsyncIterable[Any]) -> None:
        self._source: AsyncIterator[Any] = aiter(source)

    def __aiter__(self) -> _AsyncChunks:
        return self

    async def __anext__(self) -> bytes:
        return _to_bytes(await anext(self._source))

    async def aclose(self) -> None:
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()


def stream_body(content: Content) -> StreamBody:
    """The engine body for ``content`` (sync or async iterable)."""
    if isinstance(content, (str, bytes)):
        raise TypeError("StreamingResponse takes an iterator of chunks, not a str/bytes")
    if hasattr(content, "__aiter__"):
        if never_suspends_gen(content):  # pulled in place (StreamBody.inline)
            return StreamBody(
                DrivenChunks(content, _to_bytes),  # type: ignore[arg-type]
                False,
                True,
            )
        return StreamBody(_AsyncChunks(content), True)  # type: ignore[arg-type]
    if hasattr(content, "__iter__"):
        return StreamBody(_SyncChunks(content), False)
    raise TypeError(f"StreamingResponse content must be iterable, got {type(content).__name__}")


class StreamingResponse(Response):
    """A response whose body is produced chunk by chunk by ``content`` (sync or async)."""

    __slots__ = ()
    default_media_type = "application/octet-stream"

    def __init__(
        self,
        content: Content,
        *,
        status_code: int = 200,
        media_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type)

    def render(self, encode_json: JSONEncode) -> ResponseTuple:
        body = stream_body(self.content)
        return self.status_code, self._header_list(), body


class ServerSentEvent(msgspec.Struct, omit_defaults=True):
    """One event. ``data`` that is not a str is sent as JSON; ``raw_data`` as is."""

    data: Any = None
    raw_data: str | None = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None


def format_sse_event(
    *,
    data_str: str | None = None,
    data_bytes: bytes | None = None,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """The wire form of one event (``data:`` lines split on newlines, blank line after)."""
    lines: list[str] = []
    if comment is not None:
        lines.extend(f": {line}" for line in comment.splitlines() or [""])
    if event is not None:
        lines.append(f"event: {_single_line(event)}")
    if id is not None:
        lines.append(f"id: {_single_line(id)}")
    if retry is not None:
        lines.append(f"retry: {int(retry)}")
    data = data_str if data_bytes is None else data_bytes.decode()
    if data is not None:
        lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return ("\n".join(lines) + "\n\n").encode()


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("SSE event and id fields must be one line")
    return value


def _event_bytes(item: Any) -> bytes:
    if isinstance(item, ServerSentEvent):
        if item.raw_data is not None:
            data: str | None = item.raw_data
        elif item.data is None:
            data = None
        elif isinstance(item.data, str):
            data = item.data
        else:
            data = encode_json(item.data).decode()
        return format_sse_event(
            data_str=data, event=item.event, id=item.id, retry=item.retry, comment=item.comment
        )
    if isinstance(item, bytes):
        return format_sse_event(data_bytes=item)
    if isinstance(item, str):
        return format_sse_event(data_str=item)
    return format_sse_event(data_str=encode_json(item).decode())


_PING = b": ping\n\n"
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no", "connection": "keep-alive"}


class EventSourceResponse(Response):
    """Server-Sent Events from a (sync or async) iterator of events.

    Items may be :class:`ServerSentEvent`, ``str`` (one ``data`` field), ``bytes`` or any
    JSON-encodable value. With an async source, a ``: ping`` comment is sent after
    ``ping_interval`` seconds without an event (``0`` disables pings).
    """

    __slots__ = ("ping_interval",)
    default_media_type = "text/event-stream"

    def __init__(
        self,
        content: Content,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        ping_interval: float = 15.0,
    ) -> None:
        merged = {k: v for k, v in SSE_HEADERS.items() if k != "connection"}
        super().__init__(content, status_code, {**merged, **(headers or {})})
        self.ping_interval = ping_interval

    def render(self, encode_json: JSONEncode) -> ResponseTuple:
        content = self.content
        if hasattr(content, "__aiter__"):
            source: Content = _async_events(content, self.ping_interval)
        elif inspect.isgenerator(content) or hasattr(content, "__iter__"):
            source = _SyncEvents(content)
        else:
            raise TypeError("EventSourceResponse takes an iterator of events")
        return self.status_code, self._header_list(), stream_body(source)


class _SyncEvents:
    __slots__ = ("_source",)

    def __init__(self, source: Iterable[Any]) -> None:
        self._source: Iterator[Any] = iter(source)

    def __iter__(self) -> _SyncEvents:
        return self

    def __next__(self) -> bytes:
        return _event_bytes(next(self._source))

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


async def _async_events(source: AsyncIterable[Any], ping_interval: float) -> AsyncIterator[bytes]:
    iterator = aiter(source)
    pending: asyncio.Task[Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            if ping_interval > 0:
                done, _ = await asyncio.wait({pending}, timeout=ping_interval)
                if not done:
                    yield _PING
                    continue
            try:
                item = await pending
            except StopAsyncIteration:
                return
            finally:
                pending = None
            yield _event_bytes(item)
    finally:
        if pending is not None:
            pending.cancel()
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
