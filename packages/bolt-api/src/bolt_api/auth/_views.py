"""Ready-made login, refresh and logout routes (django-bolt 0.13's ``JWTAuthViews`` and
``LoginCredentials``), returning the tokens in the body as an OAuth 2.0 token response.

``JWTAuthViews(store=...).register(api)`` adds them to an API (or a router);
``authentication()`` is the matching backend for the API's
other routes, with the store, so a logout or a detected reuse ends the family's access
tokens as well.

The three routes are ``def`` handlers, so they run on the handler pool: Django's
``authenticate`` (a password hash), the user query and the store may all block. They declare
``auth=[]`` and ``guards=[]``: the API's default guards (``IsAuthenticated()``) must not stand
between a client and its login. Every failure is the same 401, whatever went wrong (no
oracle for which usernames exist or which token was reused).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import msgspec

from ..exceptions import HTTPException
from ._backends import JWTAuthentication
from ._pairs import (
    DEFAULT_ACCESS_TTL,
    DEFAULT_REFRESH_TTL,
    TokenRotationError,
    create_token_pair,
    rotate_refresh_token,
)
from ._revocation import RevocationStore

__all__ = ["JWTAuthViews", "LoginCredentials", "RefreshCredentials"]


class LoginCredentials(msgspec.Struct):
    """The login route's body."""

    username: str
    password: str


class RefreshCredentials(msgspec.Struct):
    """The refresh and logout routes' body."""

    refresh_token: str


