"""The benchmark endpoints as a bare ASGI callable on uvicorn + httptools: the Python ceiling.

No framework: hand-written dispatch, ``int()`` for the path parameter, ``parse_qsl`` for the
query, and msgspec for JSON (the same encoder and validator Bolt uses), so the difference to
Bolt on the Python engine is what the framework and its server add. No Django, so no E5.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import msgspec

from benchmarks.apps.common import HELLO, STREAM_CHUNK, STREAM_CHUNKS, make_items


class User(msgspec.Struct):
    name: str
    email: str
    age: int
    tags: list[str]


_encode = msgspec.json.Encoder().encode
_decode_user = msgspec.json.Decoder(User).decode
_JSON = b"application/json"
_NOT_FOUND = b'{"detail":"Not Found"}'


def _headers(ctype: bytes, length: int) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", ctype), (b"content-length", str(length).encode())]


async def _reply(send, status: int, body: bytes, ctype: bytes = _JSON) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": _headers(ctype, len(body))}
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive) -> bytes:
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body"):
        return body
    parts = [body]
    while message.get("more_body"):
        message = await receive()
        parts.append(message.get("body", b""))
    return b"".join(parts)


async def app(scope, receive, send) -> None:
    path = scope["path"]
    method = scope["method"]
    if method == "GET":
        if path == "/":  # E1
            return await _reply(send, 200, _encode({"message": HELLO["message"]}))
        if path.startswith("/items/"):  # E2, E8
            raw = path[7:]
            try:
                item_id = int(raw)
            except ValueError:
                body = _encode(
                    {"detail": [{"loc": ["path", "id"], "msg": "not an integer", "input": raw}]}
                )
                return await _reply(send, 422, body)
            query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
            return await _reply(send, 200, _encode({"id": item_id, "q": query.get("q")}))
        if path == "/json-10k":  # E4
            return await _reply(send, 200, _encode(make_items()))
        if path == "/stream":  # E6: 16 chunks of 4 KB, chunked transfer encoding
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/octet-stream")],
                }
            )
            for _ in range(STREAM_CHUNKS):
                await send({"type": "http.response.body", "body": STREAM_CHUNK, "more_body": True})
            return await send({"type": "http.response.body", "body": b""})
    elif method == "POST" and path == "/users":  # E3
        body = await _read_body(receive)
        try:
            user = _decode_user(body)
        except msgspec.DecodeError as exc:
            return await _reply(send, 422, _encode({"detail": str(exc)}))
        return await _reply(send, 200, _encode(user))
    return await _reply(send, 404, _NOT_FOUND)  # E7
