"""The benchmark endpoints as a bare RSGI app on Granian: the Rust-server ceiling.

The same hand-written dispatch and msgspec JSON as ``asgi_app`` (the Python ceiling), but on
Granian's Rust HTTP server through the RSGI protocol. No Django, so no E5.
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
_JSON = [("content-type", "application/json")]
_OCTET = [("content-type", "application/octet-stream")]
_NOT_FOUND = b'{"detail":"Not Found"}'


async def app(scope, proto) -> None:
    path = scope.path
    method = scope.method
    if method == "GET":
        if path == "/":  # E1
            return proto.response_bytes(200, _JSON, _encode({"message": HELLO["message"]}))
        if path.startswith("/items/"):  # E2, E8
            raw = path[7:]
            try:
                item_id = int(raw)
            except ValueError:
                body = _encode(
                    {"detail": [{"loc": ["path", "id"], "msg": "not an integer", "input": raw}]}
                )
                return proto.response_bytes(422, _JSON, body)
            query = dict(parse_qsl(scope.query_string, keep_blank_values=True))
            return proto.response_bytes(200, _JSON, _encode({"id": item_id, "q": query.get("q")}))
        if path == "/json-10k":  # E4
            return proto.response_bytes(200, _JSON, _encode(make_items()))
        if path == "/stream":  # E6: 16 chunks of 4 KB
            transport = proto.response_stream(200, _OCTET)
            for _ in range(STREAM_CHUNKS):
                await transport.send_bytes(STREAM_CHUNK)
            return None
    elif method == "POST" and path == "/users":  # E3
        body = await proto()
        try:
            user = _decode_user(body)
        except msgspec.DecodeError as exc:
            return proto.response_bytes(422, _JSON, _encode({"detail": str(exc)}))
        return proto.response_bytes(200, _JSON, _encode(user))
    return proto.response_bytes(404, _JSON, _NOT_FOUND)  # E7
