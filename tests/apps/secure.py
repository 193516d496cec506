"""The access-control app (tests/test_auth.py): JWT and API-key backends and every guard.

Served alone (``python -m bolt_api serve tests.apps.secure:api``). The API's own defaults
are ``auth=[HS]``, ``guards=[IsAuthenticated()]``, so a route that declares nothing is
closed, and ``auth=[]``/``guards=[]`` opens one. The HMAC secret is below; the RS256 public
key comes from ``BOLT_TEST_RSA_PUBLIC_KEY`` (the test generates the pair, so no private key
is ever stored).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, ClassVar

import msgspec
from bolt_api import APIView, BoltAPI, Router, ViewSet, action
from bolt_api.auth import (
    AllowAny,
    APIKeyAuthentication,
    AuthContext,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
    Requires,
    get_auth_context,
)
from bolt_api.engine import Request

__all__ = [
    "ADMIN_KEY",
    "AUDIENCE",
    "ISSUER",
    "READ_KEY",
    "SECRET",
    "api",
]

SECRET = "bolt-tests-hmac-secret-0123456789abcdef"
AUDIENCE = "bolt-tests"
ISSUER = "https://issuer.bolt.test"
READ_KEY = "read-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"

HS = JWTAuthentication(
    secret=SECRET, audience=AUDIENCE, issuer=ISSUER, cookie="access_token", leeway=5
)
RS = JWTAuthentication(
    algorithms=["RS256"],
    public_key=os.environ.get("BOLT_TEST_RSA_PUBLIC_KEY", "").replace("\\n", "\n") or None,
    leeway=5,
)
KEYS = APIKeyAuthentication(
    {READ_KEY, ADMIN_KEY},
    key_permissions={READ_KEY: {"items.read"}, ADMIN_KEY: {"items.read", "items.write"}},
)

api = BoltAPI(auth=[HS], guards=[IsAuthenticated()])


def who(request: Request) -> dict[str, Any]:
    context = get_auth_context(request)
    if context is None:
        return {"user_id": None}
    return {
        "user_id": context.user_id,
        "backend": context["auth_backend"],
        "permissions": sorted(context.permissions),
    }


class Item(msgspec.Struct):
    name: str
    price: float


# -- the API's defaults, and opting out -------------------------------------------------------


@api.get("/me")
def me(request: Request) -> dict[str, Any]:
    """Closed by the API's defaults: a valid HS256 access token."""
    return who(request)


@api.get("/me/async")
async def me_async(request: Request) -> dict[str, Any]:
    """The same on the event loop."""
    await asyncio.sleep(0)
    return who(request)


@api.post("/items")
def create_item(item: Item) -> dict[str, Any]:
    """Authentication runs before the body is bound: no token, no 422."""
    return {"name": item.name}


@api.get("/public", auth=[], guards=[])
def public() -> dict[str, str]:
    return {"open": "yes"}


@api.get("/optional", guards=[AllowAny()])
def optional(request: Request) -> dict[str, Any]:
    """Authenticated when a token is sent, served either way."""
    return who(request)


# -- backends ---------------------------------------------------------------------------------


@api.get("/rs", auth=[RS])
def rs(request: Request) -> dict[str, Any]:
    return who(request)


@api.get("/key", auth=[KEYS], guards=[HasPermission("items.read")])
def key(request: Request) -> dict[str, Any]:
    return who(request)


@api.post("/key", auth=[KEYS], guards=[HasPermission("items.write")])
def key_write(request: Request) -> dict[str, Any]:
    return who(request)


@api.get("/either", auth=[HS, KEYS])
def either(request: Request) -> dict[str, Any]:
    return who(request)


@api.post("/cookie")
def cookie_post(request: Request) -> dict[str, Any]:
    """The HS backend also reads the ``access_token`` cookie (CSRF origin check on POST)."""
    return who(request)


# -- guards -----------------------------------------------------------------------------------


@api.get("/staff", guards=[IsStaff()])
def staff() -> str:
    return "staff"


@api.get("/admin", guards=[IsAdminUser()])
def admin() -> str:
    return "admin"


@api.get("/perm/any", guards=[HasAnyPermission("a", "b")])
def perm_any() -> str:
    return "any"


@api.get("/perm/all", guards=[HasAllPermissions("a", "b")])
def perm_all() -> str:
    return "all"


@api.get("/editors", guards=[Requires("role", "editor", message="Editors only")])
def editors() -> str:
    return "editor"


def header_guard(context: AuthContext | None, request: Request) -> bool:
    """A custom sync guard: the ``x-allow: yes`` header."""
    return request.headers.get("x-allow") == "yes"


async def gold_guard(context: AuthContext | None, request: Request) -> bool:
    """A custom async guard: the token's ``tier`` claim."""
    await asyncio.sleep(0)
    return context is not None and context.claims.get("tier") == "gold"


@api.get("/custom/sync", guards=[IsAuthenticated(), header_guard])
def custom_sync() -> str:
    return "sync"


@api.get("/custom/async", guards=[IsAuthenticated(), gold_guard])
def custom_async() -> str:
    return "async"


# -- routers, views and viewsets --------------------------------------------------------------

router = Router(prefix="/router", auth=[KEYS], guards=[HasPermission("items.write")])


@router.get("/write")
def router_write() -> str:
    return "written"


@router.get("/read", guards=[HasPermission("items.read")])
def router_read() -> str:
    return "read"


api.include_router(router)


@api.view("/view", guards=[IsStaff()])
class StaffView(APIView):
    async def get(self, request: Request) -> dict[str, Any]:
        return who(request)


class OpenView(APIView):
    auth: ClassVar[list[Any] | None] = []
    guards: ClassVar[list[Any] | None] = []

    async def get(self) -> str:
        return "open view"


api.view("/view/open")(OpenView)


@api.viewset("/notes", auth=[KEYS])
class NoteViewSet(ViewSet):
    guards: ClassVar[list[Any] | None] = [HasPermission("items.read")]

    async def list(self) -> list[str]:
        return ["a", "b"]

    async def retrieve(self, pk: int) -> dict[str, int]:
        return {"id": pk}

    @action(["POST"], detail=True, guards=[HasPermission("items.write")])
    async def archive(self, pk: int) -> dict[str, Any]:
        return {"archived": pk}

    @action(["GET"], detail=False, auth=[], guards=[])
    async def count(self) -> int:
        return 2
