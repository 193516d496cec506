"""``SessionAuthentication``: Django's session cookie and ``django.contrib.auth`` users.

A browser logged in through Django (the admin, a login view) sends its session cookie; this
backend loads the session from Django's configured ``SESSION_ENGINE`` and the user the way
``django.contrib.auth.get_user`` does — the session's auth hash checked, so a password change
logs the other sessions out. Both read the database (or the cache), so a route with this
backend runs its access check off the engine's thread: on the handler pool, or on the
request's lane for an ``async`` route (:mod:`bolt_api._pipeline`).

A cookie is sent by the browser on its own, so a cookie-authenticated unsafe request (POST,
PUT, PATCH, DELETE) must also pass Django's CSRF check — the very rules of
``django.middleware.csrf.CsrfViewMiddleware``, run here: ``Origin`` this host or in
``CSRF_TRUSTED_ORIGINS``, ``Referer`` checked for HTTPS, and the ``csrftoken`` cookie matched by
the ``X-CSRFToken`` header (``CSRF_HEADER_NAME``) or a form's ``csrfmiddlewaretoken``. A
failure answers ``403 {"detail": "CSRF Failed: <Django's reason>"}`` (DRF's wording);
``csrf=False`` turns the check off, for an API no browser session reaches.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, ClassVar

from ..engine import Needs, Request
from ..exceptions import HTTPException
from ._backends import _SAFE_METHODS, BaseAuthentication
from ._context import AuthContext

__all__ = ["SessionAuthentication"]

_FORM = "application/x-www-form-urlencoded"


class SessionAuthentication(BaseAuthentication):
    """Django's session cookie; the user through ``django.contrib.auth``; CSRF enforced on
    unsafe methods unless ``csrf=False`` (see the module doc)."""

    scheme_name: ClassVar[str] = "session"
    #: The session and the user are read from the database: not on the engine's thread.
    blocks: ClassVar[bool] = True

    def __init__(self, *, csrf: bool = True) -> None:
        if not isinstance(csrf, bool):
            raise TypeError(f"csrf= takes True or False, got {csrf!r}")
        self.csrf = csrf
        # the CSRF check reads Origin/Referer, the csrftoken cookie, a form's token (the body)
        # and the scheme (a trusted proxy's X-Forwarded-Proto)
        self.needs = Needs.HEADERS | Needs.COOKIES
        if csrf:
            self.needs |= Needs.BODY | Needs.CLIENT
        self._store: Any = None
        self._cookie = "sessionid"

    def prepare(self) -> None:
        """Check that Django can serve sessions, when the API compiles."""
        try:
            from django.apps import apps
            from django.conf import settings
        except ImportError:
            raise ValueError("SessionAuthentication needs Django") from None
        if not settings.configured or not apps.ready:
            raise ValueError("SessionAuthentication needs Django set up (django.setup())")
        for app in ("django.contrib.auth", "django.contrib.sessions"):
            if not apps.is_installed(app):
                raise ValueError(f"SessionAuthentication needs {app!r} in INSTALLED_APPS")
        self._store = importlib.import_module(settings.SESSION_ENGINE).SessionStore
        self._cookie = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: Request) -> AuthContext | None:
        key = request.cookies.get(self._cookie)
        if not key:
            return None
        if self._store is None:
            self.prepare()
        from django.contrib.auth import get_user

        holder = _SessionHolder(self._store(key))
        user = get_user(holder)  # type: ignore[arg-type]
        if not user.is_authenticated:
            return None
        if self.csrf and request.method not in _SAFE_METHODS:
            reason = csrf_failure(request, holder.session)
            if reason is not None:
                raise HTTPException(403, f"CSRF Failed: {reason}")
        return AuthContext(
            user_id=str(user.pk),
            backend=self.scheme_name,
            # a custom user model may have neither flag
            is_staff=getattr(user, "is_staff", False) is True,
            is_superuser=getattr(user, "is_superuser", False) is True,
            user=user,
        )

    def challenge(self) -> str:
        return "Session"

    def openapi_scheme(self) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": self._cookie}


class _SessionHolder:
    """What ``django.contrib.auth.get_user`` reads of a request: its session."""

    __slots__ = ("session",)

    def __init__(self, session: Any) -> None:
        self.session = session


def csrf_failure(request: Request, session: Any = None) -> str | None:
    """Django's reason for refusing ``request`` under its CSRF rules, ``None`` when it passes.

    The request is shown to ``CsrfViewMiddleware`` as the ``HttpRequest`` it reads (method,
    ``META`` from the headers, cookies, scheme, a form's fields, the session for
    ``CSRF_USE_SESSIONS``), so every rule and setting is Django's own.
    """
    from django.core.exceptions import DisallowedHost
    from django.http import QueryDict

    shown_class, check = _django_csrf()
    shown = shown_class()
    shown.bolt_scheme = request.scheme
    shown.method = request.method
    shown.path = shown.path_info = request.path
    meta = shown.META
    for name, value in request.headers.items():
        meta["HTTP_" + name.upper().replace("-", "_")] = value
    meta["CONTENT_TYPE"] = request.headers.get("content-type", "")
    meta["SERVER_NAME"] = meta["SERVER_PORT"] = ""  # get_host() without a Host: refused
    shown.COOKIES = dict(request.cookies)
    if request.method == "POST" and meta["CONTENT_TYPE"].split(";")[0].strip() == _FORM:
        shown.POST = QueryDict(request.body, encoding="utf-8")
    if session is not None:
        shown.session = session
    try:
        verdict = check.process_view(shown, _view, (), {})
    except DisallowedHost:
        return "the Host header is not in ALLOWED_HOSTS."
    return verdict if isinstance(verdict, str) else None


@functools.cache
def _django_csrf() -> tuple[Any, Any]:
    """An ``HttpRequest`` whose scheme is the one Bolt resolved, and Django's middleware
    answering with the reason instead of rendering its 403 page; built on first use, as
    bolt-api does not import Django unless a route needs it."""
    from django.http import HttpRequest
    from django.middleware.csrf import CsrfViewMiddleware

    class ShownRequest(HttpRequest):
        bolt_scheme = "http"

        def _get_scheme(self) -> str:
            return self.bolt_scheme

    class Check(CsrfViewMiddleware):
        def _reject(self, request: HttpRequest, reason: str) -> Any:
            return reason

    return ShownRequest, Check(lambda request: None)  # type: ignore[arg-type]


def _view() -> None:
    """The view ``process_view`` is told it protects (never called; not ``csrf_exempt``)."""
