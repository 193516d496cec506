"""Django sessions, CSRF and ``request.user`` (tests/test_session_auth.py): an API on a
throw-away sqlite database (``BOLT_TEST_SQLITE``) with ``django.contrib.auth`` and
``django.contrib.sessions``, migrated when the module is imported.

``POST /_session/{username}`` stands for a login view: it creates the user and a logged-in
session and returns the cookies a browser would then hold.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import Any

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.environ.get("BOLT_TEST_SQLITE")
                or os.path.join(tempfile.mkdtemp(prefix="bolt-session-"), "db.sqlite3"),
            }
        },
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
        ],
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        CSRF_TRUSTED_ORIGINS=["https://app.example.com"],
        SECRET_KEY="session-test-secret-key-0123456789abcdef",
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],  # fast, tests only
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

from bolt_api import BoltAPI, Request
from bolt_api.auth import (
    CurrentUser,
    HasPermission,
    IsAuthenticated,
    JWTAuthentication,
    SessionAuthentication,
    extract_user_id_from_context,
    get_auth_context,
)
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Permission, User
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpRequest
from django.middleware.csrf import get_token

__all__ = ["SECRET", "api"]

SECRET = "session-test-secret-key-0123456789abcdef"
SESSION = [SessionAuthentication()]
LOGGED_IN = [IsAuthenticated()]

api = BoltAPI()


@api.post("/_session/{username}")
def login(username: str, perm: str = "") -> dict[str, Any]:
    """Create ``username`` (with the permission ``perm``, if given) and a logged-in session."""
    user, _ = User.objects.get_or_create(username=username)
    user.set_password("pw")
    user.save()
    if perm:
        app_label, codename = perm.split(".")
        found = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        user.user_permissions.add(found)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    shown = HttpRequest()
    token = get_token(shown)
    return {
        "id": user.pk,
        "sessionid": session.session_key,
        "csrftoken": shown.META["CSRF_COOKIE"],
        "token": token,
    }


@api.post("/_password/{username}")
def change_password(username: str) -> dict[str, bool]:
    """A password change: the user's other sessions stop authenticating."""
    user = User.objects.get(username=username)
    user.set_password("changed")
    user.save()
    return {"changed": True}


@api.get("/me", auth=SESSION, guards=LOGGED_IN)
def me(request: Request) -> dict[str, Any]:
    context = get_auth_context(request)
    assert context is not None
    return {
        "username": request.user.username,
        "user_id": context.user_id,
        "backend": context.backend,
    }


@api.get("/me/async", auth=SESSION, guards=LOGGED_IN)
async def me_async(request: Request) -> dict[str, Any]:
    await asyncio.sleep(0)
    user = await request.auser()
    return {"username": user.username}


@api.post("/items", auth=SESSION, guards=LOGGED_IN)
def create_item(request: Request) -> dict[str, Any]:
    return {"created_by": request.user.username}


@api.post("/items/async", auth=SESSION, guards=LOGGED_IN)
async def create_item_async(request: Request) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"created_by": (await request.auser()).username}


@api.post("/open", auth=[SessionAuthentication(csrf=False)], guards=LOGGED_IN)
def open_post(request: Request) -> dict[str, bool]:
    return {"ok": True}


@api.get("/perm", auth=SESSION, guards=[HasPermission("auth.view_user")])
def perm() -> dict[str, bool]:
    return {"allowed": True}


@api.get("/jwt-user", auth=[JWTAuthentication(secret=SECRET)], guards=LOGGED_IN)
def jwt_user(request: Request) -> dict[str, Any]:
    """``request.user`` from a token's ``sub``: no query until an attribute is read."""
    queries: list[str] = []

    def count(execute: Any, sql: str, *args: Any) -> Any:
        queries.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        user = request.user
        before = len(queries)
        name = user.username if user.is_authenticated else None
    return {"before": before, "after": len(queries), "username": name}


@api.get("/anonymous")
def anonymous(request: Request) -> dict[str, Any]:
    return {"authenticated": request.user.is_authenticated, "name": str(request.user)}


@api.get("/current", auth=[*SESSION, JWTAuthentication(secret=SECRET)])
def current(request: Request, user: CurrentUser) -> dict[str, Any]:
    """django-bolt's ``CurrentUser``: the user, or ``None`` when not authenticated."""
    return {
        "username": None if user is None else user.username,
        "user_id": extract_user_id_from_context(request),
    }


@api.get("/current/async", auth=[JWTAuthentication(secret=SECRET)], guards=LOGGED_IN)
async def current_async(user: CurrentUser) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"username": user.username}
