"""Bolt routes behind Django's middleware, mounted by notes/api.py (for
tests/test_django_middleware.py).

``/dj/...``: ``settings.MIDDLEWARE`` (sessions, CSRF, authentication, security headers);
``/djl/...``: exactly the listed middleware, with a Bolt middleware inside them.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from bolt_api import BoltAPI, Request
from bolt_api.middleware import DjangoMiddleware, GetResponse, middleware, skip_middleware
from bolt_api.responses import FileResponse
from django.middleware.csrf import get_token
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from .middleware import current_tag

dj = BoltAPI(django_middleware=True)


@dj.get("/whoami")
def whoami(request: Request) -> dict[str, Any]:
    user = request.user
    return {
        "user": user.get_username(),
        "authenticated": user.is_authenticated,
        "remote_addr": request.META["REMOTE_ADDR"],
        "django_meta": "wsgi.input" in request.META,  # Django's own dict, not Bolt's
        "has_session": "session" in request.state,
    }


@dj.get("/async-whoami")
async def async_whoami(request: Request) -> dict[str, Any]:
    user = await request.auser()
    return {"user": user.get_username(), "authenticated": user.is_authenticated}


@dj.get("/count")
def count(request: Request) -> dict[str, int]:
    session = request.state["session"]
    session["n"] = session.get("n", 0) + 1
    return {"n": session["n"]}


@dj.get("/token")
def token(request: Request) -> dict[str, str]:
    return {"token": get_token(request.state["django_request"])}


@dj.post("/form")
def form(request: Request) -> dict[str, bool]:
    return {"accepted": True}


@dj.post("/exempt")
@csrf_exempt
def exempt(request: Request) -> dict[str, bool]:
    return {"exempt": True}


@dj.get("/no-frame-options")
@skip_middleware("XFrameOptionsMiddleware")
def no_frame_options() -> dict[str, bool]:
    return {"framed": True}


@dj.get("/file")
def file() -> FileResponse:
    return FileResponse(__file__, media_type="text/plain")


#: ``settings.MIDDLEWARE`` without CSRF: a POST needs no token here.
djx = BoltAPI(django_middleware={"exclude": ["CsrfViewMiddleware"]})


@djx.post("/form")
def form_without_csrf() -> dict[str, bool]:
    return {"accepted": True}


#: One Django middleware on one route of an API without django_middleware=.
plain = BoltAPI()


@plain.get("/framed")
@middleware(DjangoMiddleware("django.middleware.clickjacking.XFrameOptionsMiddleware"))
async def framed() -> dict[str, bool]:
    return {"framed": False}


@plain.get("/async-middleware")
@middleware(DjangoMiddleware("notes.middleware.AsyncOnlyMiddleware"))
def behind_async_middleware() -> dict[str, str]:
    return {"thread": threading.current_thread().name}


@plain.get("/async-middleware-async")
@middleware(DjangoMiddleware("notes.middleware.AsyncOnlyMiddleware"))
async def async_behind_async_middleware() -> dict[str, bool]:
    return {"async": True}


async def bolt_inside(request: Request, call_next: GetResponse) -> Any:
    """A Bolt middleware inside Django's: it sees what Django's middleware set."""
    request.state["bolt_saw"] = request.state.get("LANGUAGE_CODE")
    response = await call_next(request)
    response.headers["X-Bolt-Inside"] = "1"
    return response


djl = BoltAPI(
    django_middleware=[
        "django.middleware.locale.LocaleMiddleware",
        "notes.middleware.ThreadLocalMiddleware",
        "notes.middleware.ExplodingMiddleware",
    ],
    middleware=[bolt_inside],
)


@djl.get("/lang")
def lang(request: Request) -> dict[str, Any]:
    return {
        "active": translation.get_language(),
        "code": request.state["LANGUAGE_CODE"],
        "bolt_saw": request.state["bolt_saw"],
    }


@djl.get("/tag")
def tag(request: Request) -> dict[str, Any]:
    seen = current_tag()
    time.sleep(0.05)  # let concurrent requests overlap in the middleware
    return {"tag": seen, "later": current_tag(), "thread": threading.get_ident()}


@djl.get("/nested")
@middleware(DjangoMiddleware("django.middleware.clickjacking.XFrameOptionsMiddleware"))
def nested(request: Request) -> dict[str, Any]:
    """Django's middleware, then a Bolt one, then Django's again: one thread throughout."""
    return {"tag": current_tag(), "thread": threading.current_thread().name}


def broken() -> BoltAPI:
    """An API naming a middleware that does not exist (served only with the env var set)."""
    api = BoltAPI(django_middleware=["notes.middleware.NoSuchMiddleware"])

    @api.get("/never")
    def never() -> dict[str, str]:
        return {}

    return api


BROKEN = os.environ.get("DJSITE_BROKEN_MIDDLEWARE") == "1"
