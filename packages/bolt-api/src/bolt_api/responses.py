"""Response classes a handler may return instead of plain data.

Each renders itself to the engine contract's ``(status, headers, body)`` tuple. Plain return
values (``dict``, ``list``, ``Struct``, ``str``, ``bytes``) need no class: the per-route
encoder in :mod:`bolt_api._encoding` handles them; a Django ``HttpResponse`` is sent as it is
(:mod:`bolt_api._django_responses`).

This module also gives the streamed and file responses, which live in
:mod:`bolt_api.streaming` and :mod:`bolt_api.files` (one concept per module): django-bolt's
``django_bolt.responses`` exports them all, and ported code imports them from here.
"""

from __future__ import annotations

from ._response import HTML, JSON, PlainText, Redirect, Response
from .files import File, FileResponse
from .streaming import EventSourceResponse, ServerSentEvent, StreamingResponse, format_sse_event

__all__ = [
    "EventSourceResponse",
    "File",
    "FileResponse",
    "HTML",
    "JSON",
    "PlainText",
    "Redirect",
    "Response",
    "ServerSentEvent",
    "StreamingResponse",
    "format_sse_event",
]
