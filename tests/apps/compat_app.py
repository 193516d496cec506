"""django-bolt code that must run unchanged on Bolt (tests/test_compat.py): chained
``set_cookie``, names imported from ``bolt_api.responses``, Django ``HttpResponse`` objects
returned as they are, ``request.META``, ``HTTPException().headers``.

Django is configured with no database: nothing here touches one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        ALLOWED_HOSTS=["*"],
        SECRET_KEY="compat-test-secret-key-0123456789abcdef",
        USE_TZ=True,
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "OPTIONS": {
                    "loaders": [
                        (
                            "django.template.loaders.locmem.Loader",
                            {"hello.html": "<p>Hi {{ name }} at {{ request.path }}</p>"},
                        )
                    ],
                    "context_processors": ["django.template.context_processors.request"],
                },
            }
        ],
    )
    django.setup()

import msgspec
from bolt_api import BoltAPI, Form, HTTPException, Request, UploadFile
from bolt_api.responses import JSON, PlainText, Response, StreamingResponse
from bolt_api.shortcuts import render
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse

__all__ = ["FILE", "api"]

api = BoltAPI()
#: A file ``/django/file`` serves (this module).
FILE = __file__


class Item(msgspec.Struct):
    name: str


@api.get("/chain/json")
async def chain_json() -> JSON:
    return JSON({"ok": True}, status_code=201).set_cookie("sid", "abc", httponly=True)


@api.get("/chain/delete")
def chain_delete() -> PlainText:
    return PlainText("bye").delete_cookie("sid").set_cookie("theme", "dark", max_age=60)


@api.get("/chain/response")
def chain_response() -> Response:
    return Response(b"<x/>", media_type="application/xml").set_cookie("a", "1").set_cookie("b", "2")


@api.get("/stream")
def stream() -> StreamingResponse:
    def gen() -> Iterator[str]:
        yield "one\n"
        yield "two\n"

    return StreamingResponse(gen(), media_type="text/plain")


@api.get("/django/http")
def django_http() -> Any:
    response = HttpResponse("hello", status=201, content_type="text/plain; charset=utf-8")
    response["X-Custom"] = "yes"
    response.set_cookie("first", "1", httponly=True)
    response.set_cookie("second", "2", max_age=30)
    return response


@api.get("/django/json")
async def django_json() -> JsonResponse:
    return JsonResponse({"a": [1, 2]}, status=202)


@api.get("/django/declared")
def django_declared() -> HttpResponse:
    """Declared ``-> HttpResponse``: chosen when the route is compiled."""
    return HttpResponse(b"\x00raw", content_type="application/octet-stream", status=203)


@api.get("/django/declared-dict")
def django_declared_dict() -> HttpResponse:
    """Declared ``-> HttpResponse`` but returns plain data: still encoded as usual."""
    return {"plain": True}  # type: ignore[return-value]


@api.get("/django/struct-route")
def django_struct_route() -> Item:
    """A route declaring a Struct that returns a Django response anyway."""
    return HttpResponse("not an item", status=409)  # type: ignore[return-value]


@api.get("/django/stream")
def django_stream() -> StreamingHttpResponse:
    def gen() -> Iterator[bytes]:
        yield b"a,"
        yield b"b,"
        yield b"c"

    response = StreamingHttpResponse(gen(), content_type="text/csv")
    response["X-Streamed"] = "sync"
    return response


@api.get("/django/astream")
async def django_astream() -> StreamingHttpResponse:
    async def gen() -> AsyncIterator[str]:
        for part in ("x", "y", "z"):
            yield part

    return StreamingHttpResponse(gen(), content_type="text/plain")


@api.get("/django/file")
def django_file() -> FileResponse:
    return FileResponse(open(FILE, "rb"), filename="compat_app.py", as_attachment=True)


@api.get("/meta")
def meta(request: Request) -> dict[str, Any]:
    m = request.META
    same = m is request.META
    return {
        "same": same,
        "keys": {k: v for k, v in m.items() if k.isupper()},
    }


@api.get("/exc-headers")
def exc_headers() -> None:
    exc = HTTPException(400, "bad")
    exc.headers["x-added"] = "1"
    raise exc


class Profile(msgspec.Struct):
    """A ``Form()`` struct with its uploads beside its text fields."""

    name: str
    avatar: UploadFile
    attachments: list[UploadFile] = []
    note: UploadFile | None = None


@api.post("/form-upload")
async def form_upload(data: Annotated[Profile, Form()]) -> dict[str, Any]:
    return {
        "name": data.name,
        "avatar": [data.avatar.filename, (await data.avatar.read()).decode()],
        "attachments": [a.filename for a in data.attachments],
        "note": None if data.note is None else data.note.filename,
    }


@api.get("/render/{name}")
def render_page(request: Request, name: str) -> Response:
    return render(request, "hello.html", {"name": name}, status=202)


@api.get("/render-text")
def render_text(request: Request) -> Response:
    return render(request, "hello.html", {"name": "t"}, content_type="text/plain")