class _Routes(Protocol):
    """What :meth:`JWTAuthViews.register` needs: a ``BoltAPI`` or a ``Router``."""

    def post(
        self, path: str, **options: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...


#: ``credential_validator(credentials) -> user or None``.
CredentialValidator = Callable[[LoginCredentials], Any]


def _django_authenticate(credentials: LoginCredentials) -> Any:
    from django.contrib.auth import authenticate

    return authenticate(None, username=credentials.username, password=credentials.password)


def _django_user(user_id: str) -> Any:
    from django.contrib.auth import get_user_model

    model = get_user_model()
    try:
        return model._default_manager.filter(pk=user_id).first()
    except (ValueError, TypeError):  # a sub that is not a primary key of this model
        return None


class JWTAuthViews:
    """``POST {prefix}/login`` (``{"username", "password"}`` through Django's
    ``authenticate``), ``POST {prefix}/refresh`` and ``POST {prefix}/logout``
    (``{"refresh_token"}``).

    ``store`` keeps used refresh tokens and revoked families; ``secret`` signs (default
    Django's ``SECRET_KEY``; for RS/PS/ES/EdDSA the private key, with ``public_key`` to
    verify); ``leeway`` is the refresh tokens' clock skew, and the one to give the access
    backend (``authentication()`` does). ``credential_validator`` replaces Django's
    ``authenticate`` for other kinds of login; ``user_loader(sub)`` reloads the user at each
    refresh (a user deleted or made inactive since cannot refresh).
    """

    def __init__(
        self,
        *,
        store: RevocationStore,
        secret: Any = None,
        algorithm: str = "HS256",
        public_key: Any = None,
        prefix: str = "/auth",
        access_ttl: int = DEFAULT_ACCESS_TTL,
        refresh_ttl: int = DEFAULT_REFRESH_TTL,
        audience: str | None = None,
        issuer: str | None = None,
        kid: str | None = None,
        leeway: float = 60,
        credential_validator: CredentialValidator | None = None,
        user_loader: Callable[[str], Any] | None = None,
    ) -> None:
        if not isinstance(store, RevocationStore):
            raise TypeError(f"store= takes a RevocationStore, got {store!r}")
        self.store = store
        self.secret = secret
        self.algorithm = algorithm
        self.public_key = public_key
        self.prefix = prefix.rstrip("/")
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.audience = audience
        self.issuer = issuer
        self.kid = kid
        self.leeway = leeway
        self.credential_validator = credential_validator or _django_authenticate
        self.user_loader = user_loader or _django_user
        # the refresh tokens' verifier has no store: rotation consults it, so that a reused
        # token reaches rotate_refresh_token and revokes its family instead of a plain 401
        self._refresh = self._backend(token_type="refresh", require_jti=True)

    def _backend(self, **options: Any) -> JWTAuthentication:
        hmac = self.algorithm.startswith("HS")
        return JWTAuthentication(
            secret=self.secret if hmac else None,
            public_key=None if hmac else self.public_key,
            algorithms=[self.algorithm],
            audience=self.audience,
            issuer=self.issuer,
            leeway=self.leeway,
            required_claims=("exp", "sub", "jti"),
            **options,
        )

    def authentication(self, **options: Any) -> JWTAuthentication:
        """The backend that accepts this login's access tokens on the API's routes, checking
        the store (``options`` go to :class:`JWTAuthentication`, e.g. ``cookie=``)."""
        return self._backend(revocation_store=self.store, require_jti=True, **options)

    def _claims(self, token: str) -> dict[str, Any]:
        import jwt

        self._refresh.prepare()
        try:
            claims = self._refresh.decode(token)
        except jwt.InvalidTokenError:
            raise HTTPException(401, "Invalid token") from None
        if claims.get("token_type") != "refresh":  # the verifier lets untyped tokens by
            raise HTTPException(401, "Invalid token")
        return claims

    def _sign(self) -> dict[str, Any]:
        return {
            "secret": self.secret,
            "algorithm": self.algorithm,
            "access_ttl": self.access_ttl,
            "refresh_ttl": self.refresh_ttl,
            "audience": self.audience,
            "issuer": self.issuer,
            "kid": self.kid,
        }

    def login(self, credentials: LoginCredentials) -> dict[str, Any]:
        """A new pair for valid credentials; 401 otherwise."""
        user = self.credential_validator(credentials)
        if user is None or not getattr(user, "is_active", True):
            raise HTTPException(401, "Invalid credentials")
        return create_token_pair(user, **self._sign()).as_dict()

    def refresh(self, body: RefreshCredentials) -> dict[str, Any]:
        """The next pair of the refresh token's family; 401 for an invalid, revoked or reused
        token (a reused one revokes the family first)."""
        claims = self._claims(body.refresh_token)
        user = self.user_loader(str(claims["sub"]))
        if user is None or not getattr(user, "is_active", True):
            raise HTTPException(401, "Invalid token")
        try:
            pair = rotate_refresh_token(
                claims, store=self.store, leeway=self.leeway, user=user, **self._sign()
            )
        except TokenRotationError:
            raise HTTPException(401, "Invalid token") from None
        return pair.as_dict()

    def logout(self, body: RefreshCredentials) -> None:
        """Revoke the refresh token's family: its refresh tokens and, on routes with the
        store, its access tokens."""
        claims = self._claims(body.refresh_token)
        fam = claims.get("fam")
        if not isinstance(fam, str):
            raise HTTPException(401, "Invalid token")
        self.store.revoke_family(fam, exp=time.time() + self.refresh_ttl + self.leeway)

    def register(self, api: _Routes) -> None:
        """Add the three routes to ``api`` — a ``BoltAPI`` or a ``Router`` — under ``prefix``,
        tagged ``auth``, with no backend and no guard (not even the API's defaults)."""
        from .._threads import run_in_thread

        open_route: dict[str, Any] = {"auth": [], "guards": [], "tags": ["auth"]}

        @api.post(f"{self.prefix}/login", summary="Log in: a token pair", **open_route)
        @run_in_thread
        def login(credentials: LoginCredentials) -> dict[str, Any]:
            return self.login(credentials)

        @api.post(f"{self.prefix}/refresh", summary="The next token pair", **open_route)
        @run_in_thread
        def refresh(body: RefreshCredentials) -> dict[str, Any]:
            return self.refresh(body)

        @api.post(
            f"{self.prefix}/logout",
            status_code=204,
            summary="Revoke a login's tokens",
            **open_route,
        )
        @run_in_thread
        def logout(body: RefreshCredentials) -> None:
            self.logout(body)
