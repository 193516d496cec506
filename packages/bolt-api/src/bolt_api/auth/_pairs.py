"""Access/refresh token pairs and refresh rotation with reuse detection (django-bolt 0.13's
``create_token_pair``, ``rotate_refresh_token``, ``TokenPair``, ``TokenRotationError``).

A login mints a short-lived *access* token (sent with every request) and a long-lived
*refresh* token (sent only to the refresh route). Both carry a ``jti`` and the same ``fam``,
the *family*: every pair rotated from one login. Their ``token_type`` claims keep them
apart: ``JWTAuthentication`` (``token_type="access"``) never accepts the refresh token.

Rotation spends the refresh token: :meth:`RevocationStore.consume` marks its ``jti`` used,
atomically, and a new pair of the same family is minted. A refresh token presented a second
time means two parties hold it — the user and a thief — and there is no telling which one
is which, so the whole family is revoked (OAuth 2.0 Security BCP, RFC 9700 §4.14.2): every
refresh token rotated from that login is dead, and so are its access tokens on routes whose
backend has the ``revocation_store``.

The functions are sync: they run in a route's handler, which for a ``def`` route is on the
handler pool, where a store's I/O may block.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._backends import _check_algorithms, _check_secret_length, _django_secret_key
from ._revocation import RevocationStore

__all__ = [
    "DEFAULT_ACCESS_TTL",
    "DEFAULT_REFRESH_TTL",
    "TokenPair",
    "TokenRotationError",
    "create_token_pair",
    "rotate_refresh_token",
]

DEFAULT_ACCESS_TTL = 900  # 15 minutes
DEFAULT_REFRESH_TTL = 7 * 86400  # 7 days

#: Claims the pair functions set themselves: extra ``claims`` may not override them (a
#: ``token_type`` would turn a refresh token into an access token, a ``fam`` escape reuse
#: detection).
RESERVED_CLAIMS = frozenset({"sub", "iat", "exp", "jti", "fam", "token_type", "typ"})


class TokenRotationError(Exception):
    """A refresh token that cannot be rotated: revoked, already used (its family is then
    revoked), of another type, or without ``jti``/``fam``/``sub``. Answer a uniform 401: the
    reason is for the logs, not for the client."""


@dataclass(slots=True)
class TokenPair:
    """An access token and a refresh token of one family, with their claims."""

    access_token: str
    refresh_token: str
    access_claims: dict[str, Any]
    refresh_claims: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The OAuth 2.0 token response's fields (RFC 6749 §5.1)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": max(0, int(self.access_claims["exp"]) - int(time.time())),
        }


def _signing_key(secret: Any, algorithm: str) -> Any:
    _check_algorithms([algorithm])
    key = secret if secret is not None else _django_secret_key()
    if algorithm.startswith("HS"):
        _check_secret_length(key, [algorithm])
    return key


def _user_claims(user: Any) -> tuple[str, dict[str, Any]]:
    """``sub`` and the claims a Django user gives (a bare id gives none)."""
    if isinstance(user, (str, int)):
        return str(user), {}
    pk = getattr(user, "pk", None)
    if pk is None:
        raise ValueError("a token pair needs a user with a pk, or a user id")
    claims: dict[str, Any] = {}
    if getattr(user, "is_staff", False):
        claims["is_staff"] = True
    if getattr(user, "is_superuser", False):
        claims["is_superuser"] = True
    username = getattr(user, "get_username", None)
    if callable(username):
        claims["username"] = username()
    return str(pk), claims


def _mint(
    user: Any,
    family: str,
    *,
    secret: Any,
    algorithm: str,
    access_ttl: int,
    refresh_ttl: int,
    claims: Mapping[str, Any] | None,
    audience: str | None,
    issuer: str | None,
    kid: str | None,
) -> TokenPair:
    import jwt

    if claims:
        reserved = RESERVED_CLAIMS.intersection(claims)
        if reserved:
            raise ValueError(f"claims may not set {', '.join(sorted(reserved))}")
    if access_ttl <= 0 or refresh_ttl <= 0:
        raise ValueError("access_ttl and refresh_ttl must be more than 0 seconds")
    key = _signing_key(secret, algorithm)
    sub, user_claims = _user_claims(user)
    now = int(time.time())
    base: dict[str, Any] = {**(claims or {}), "sub": sub, "iat": now, "fam": family}
    if audience is not None:
        base["aud"] = audience
    if issuer is not None:
        base["iss"] = issuer
    access = {
        **user_claims,
        **base,
        "exp": now + access_ttl,
        "jti": uuid.uuid4().hex,
        "token_type": "access",
    }
    refresh = {**base, "exp": now + refresh_ttl, "jti": uuid.uuid4().hex, "token_type": "refresh"}
    headers = {"kid": kid} if kid is not None else None
    return TokenPair(
        jwt.encode(access, key, algorithm=algorithm, headers=headers),
        jwt.encode(refresh, key, algorithm=algorithm, headers=headers),
        access,
        refresh,
    )


def create_token_pair(
    user: Any,
    *,
    secret: Any = None,
    algorithm: str = "HS256",
    access_ttl: int = DEFAULT_ACCESS_TTL,
    refresh_ttl: int = DEFAULT_REFRESH_TTL,
    claims: Mapping[str, Any] | None = None,
    audience: str | None = None,
    issuer: str | None = None,
    kid: str | None = None,
) -> TokenPair:
    """A new pair, the first of a new family, for ``user`` (a Django user — ``sub`` its
    ``pk``, its ``is_staff``/``is_superuser``/``username`` in the access token — or a bare
    id). ``secret`` signs (the HMAC secret, default Django's ``SECRET_KEY``, or the private
    key); ``claims`` go into both tokens; ``kid`` names the key in the tokens' header."""
    return _mint(
        user,
        uuid.uuid4().hex,
        secret=secret,
        algorithm=algorithm,
        access_ttl=access_ttl,
        refresh_ttl=refresh_ttl,
        claims=claims,
        audience=audience,
        issuer=issuer,
        kid=kid,
    )


