"""Request methods whose meaning belongs to bolt-api, shared by both engines' request objects.

The engines implement the request object natively (a Rust pyclass, a Python class) but call
these functions for Django-style helpers, so the answer is the same whichever engine serves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

if TYPE_CHECKING:  # engine re-exports these functions
    from .engine import Request

__all__ = ["auser", "build_absolute_uri", "get_full_path", "meta", "user"]

#: Where ``request.user`` keeps the user it resolved (in ``request.state``).
_USER_KEY = "bolt.user"
#: Where ``request.META`` keeps the dict it built (in ``request.state``).
_META_KEY = "bolt.META"
#: Where the access stage keeps the ``AuthContext`` (``bolt_api.auth._context.STATE_KEY``).
_AUTH_KEY = "auth"

_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def get_full_path(request: Request) -> str:
    """The path (percent-encoded again) plus ``?query`` when there is one, like Django's."""
    path = quote(request.path, safe=_PATH_SAFE)
    query = request.query_string
    return f"{path}?{query}" if query else path


def build_absolute_uri(request: Request, location: str | None = None) -> str:
    """An absolute URL for ``location`` (default: this request's full path), like Django's.

    The scheme is ``request.scheme`` (``https`` only from a trusted proxy's
    ``X-Forwarded-Proto``, see ``bolt_api.proxies``); the host is the ``Host`` header
    (``localhost`` when absent).
    """
    if location is not None and urlsplit(location).scheme:
        return location
    host = request.headers.get("host") or "localhost"
    base = f"{request.scheme}://{host}{get_full_path(request)}"
    return base if location is None else urljoin(base, location)


def meta(request: Request) -> dict[str, Any]:
    """``request.META``: the request as Django's ``HttpRequest.META`` (WSGI/CGI names) gives it.

    For code ported from Django views or django-bolt that reads ``request.META``: each header
    as ``HTTP_<NAME>`` (upper case, ``-`` as ``_``; engines drop names with ``_`` before, so
    two headers never share a key), ``CONTENT_TYPE``/``CONTENT_LENGTH`` without the prefix,
    ``REQUEST_METHOD``, ``PATH_INFO`` (decoded), ``SCRIPT_NAME`` (``""``), ``QUERY_STRING``
    (raw), ``REMOTE_ADDR``/``REMOTE_PORT`` (the client, after trusted proxies), and
    ``SERVER_NAME``/``SERVER_PORT`` from the ``Host`` header (the name clients used, as
    Django's ``get_host()`` would; the scheme's port when it has none). Built on first use and
    kept for the request; the dict is the request's, so changes stay visible to later reads.
    """
    state = request.state
    found: dict[str, Any] | None = state.get(_META_KEY)
    if found is not None:
        return found
    values: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": request.path,
        "QUERY_STRING": request.query_string,
        "wsgi.url_scheme": request.scheme,
    }
    client = request.client
    if client is not None:
        values["REMOTE_ADDR"] = client[0]
        values["REMOTE_HOST"] = client[0]
        values["REMOTE_PORT"] = client[1]
    host = request.headers.get("host") or "localhost"
    name, port = _split_host(host)
    values["SERVER_NAME"] = name
    values["SERVER_PORT"] = port or ("443" if request.scheme == "https" else "80")
    for header, value in request.headers.items():
        key = header.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        values[key] = value
    state[_META_KEY] = values
    return values


def _split_host(host: str) -> tuple[str, str]:
    """``(name, port)`` of a ``Host`` value (``[v6]:port`` too); ``port`` ``""`` when absent."""
    if host.startswith("["):
        end = host.find("]")
        if end != -1:
            rest = host[end + 1 :]
            return host[: end + 1], rest[1:] if rest.startswith(":") else ""
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit():
        return name, port
    return host, ""


def user(request: Request) -> Any:
    """``request.user``: the Django user the request was authenticated as, else Django's
    ``AnonymousUser``. Lazy: nothing is read until an attribute of it is (a session backend
    loaded it already; a token's ``sub`` is looked up by primary key on first use); cached
    for the request. Reading it from ``async`` code that has not loaded it is Django's
    ``SynchronousOnlyOperation``: use ``await request.auser()`` there."""
    state = request.state
    found = state.get(_USER_KEY)
    if found is not None:
        return found
    from django.utils.functional import SimpleLazyObject

    context = _context(request)
    loaded = None if context is None else context.user
    value = loaded if loaded is not None else SimpleLazyObject(lambda: _load(context))
    state[_USER_KEY] = value
    return value


async def auser(request: Request) -> Any:
    """``await request.auser()``: :func:`user`, loaded without blocking the event loop."""
    from django.utils.functional import SimpleLazyObject, empty

    state = request.state
    found = state.get(_USER_KEY)
    unread = isinstance(found, SimpleLazyObject) and found._wrapped is empty
    if found is not None and not unread:
        return found
    django_request = state.get("django_request")  # behind Django's AuthenticationMiddleware
    if unread and django_request is not None and hasattr(django_request, "auser"):
        value = await django_request.auser()
        state[_USER_KEY] = value
        return value
    context = _context(request)
    if context is not None and context.user is not None:
        value = context.user
    else:
        from asgiref.sync import sync_to_async

        value = await sync_to_async(_load)(context)
    state[_USER_KEY] = value
    return value


def _context(request: Request) -> Any:
    """The request's ``AuthContext`` or ``None`` (read by key: ``bolt_api.auth`` imports the
    engine module, which imports this one)."""
    return request.state.get(_AUTH_KEY)


def _load(context: Any) -> Any:
    """The user of ``context`` from ``django.contrib.auth``'s user model, else anonymous."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser

    if context is None or context.user_id is None:
        return AnonymousUser()
    model = get_user_model()
    try:
        return model._default_manager.get(pk=context.user_id)
    except (model.DoesNotExist, ValueError, TypeError):
        return AnonymousUser()
