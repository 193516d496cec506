"""WebSocket routes written against the engine contract alone (ENGINE_CONTRACT.md §8).

The engines' WebSocket conformance tests serve this app: its WebSocket routes are plain
:data:`~bolt_api.engine.WebSocketCall` functions appended to what ``BoltAPI.compile()``
builds, so they check the engine's half of the contract — handshake answer, framing,
limits, timers, stop — without bolt-api's ``@api.websocket`` layer. What a route saw
(the messages it received, the disconnect) is kept per connection id and read back over
plain HTTP at ``GET /seen/{cid}``.

Routes (``cid`` is the query's ``cid``, any string the test picks):

* ``/ws/echo`` — accept (the first offered subprotocol, if any, and an ``x-accepted: 1``
  header), echo each message as it came (text as text, bytes as bytes), until the
  disconnect. A text message ``"close <code> <reason>"`` closes with that code instead.
  ``GET /ws/echo`` without an upgrade is an ordinary HTTP route (the tables are separate).
* ``/ws/deny`` — answer ``403`` with a JSON body instead of upgrading.
* ``/ws/silent`` — return without answering the handshake (the engine answers 500).
* ``/ws/raise`` — accept, then raise (the engine closes with 1011).
* ``/ws/return`` — accept, then return (the engine closes with 1000).
* ``/ws/flood?n=N&size=S`` — accept, send ``N`` binary messages of ``S`` bytes, then close
  1000; records how many ``send()`` calls returned (back-pressure stalls them).
* ``/ws/wait`` — accept, then receive until the disconnect (the stop and timer tests).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from bolt_api import BoltAPI
from bolt_api.engine import (
    CompiledApp,
    Needs,
    Request,
    RouteSpec,
    WebSocketCall,
    WebSocketReceive,
    WebSocketSend,
)
from bolt_api.openapi import OpenAPIConfig

__all__ = ["api"]

#: cid -> what the route saw: {"events": [...], "sent": int, "error": str | None}
SEEN: dict[str, dict[str, Any]] = {}


def _record(request: Request) -> dict[str, Any]:
    cid = (request.query or {}).get("cid", "")
    entry: dict[str, Any] = {"events": [], "sent": 0, "error": None}
    SEEN[cid] = entry
    return entry


def _subprotocol(request: Request) -> str | None:
    offered = (request.headers or {}).get("sec-websocket-protocol")
    if not offered:
        return None
    return offered.split(",")[0].strip() or None


async def _echo(request: Request, receive: WebSocketReceive, send: WebSocketSend) -> None:
    seen = _record(request)
    seen["events"].append(await receive())
    await send(
        {
            "type": "websocket.accept",
            "subprotocol": _subprotocol(request),
            "headers": [(b"x-accepted", b"1")],
        }
    )
    while True:
        message = await receive()
        seen["events"].append(message)
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is not None and text.startswith("close "):
            _, code, *reason = text.split(" ", 2)
            await send({"type": "websocket.close", "code": int(code), "reason": "".join(reason)})
            seen["events"].append(await receive())
            return
        if text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})


async def _deny(request: Request, receive: WebSocketReceive, send: WebSocketSend) -> None:
    _record(request)["events"].append(await receive())
    body = b'{"detail":"denied"}'
    await send(
        {
            "type": "websocket.http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "websocket.http.response.body", "body": body})


async def _silent(request: Request, receive: WebSocketReceive, send: WebSocketSend) -> None:
    _record(request)["events"].append(await receive())


async def _raise(request: Request, receive: WebSocketReceive, send: WebSocketSend) -> None:
    _record(request)["events"].append(await receive())
    await send({"type": "websocket.accept"})
    raise RuntimeError("the handler failed after accepting")


async def _return(request: Request, receive: WebSocketReceive, send: WebSocketSend) -> None:
    _record(request)["events"].append(await receive())
    await send({"type": "websocket.accept"})


async def _flood(request: Request, receive: WebSocketReceive, send: WebSocketSend) -> None:
    seen = _record(request)
    seen["events"].append(await receive())
    query = request.query or {}
    count, size = int(query.get("n", "1")), int(query.get("size", "1"))
    await send({"type": "websocket.accept"})
    payload = b"x" * size
    try:
        for _ in range(count):
            await send({"type": "websocket.send", "bytes": payload})
            seen["sent"] += 1
        await send({"type": "websocket.close", "code": 1000, "reason": ""})
    except OSError as exc:
        seen["error"] = type(exc).__name__
    seen["events"].append(await receive())


async def _wait(request: Request, receive: WebSocketReceive, send: WebSocketSend) -> None:
    seen = _record(request)
    seen["events"].append(await receive())
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        seen["events"].append(message)
        if message["type"] == "websocket.disconnect":
            return
        await asyncio.sleep(0)


_WEBSOCKETS: dict[str, WebSocketCall] = {
    "/ws/echo": _echo,
    "/ws/deny": _deny,
    "/ws/silent": _silent,
    "/ws/raise": _raise,
    "/ws/return": _return,
    "/ws/flood": _flood,
    "/ws/wait": _wait,
}


class ContractAPI(BoltAPI):
    """A ``BoltAPI`` whose compiled app also has the raw WebSocket routes above."""

    def compile(self, **options: Any) -> CompiledApp:
        app = super().compile(**options)
        extra = tuple(
            RouteSpec(
                method="GET",
                path=path,
                call=call,  # type: ignore[arg-type]  # a WebSocketCall, as §8 says
                is_async=True,
                needs=Needs.ALL,
                name=f"{__name__}.{call.__name__}",
                websocket=True,
            )
            for path, call in _WEBSOCKETS.items()
        )
        return dataclasses.replace(app, routes=app.routes + extra)


api = ContractAPI(openapi_config=OpenAPIConfig(enabled=False), compression=False)


@api.get("/ws/echo")
def echo_over_http() -> dict[str, bool]:
    return {"http": True}


@api.get("/seen/{cid}")
def seen(cid: str) -> dict[str, Any]:
    entry = SEEN.get(cid)
    if entry is None:
        return {"found": False}
    events = [
        {k: (v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in e.items()}
        for e in list(entry["events"])
    ]
    return {"found": True, "events": events, "sent": entry["sent"], "error": entry["error"]}
