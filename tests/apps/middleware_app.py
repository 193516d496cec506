"""Bolt middleware at every level, for tests/test_middleware.py (no Django).

Each middleware appends its name to ``request.state["trail"]`` on the way in and an
``X-Trail`` header on the way out, so a response shows the order both ways.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from typing import Any

from bolt_api import JSON, BoltAPI, HTTPException, Request, Router, run_in_thread
from bolt_api.auth import APIKeyAuthentication, IsAuthenticated
from bolt_api.middleware import (
    BaseMiddleware,
    GetResponse,
    LoggingMiddleware,
    Middleware,
    TimingMiddleware,
    cors,
    middleware,
    rate_limit,
    skip_middleware,
)
from bolt_api.streaming import StreamingResponse
from bolt_api.views import APIView

KEY = "mw-key"


def mark(request: Request, name: str) -> None:
    request.state.setdefault("trail", []).append(name)


async def api_mw(request: Request, call_next: GetResponse) -> Any:
    """A plain async function at the API level."""
    mark(request, "api")
    response = await call_next(request)
    response.headers.add_header("X-Trail", "api")
    return response


class RouterMW:
    """A Django-style class without a base class, at the router level."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    async def __call__(self, request: Request) -> Any:
        mark(request, "router")
        response = await self.get_response(request)
        response.headers.add_header("X-Trail", "router")
        return response


class RouteMW(Middleware):
    async def process_request(self, request: Request) -> Any:
        mark(request, "route")
        response = await self.get_response(request)
        response.headers.add_header("X-Trail", "route")
        response.headers["X-Seen-Status"] = str(response.status_code)
        body = response.body
        if isinstance(body, bytes):
            response.headers["X-Seen-Length"] = str(len(body))
        return response


class Gate(BaseMiddleware):
    """Answers 403 itself when ``x-block`` is sent, except under /open/ and for HEAD."""

    exclude_paths = ("/gate/open/*",)
    exclude_methods = ("HEAD",)

    async def process_request(self, request: Request) -> Any:
        if request.headers.get("x-block"):
            return JSON({"detail": "blocked by middleware"}, status_code=403)
        return await self.get_response(request)


class Boom(Middleware):
    async def process_request(self, request: Request) -> Any:
        if request.headers.get("x-boom") == "teapot":
            raise HTTPException(418, "teapot from middleware")
        if request.headers.get("x-boom"):
            raise RuntimeError("middleware bug")
        return await self.get_response(request)


class Forgetful(Middleware):
    async def process_request(self, request: Request) -> Any:
        await self.get_response(request)  # and returns None: a bug answered with a 500


api = BoltAPI(middleware=[api_mw])
router = Router(prefix="/r", middleware=[RouterMW])


@router.get("/trail")
@middleware(RouteMW)
async def trail(request: Request) -> dict[str, Any]:
    return {"trail": request.state["trail"]}


@middleware(RouteMW)  # above the route decorator works too: read when the API is compiled
@router.get("/sync-trail")
def sync_trail(request: Request) -> dict[str, Any]:
    return {"trail": list(request.state["trail"])}


@router.get("/pool-trail")
@middleware(RouteMW)
@run_in_thread
def pool_trail(request: Request) -> dict[str, Any]:
    return {"trail": list(request.state["trail"])}


@router.get("/validate")
@middleware(RouteMW)
async def validate(n: int) -> dict[str, int]:
    return {"n": n}


@router.get("/secret", auth=[APIKeyAuthentication({KEY})], guards=[IsAuthenticated()])
async def secret() -> dict[str, bool]:
    return {"secret": True}


@router.get("/skip-router")
@skip_middleware("RouterMW")
async def skip_router(request: Request) -> dict[str, Any]:
    return {"trail": request.state["trail"]}


@router.get("/skip-all")
@skip_middleware("*")
async def skip_all(request: Request) -> dict[str, Any]:
    return {"trail": request.state.get("trail", [])}


@router.get("/skip-dotted")
@skip_middleware("tests.apps.middleware_app.api_mw")
async def skip_dotted(request: Request) -> dict[str, Any]:
    return {"trail": request.state["trail"]}


api.include_router(router)


@api.get("/gate/closed")
@middleware(Gate)
async def gate_closed() -> dict[str, str]:
    return {"gate": "passed"}


@api.get("/gate/open/x")
@middleware(Gate)
async def gate_open() -> dict[str, str]:
    return {"gate": "passed"}


@api.get("/boom")
@middleware(Boom)
async def boom() -> dict[str, str]:
    return {"boom": "no"}


@api.get("/forgetful")
@middleware(Forgetful)
async def forgetful() -> dict[str, str]:
    return {"ok": "yes"}


@api.get("/big")
@middleware(RouteMW)
async def big() -> dict[str, str]:
    return {"data": "x" * 5000}


@api.get("/big-plain")
@middleware(RouteMW)
@skip_middleware("compression")
async def big_plain() -> dict[str, str]:
    return {"data": "x" * 5000}


@api.get("/stream")
@middleware(RouteMW)
async def stream() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(3):
            yield f"part{i};".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


@api.get("/timed")
@middleware(TimingMiddleware, functools.partial(LoggingMiddleware, log_level=logging.DEBUG))
async def timed(request: Request) -> dict[str, Any]:
    return {"request_id": request.state["request_id"]}


@api.get("/cors")
@cors(origins=["https://app.example"])
@middleware(RouteMW)
async def cors_route() -> dict[str, bool]:
    return {"cors": True}


@api.get("/cors-skipped")
@cors(origins=["https://app.example"])
@skip_middleware("cors")
async def cors_skipped() -> dict[str, bool]:
    return {"cors": False}


@api.get("/limited")
@rate_limit(rps=1, burst=1)
@skip_middleware("rate_limit")
async def limited() -> dict[str, bool]:
    return {"limited": False}


@api.view("/view")
@middleware(RouteMW)
class TrailView(APIView):
    """``@middleware`` on a class-based view: every method's route; a method may skip it."""

    async def get(self, request: Request) -> dict[str, Any]:
        return {"trail": request.state["trail"]}

    @skip_middleware("RouteMW")
    async def post(self, request: Request) -> dict[str, Any]:
        return {"trail": request.state["trail"]}
