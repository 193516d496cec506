"""Token lifecycles (tests/test_tokens.py): ``JWTAuthViews`` login/refresh/logout routes on
three revocation stores — in memory, Django's cache, a Django model — and a JWKS backend.

Django is configured when the module is imported: a throw-away sqlite database
(``BOLT_TEST_SQLITE``) with ``django.contrib.auth`` and ``tests.apps.revoked`` (the
``RevokedToken`` model, its table made by ``migrate --run-syncdb``), and the local-memory
cache. The JWKS document comes from ``BOLT_TEST_JWKS_URL``, a server the test runs; refreshes
on an unknown ``kid`` may come every 0.1 s here (5 s in production).
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
                or os.path.join(tempfile.mkdtemp(prefix="bolt-tokens-"), "db.sqlite3"),
            }
        },
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "tests.apps.revoked",
        ],
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        SECRET_KEY="tokens-test-secret-key-0123456789abcdef",
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],  # fast, tests only
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)

from bolt_api import BoltAPI, Request, run_in_thread
from bolt_api.auth import (
    DjangoCacheRevocation,
    DjangoORMRevocation,
    InMemoryRevocation,
    IsAuthenticated,
    JWTAuthentication,
    JWTAuthViews,
    RevocationStore,
    _jwks,
    get_auth_context,
)
from django.contrib.auth.models import User

__all__ = ["api"]

_jwks.MIN_REFRESH_GAP = 0.1

STORES: dict[str, RevocationStore] = {
    "memory": InMemoryRevocation(),
    "cache": DjangoCacheRevocation(),
    "orm": DjangoORMRevocation("revoked.RevokedToken"),
}
LOGGED_IN = [IsAuthenticated()]

api = BoltAPI()


@api.post("/_user/{username}")
def make_user(username: str, active: bool = True) -> dict[str, Any]:
    """Create (or reset) ``username`` with the password ``pw``."""
    user, _ = User.objects.get_or_create(username=username)
    user.set_password("pw")
    user.is_active = active
    user.save()
    return {"id": user.pk}


def _me(request: Request) -> dict[str, Any]:
    context = get_auth_context(request)
    assert context is not None
    return {"user_id": context.user_id, "username": context.claims.get("username")}


async def _me_async(request: Request) -> dict[str, Any]:
    await asyncio.sleep(0)
    return _me(request)


def _routes(name: str, store: RevocationStore) -> None:
    views = JWTAuthViews(store=store, prefix=f"/{name}/auth")
    views.register(api)
    backend = [views.authentication()]
    # in memory: the check stays on the engine's thread; cache and orm: on the pool
    api.get(f"/{name}/me", auth=backend, guards=LOGGED_IN)(_me)
    api.get(f"/{name}/me/async", auth=backend, guards=LOGGED_IN)(_me_async)

    @api.post(f"/{name}/_revoke/{{jti}}", status_code=204)
    @run_in_thread
    def revoke(jti: str) -> None:
        """An admin revoking one access token by its ``jti``."""
        store.revoke(jti)


for _name, _store in STORES.items():
    _routes(_name, _store)


JWKS = JWTAuthentication(
    jwks_url=os.environ.get("BOLT_TEST_JWKS_URL", "http://127.0.0.1:9/jwks.json"),
    algorithms=["RS256", "ES256"],
    audience="tokens-test",
)


@api.get("/jwks/me", auth=[JWKS], guards=LOGGED_IN)
def jwks_me(request: Request) -> dict[str, Any]:
    return _me(request)
