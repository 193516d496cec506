"""One ``@api.websocket`` echo route that keeps nothing per message (the soak test)."""

from __future__ import annotations

from bolt_api import BoltAPI, WebSocket

__all__ = ["api"]

api = BoltAPI()


@api.websocket("/ws/echo")
async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)
