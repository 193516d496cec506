"""The CORS app (tests/test_cors.py): an API-wide policy, routes with their own, and every
kind of response a policy must reach (guards' 401/403, 422, 500, streams, async routes).

Served alone (``python -m bolt_api serve tests.apps.cors_app:api``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from bolt_api import BoltAPI, CORSConfig, Response, cors
from bolt_api.auth import APIKeyAuthentication, HasPermission, IsAuthenticated
from bolt_api.streaming import StreamingResponse

__all__ = ["APP", "CALLS", "KEY", "api", "plain"]

APP = "https://app.example.com"
KEY = "cors-key-0123456789abcdef"
#: How many times each handler ran (read through /calls): preflights must not run them.
CALLS: dict[str, int] = {}

api = BoltAPI(
    cors=CORSConfig(
        allowed_origins=[APP, "null"],
        allowed_origin_regexes=[r"https://[a-z0-9-]+\.preview\.example\.com"],
        allow_credentials=True,
        allow_headers=["Content-Type", "Authorization", "X-API-Key"],
        expose_headers=["X-Total-Count"],
        max_age=600,
        allow_private_network=True,
    )
)
KEYS = APIKeyAuthentication({KEY}, key_permissions={KEY: {"items.read"}})


def _count(name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1


@api.get("/calls", auth=[], guards=[])
def calls() -> dict[str, int]:
    return CALLS


@api.get("/items")
def items() -> Response:
    _count("items")
    return Response([1, 2], headers={"X-Total-Count": "2"})


@api.post("/items")
def create_item(name: str) -> dict[str, str]:
    _count("create_item")
    return {"name": name}


@api.get("/async")
async def slow() -> dict[str, bool]:
    await asyncio.sleep(0)
    return {"async": True}


@api.get("/private", auth=[KEYS], guards=[IsAuthenticated()])
def private() -> dict[str, str]:
    _count("private")
    return {"secret": "s"}


@api.get("/write", auth=[KEYS], guards=[HasPermission("items.write")])
def write() -> dict[str, str]:
    return {"written": "yes"}


@api.get("/boom")
def boom() -> dict[str, str]:
    raise RuntimeError("boom")


@api.get("/varied")
def varied() -> Response:
    """A handler that sets its own ``Vary`` and (wrongly) its own allow-origin."""
    return Response(
        {"ok": True},
        headers={"Vary": "Accept-Language", "Access-Control-Allow-Origin": "*"},
    )


@api.get("/stream")
def stream() -> StreamingResponse:
    def chunks() -> Iterator[bytes]:
        yield b"a"
        yield b"b"

    return StreamingResponse(chunks(), media_type="text/plain")


@api.get("/big")
def big() -> dict[str, str]:
    return {"text": "x" * 4000}  # compressed: Vary carries both names


@api.get("/partner")
@cors(origins=["https://partner.example"], methods=["GET"], max_age=60)
def partner() -> dict[str, str]:
    _count("partner")
    return {"partner": "yes"}


@api.get("/anyone")
@cors(origins="*", headers=["X-Custom"])
def anyone() -> dict[str, str]:
    return {"anyone": "yes"}


@api.options("/custom-options")
def custom_options() -> Response:
    """An ``OPTIONS`` handler of its own: plain ``OPTIONS`` reaches it, preflights do not."""
    _count("custom_options")
    return Response(None, status_code=200, headers={"X-Handled": "yes"})


@api.get("/custom-options")
def custom_get() -> dict[str, str]:
    return {"get": "yes"}


#: An API without CORS: its responses carry no CORS header, its misses stay answered by the
#: engine.
plain = BoltAPI()


@plain.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}


@plain.get("/only-here")
@cors(origins=[APP])
def only_here() -> dict[str, str]:
    return {"only": "here"}
