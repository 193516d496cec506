"""Plain Django views, reached through Django's own handler and middleware under runbolt."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template import Context, Template
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from .models import Note

#: The file ``/file/`` sends (this module's own source).
SERVED_FILE = Path(__file__)


def hello(request: HttpRequest) -> HttpResponse:
    """A plain view that reads the ORM and sets two cookies (two ``Set-Cookie`` headers)."""
    response = HttpResponse(f"hello from django, {Note.objects.count()} note(s)")
    response.set_cookie("first", "1")
    response.set_cookie("second", "2", httponly=True)
    return response


def meta(request: HttpRequest) -> JsonResponse:
    """What Django saw of the request: the environ Bolt built for it."""
    return JsonResponse(
        {
            "method": request.method,
            "path": request.path,
            "path_info": request.path_info,
            "script_name": request.META.get("SCRIPT_NAME"),
            "query": request.GET.dict(),
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "scheme": request.scheme,
            "host": request.get_host(),
            "header": request.headers.get("X-Custom"),
            "user": str(request.user),
            "reverse": reverse("hello"),
        }
    )


def _chunks() -> Iterator[bytes]:
    yield b"one,"
    yield b"two,"
    yield b"three"


def stream(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(_chunks(), content_type="text/plain")


def file(request: HttpRequest) -> FileResponse:
    return FileResponse(SERVED_FILE.open("rb"), content_type="text/plain")


@csrf_exempt
def echo(request: HttpRequest) -> JsonResponse:
    """A form post through Django's request parsing (``request.POST`` from the body)."""
    return JsonResponse({"method": request.method, "form": request.POST.dict()})


def where(request: HttpRequest) -> JsonResponse:
    """Under ``mount_django("/legacy")``: the prefix is Django's ``SCRIPT_NAME``."""
    return JsonResponse(
        {
            "path": request.path,
            "path_info": request.path_info,
            "script_name": request.META.get("SCRIPT_NAME"),
            "reverse": reverse("where"),
        }
    )


#: How many ``slow`` views have started, and what lets them finish (``slow/release/``).
SLOW_STARTED = [0]
SLOW_RELEASE = threading.Event()


def slow(request: HttpRequest) -> HttpResponse:
    """A blocking view: it holds a handler-pool thread, never the engine, until
    ``slow/release/`` is requested (at most 10 s)."""
    SLOW_STARTED[0] += 1
    released = SLOW_RELEASE.wait(timeout=10)
    SLOW_RELEASE.clear()
    return HttpResponse("slow done" if released else "slow timed out")


def slow_started(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(SLOW_STARTED[0]))


def slow_release(request: HttpRequest) -> HttpResponse:
    SLOW_RELEASE.set()
    return HttpResponse("released")


async def async_view(request: HttpRequest) -> HttpResponse:
    """An async view: Django's sync handler runs it with async_to_sync, off the engine's loop."""
    await asyncio.sleep(0)
    count = await Note.objects.acount()
    return HttpResponse(f"async view, {count} note(s)")


def named(request: HttpRequest, name: str) -> HttpResponse:
    """A percent-encoded UTF-8 path segment, decoded by Django from ``PATH_INFO``."""
    return HttpResponse(f"{name}|{request.path}")


def links(request: HttpRequest) -> JsonResponse:
    """Bolt's route names reversed by Django (``bolt_django.urls`` in the URLconf), with
    ``reverse()`` and with the ``{% url %}`` tag."""
    tag = Template("{% url 'note-detail' note_id=7 %}").render(Context())
    return JsonResponse(
        {
            "reverse": reverse("note-detail", kwargs={"note_id": 7}),
            "tag": tag,
            "path": reverse("note-file", kwargs={"rest": "a/b.txt"}),
        }
    )
