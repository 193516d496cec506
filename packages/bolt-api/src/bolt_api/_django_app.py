"""Django's own request handling behind Bolt: the URLconf and ``MIDDLEWARE`` for the requests
no Bolt route answers (``api.mount_django()``, and runbolt's fallback).

A Bolt request becomes a real :class:`~django.core.handlers.wsgi.WSGIRequest`, built from a
WSGI environ as any WSGI server would build it, and goes through a
:class:`~django.core.handlers.wsgi.WSGIHandler`'s ``get_response``: Django's middleware, URL
resolving, views and error pages behave exactly as under ``runserver`` or gunicorn, because
they *are* Django's. What :class:`DjangoApp` adds is what a WSGI server does around that call:
the script prefix, ``request_started``, and turning the ``HttpResponse`` back into a Bolt
response tuple (every ``Set-Cookie``, streaming responses as a :class:`StreamBody`, a
``FileResponse`` of a plain file as a :class:`FileBody` the engine sends itself), closing it
— which sends ``request_finished`` — once its content is taken.

:meth:`DjangoApp.__call__` blocks (the ORM, templates, sessions): it runs on the handler pool
(:func:`bolt_api._threads.in_thread`), never on an engine thread or an event loop, so Django
sees an ordinary thread and its async-safety check has nothing to object to.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from .engine import FileBody, Request, ResponseTuple, StreamBody

if TYPE_CHECKING:
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import HttpResponseBase

__all__ = ["DjangoApp", "django_ready", "response_tuple", "wsgi_environ"]


def django_ready() -> str | None:
    """``None`` when Django can handle requests in this process, else the reason it cannot."""
    try:
        from django.apps import apps
        from django.conf import settings
    except ImportError:
        return "Django is not installed"
    if not settings.configured:
        return "Django's settings are not configured (DJANGO_SETTINGS_MODULE)"
    if not apps.ready:
        return "Django's apps are not loaded (call django.setup() first)"
    return None


def _wsgi_str(text: str) -> str:
    """A WSGI "native string": the UTF-8 bytes of ``text`` read as latin-1 (PEP 3333)."""
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def wsgi_environ(request: Request, script_name: str = "") -> dict[str, Any]:
    """The PEP 3333 environ a WSGI server would build for ``request``.

    ``script_name`` is the mount prefix (``SCRIPT_NAME``); ``PATH_INFO`` is the rest of the
    path. Header values are the engine's (latin-1; repeats joined with ``", "``), and
    ``REMOTE_ADDR`` and ``wsgi.url_scheme`` are what the engine resolved — behind a trusted
    proxy, the forwarded client and scheme.
    """
    body = request.body
    path = request.path
    headers = request.headers
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": _wsgi_str(script_name),
        "PATH_INFO": _wsgi_str(path[len(script_name) :] if script_name else path),
        "QUERY_STRING": request.query_string,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": request.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name != "content-length":  # the body is complete: its length is known
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    host = headers.get("host", "")
    server, _, port = host.rpartition(":") if host.rfind(":") > host.rfind("]") else (host, "", "")
    environ["SERVER_NAME"] = server or "localhost"
    environ["SERVER_PORT"] = port or ("443" if request.scheme == "https" else "80")
    client = request.client
    if client is not None:
        environ["REMOTE_ADDR"] = client[0]
        environ["REMOTE_PORT"] = str(client[1])
    return environ


class DjangoApp:
    """Django's handler for requests under ``script_name`` (``""``: the whole site).

    ``urlconf``: a URLconf module (dotted path) to resolve these requests with instead of
    ``ROOT_URLCONF`` (Django's per-request ``request.urlconf``). The handler — and with it
    ``settings.MIDDLEWARE`` — is loaded by :meth:`load`, once per process.
    """

    def __init__(self, script_name: str = "", urlconf: str | None = None) -> None:
        self.script_name = script_name
        self.urlconf = urlconf
        self._handler: WSGIHandler | None = None
        self._lock = threading.Lock()

    def load(self) -> WSGIHandler:
        """Django's ``WSGIHandler`` with its middleware loaded; an error in ``MIDDLEWARE`` (an
        unknown dotted path) is raised here, at start, not on the first request."""
        handler = self._handler
        if handler is None:
            with self._lock:
                if self._handler is None:
                    reason = django_ready()
                    if reason is not None:
                        raise RuntimeError(f"Django cannot handle requests: {reason}")
                    from django.core.handlers.wsgi import WSGIHandler

                    self._handler = WSGIHandler()
                handler = self._handler
        return handler

    def __call__(self, request: Request) -> ResponseTuple:
        """What ``WSGIHandler.__call__`` does, answering with a Bolt response tuple."""
        from django.core import signals
        from django.core.handlers.wsgi import get_script_name
        from django.urls import set_script_prefix

        handler = self.load()
        environ = wsgi_environ(request, self.script_name)
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=handler.__class__, environ=environ)
        try:
            django_request = handler.request_class(environ)
            if self.urlconf is not None:
                django_request.urlconf = self.urlconf
            response = handler.get_response(django_request)
        except BaseException:
            # get_response answers every error of a view or a middleware itself; what is
            # left (a broken environ) still ends the request for close_old_connections
            signals.request_finished.send(sender=handler.__class__)
            raise
        return response_tuple(response)


def _headers(response: HttpResponseBase) -> list[tuple[str, str]]:
    """Every header of ``response``, names lower-case, one ``set-cookie`` per cookie."""
    headers = [(name.lower(), value) for name, value in response.items()]
    headers += [("set-cookie", cookie.OutputString()) for cookie in response.cookies.values()]
    return headers


def response_tuple(response: HttpResponseBase) -> ResponseTuple:
    """``response`` as ``(status, headers, body)``; closed once nothing more is read from it
    (at once for a plain or file response, when the stream ends for a streaming one)."""
    from django.http import FileResponse, HttpResponse, StreamingHttpResponse

    status = response.status_code
    headers = _headers(response)
    try:
        if isinstance(response, FileResponse):
            file_body = _file_body(response)
            if file_body is not None:
                response.close()
                return status, headers, file_body
        if isinstance(response, StreamingHttpResponse):
            if response.is_async:
                return status, headers, StreamBody(_async_chunks(response), True)
            return status, headers, StreamBody(_chunks(response), False)
        content = response.content if isinstance(response, HttpResponse) else b""
    except BaseException:
        response.close()
        raise
    response.close()
    return status, headers, content


def _file_body(response: Any) -> FileBody | None:
    """A ``FileResponse`` of a plain file on disk, as the engine's ``FileBody`` (the bytes
    never enter Python); ``None`` for any other file-like object (it is streamed)."""
    filelike = response.file_to_stream
    name = getattr(filelike, "name", None)
    length = response.get("Content-Length")
    if not isinstance(filelike, io.BufferedReader | io.FileIO) or not isinstance(name, str):
        return None
    if length is None or not os.path.isfile(name):
        return None
    try:
        offset = filelike.tell()
    except OSError:
        return None
    return FileBody(os.path.abspath(name), offset, int(length))


def _chunks(response: Any) -> Iterator[bytes]:
    """A sync streaming response's content, closing the response at the end (or when the
    client goes away and the engine closes this generator)."""
    try:
        for chunk in response.streaming_content:
            if chunk:
                yield bytes(chunk)
    finally:
        response.close()


async def _async_chunks(response: Any) -> AsyncIterator[bytes]:
    """An async streaming response's content (Django 4.2+), pulled on the event loop; the
    response is closed on the handler pool (``request_finished`` may touch the database)."""
    try:
        async for chunk in response.streaming_content:
            if chunk:
                yield bytes(chunk)
    finally:
        import asyncio

        from ._threads import handler_pool

        await asyncio.get_running_loop().run_in_executor(handler_pool(), response.close)