def rotate_refresh_token(
    refresh_claims: Mapping[str, Any],
    *,
    store: RevocationStore,
    secret: Any = None,
    algorithm: str = "HS256",
    access_ttl: int = DEFAULT_ACCESS_TTL,
    refresh_ttl: int = DEFAULT_REFRESH_TTL,
    leeway: float = 60,
    claims: Mapping[str, Any] | None = None,
    user: Any = None,
    audience: str | None = None,
    issuer: str | None = None,
    kid: str | None = None,
) -> TokenPair:
    """Spend a refresh token — ``refresh_claims``, already verified (signature, expiry,
    ``token_type="refresh"``) — for a new pair of its family; :class:`TokenRotationError`
    when it cannot be, after revoking the family if the token was used before.

    ``user`` (the user reloaded from ``sub``) gives fresh flags to the new access token;
    claims of the old token are not carried over (they may be stale): pass ``claims``.
    ``leeway`` must be the verifying backend's: the used mark outlives ``exp`` by that much,
    as long as the token can still pass verification.
    """
    jti, fam, sub = (refresh_claims.get(name) for name in ("jti", "fam", "sub"))
    if not all(isinstance(value, str) and value for value in (jti, fam, sub)):
        raise TokenRotationError("the refresh token lacks jti, fam or sub")
    assert isinstance(jti, str) and isinstance(fam, str) and isinstance(sub, str)
    if refresh_claims.get("token_type") != "refresh":
        raise TokenRotationError("not a refresh token")
    if store.is_family_revoked(fam):
        raise TokenRotationError("the refresh token's family was revoked")
    try:
        exp = int(refresh_claims["exp"])
    except (KeyError, TypeError, ValueError):
        raise TokenRotationError("the refresh token has no valid exp") from None
    now = time.time()
    if not store.consume(jti, exp=max(exp, now + leeway)):
        # reuse: the family's newest refresh token may live refresh_ttl from now
        store.revoke_family(fam, exp=now + refresh_ttl + leeway)
        raise TokenRotationError("the refresh token was used before: its family is revoked")
    if user is not None and str(getattr(user, "pk", user)) != sub:
        raise TokenRotationError("the user is not the refresh token's subject")
    return _mint(
        user if user is not None else sub,
        fam,
        secret=secret,
        algorithm=algorithm,
        access_ttl=access_ttl,
        refresh_ttl=refresh_ttl,
        claims=claims,
        audience=audience,
        issuer=issuer,
        kid=kid,
    )
