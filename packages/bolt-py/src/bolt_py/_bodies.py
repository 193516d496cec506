"""Sending streamed and file bodies (``StreamBody``, ``FileBody`` from the engine contract).

Headers are written by the protocol; these coroutines write the body with flow control
(``wait_writable`` waits while the transport's buffer is full). A sync iterator or a file is
read in the default executor, so a blocking generator or a slow disk never stalls the event
loop; an ``inline`` iterator (it never waits for I/O) is pulled on the loop itself.
Cancellation (the client went away, the server stops) closes the iterator, so the handler's
generator runs its ``finally``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from bolt_api.engine import FileBody, StreamBody

__all__ = ["CHUNK_SIZE", "send_file", "send_stream"]

#: Bytes read from a file per write.
CHUNK_SIZE = 64 * 1024
_END = object()

Write = Callable[[bytes], None]
WaitWritable = Callable[[], Awaitable[None]]


def _next(iterator: Iterator[bytes]) -> Any:
    try:
        return next(iterator)
    except StopIteration:
        return _END


def _framed(chunk: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(chunk), chunk)


def _raw(chunk: bytes) -> bytes:
    return chunk


async def send_stream(
    body: StreamBody, write: Write, wait_writable: WaitWritable, *, chunked: bool = True
) -> None:
    """Write ``body``'s chunks with chunked framing, then the last chunk; without
    ``chunked`` (to an HTTP/1.0 client) as they are, the connection's end ending the body."""
    loop = asyncio.get_running_loop()
    chunks: Any = body.chunks
    frame = _framed if chunked else _raw
    try:
        if body.is_async:
            async for chunk in chunks:
                if chunk:
                    write(frame(chunk))
                    await wait_writable()
        elif body.inline:
            # Never waits for I/O (a never-awaiting async generator driven by bolt-api):
            # pulled right here, its framed chunks joined into writes of up to CHUNK_SIZE.
            batch: list[bytes] = []
            size = 0
            try:
                for chunk in chunks:
                    if chunk:
                        batch.append(frame(chunk))
                        size += len(chunk)
                        if size >= CHUNK_SIZE:
                            write(b"".join(batch))
                            batch.clear()
                            size = 0
                            await wait_writable()
                            # a real turn of the loop: other connections run, and a
                            # client gone away is noticed (wait_writable may not suspend)
                            await asyncio.sleep(0)
            finally:  # what was produced before a failure is sent too (then the cut)
                if batch:
                    write(b"".join(batch))
        else:
            while True:
                chunk = await loop.run_in_executor(None, _next, chunks)
                if chunk is _END:
                    break
                if chunk:
                    write(frame(chunk))
                    await wait_writable()
        if chunked:
            write(b"0\r\n\r\n")
    finally:
        if body.is_async:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
        else:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()


def _read(f: Any, size: int) -> bytes:
    data: bytes = f.read(size)
    return data


async def send_file(body: FileBody, write: Write, wait_writable: WaitWritable) -> None:
    """Write ``body.length`` bytes of the file from ``body.offset``."""
    loop = asyncio.get_running_loop()
    f = await loop.run_in_executor(None, open, body.path, "rb")
    try:
        if body.identity is not None:
            st = os.fstat(f.fileno())
            if (st.st_dev, st.st_ino) != tuple(body.identity):
                # the path leads elsewhere than the file bolt-api checked: send none of it
                raise OSError(f"{body.path} changed after it was checked")
        await loop.run_in_executor(None, f.seek, body.offset)
        remaining = body.length
        while remaining > 0:
            data = await loop.run_in_executor(None, _read, f, min(CHUNK_SIZE, remaining))
            if not data:
                raise OSError(f"{body.path} ended {remaining} bytes early")
            write(data)
            remaining -= len(data)
            await wait_writable()
    finally:
        f.close()
