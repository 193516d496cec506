"""The Bolt API of the site: a few routes, an ASGI app and a Django URLconf mounted under
prefixes; everything else goes to Django (runbolt's fallback)."""

from __future__ import annotations

import json
from typing import Any

from bolt_api import BoltAPI
from django.core.asgi import get_asgi_application

from . import mw_api

api = BoltAPI()


@api.get("/api/ping")
async def ping() -> dict[str, str]:
    return {"pong": "bolt"}


@api.get("/items")
async def items() -> list[int]:
    return [1, 2, 3]


@api.get("/api/notes/{note_id}", name="note-detail")
async def note_detail(note_id: int) -> dict[str, int]:
    """Named: ``reverse("note-detail", ...)`` finds it through ``bolt_django.urls``."""
    return {"note_id": note_id}


@api.get("/api/files/{rest:path}", name="note-file")
async def note_file(rest: str) -> dict[str, str]:
    return {"rest": rest}


@api.get("/asgi/bolt-wins")
async def bolt_wins() -> dict[str, str]:
    """A Bolt route under the ASGI mount's prefix: the more specific route wins."""
    return {"served_by": "bolt"}


async def tiny_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A tiny ASGI 3 application: echoes its scope and body, or streams three chunks."""
    assert scope["type"] == "http"
    message = await receive()
    if scope["path"].endswith("/stream"):
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        for i in range(3):
            await send(
                {"type": "http.response.body", "body": f"chunk{i};".encode(), "more_body": True}
            )
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    payload = {
        "method": scope["method"],
        "path": scope["path"],
        "root_path": scope["root_path"],
        "query_string": scope["query_string"].decode(),
        "body": message["body"].decode(),
        "client": scope["client"][0] if scope["client"] else None,
    }
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"application/json"), (b"x-asgi", b"tiny")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


api.mount_asgi("/asgi", tiny_asgi)
api.mount_django("/legacy", urlconf="djsite.legacy_urls")
# Django's own ASGI handler is an ASGI app like any other: the project again, under a prefix
api.mount_asgi("/via-asgi", get_asgi_application())
# Bolt routes behind Django's middleware (tests/test_django_middleware.py)
api.mount("/dj", mw_api.dj)
api.mount("/djl", mw_api.djl)
api.mount("/djx", mw_api.djx)
api.mount("/plain", mw_api.plain)
if mw_api.BROKEN:
    api.mount("/broken", mw_api.broken())
