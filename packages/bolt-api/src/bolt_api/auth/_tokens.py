"""Issuing tokens: :class:`Token` and :func:`create_jwt_for_user` (django-bolt's helpers).

Encoding is PyJWT's. A token names its ``token_type`` (``"access"`` unless told otherwise),
so that ``JWTAuthentication``'s ``token_type`` check keeps a refresh token from passing as
an access token.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._backends import _check_algorithms, _check_secret_length, _django_secret_key

__all__ = ["Token", "create_jwt_for_user"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _timestamp(value: dt.datetime | int | float | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("token times must be timezone-aware datetimes")
        return int(value.timestamp())
    return int(value)


@dataclass(slots=True)
class Token:
    """A JWT's claims. ``Token.create(sub)`` fills ``iat``, ``exp`` and ``jti``;
    ``token.encode(secret)`` signs it; ``Token.decode(token, secret)`` verifies one."""

    exp: dt.datetime | int
    sub: str
    iat: dt.datetime | int | None = None
    iss: str | None = None
    aud: str | list[str] | None = None
    jti: str | None = None
    nbf: dt.datetime | int | None = None
    is_staff: bool = False
    is_superuser: bool = False
    is_admin: bool = False
    permissions: list[str] = field(default_factory=list)
    token_type: str | None = "access"
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        sub: str | int,
        expires_delta: dt.timedelta | None = None,
        **claims: Any,
    ) -> Token:
        """A token for ``sub`` expiring after ``expires_delta`` (one hour by default)."""
        now = _now()
        known = {f for f in cls.__dataclass_fields__ if f not in ("exp", "sub", "extras")}
        given = {k: v for k, v in claims.items() if k in known}
        extras = {k: v for k, v in claims.items() if k not in known}
        given.setdefault("iat", now)
        given.setdefault("jti", uuid.uuid4().hex)
        return cls(
            exp=now + (expires_delta or dt.timedelta(hours=1)), sub=str(sub), extras=extras, **given
        )

    def claims(self) -> dict[str, Any]:
        """The claims as they are encoded (``None`` and empty values left out)."""
        out: dict[str, Any] = dict(self.extras)
        out.update({"sub": self.sub, "exp": _timestamp(self.exp)})
        for name in ("iat", "nbf"):
            stamp = _timestamp(getattr(self, name))
            if stamp is not None:
                out[name] = stamp
        for name in ("iss", "aud", "jti", "token_type"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        for name in ("is_staff", "is_superuser", "is_admin"):
            if getattr(self, name):
                out[name] = True
        if self.permissions:
            out["permissions"] = list(self.permissions)
        return out

    def encode(
        self,
        secret: str | bytes | Any,
        algorithm: str = "HS256",
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """The signed token (``secret``: the HMAC secret or the private key)."""
        _check_algorithms([algorithm])
        if algorithm.startswith("HS"):
            _check_secret_length(secret, [algorithm])
        import jwt

        return jwt.encode(self.claims(), secret, algorithm=algorithm, headers=dict(headers or {}))

    @classmethod
    def decode(
        cls,
        token: str,
        secret: str | bytes | Any,
        algorithms: Sequence[str] | None = None,
        *,
        audience: str | Iterable[str] | None = None,
        issuer: str | None = None,
        leeway: float = 0,
    ) -> Token:
        """Verify ``token`` (``jwt.InvalidTokenError`` when it is not valid) and read it."""
        import jwt

        claims = jwt.decode(
            token,
            secret,
            algorithms=list(_check_algorithms(algorithms)),
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": ["exp", "sub"]},
        )
        known = set(cls.__dataclass_fields__) - {"extras"}
        return cls(
            **{k: v for k, v in claims.items() if k in known},
            extras={k: v for k, v in claims.items() if k not in known},
        )


def create_jwt_for_user(
    user: Any,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
    expires_in: int = 3600,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """An access token for a Django user (or any object with ``pk``/``id``): ``sub`` its
    primary key, its ``is_staff``/``is_superuser`` flags, signed with ``secret`` (default:
    Django's ``SECRET_KEY``), valid for ``expires_in`` seconds."""
    pk = getattr(user, "pk", None)
    if pk is None:
        pk = getattr(user, "id", None)
    if pk is None:
        raise ValueError("create_jwt_for_user needs a user with a pk (or an id)")
    claims: dict[str, Any] = {
        "is_staff": bool(getattr(user, "is_staff", False)),
        "is_superuser": bool(getattr(user, "is_superuser", False)),
    }
    username = getattr(user, "get_username", None)
    if callable(username):
        claims["username"] = username()
    claims.update(extra_claims or {})
    token = Token.create(pk, dt.timedelta(seconds=expires_in), **claims)
    return token.encode(secret if secret is not None else _django_secret_key(), algorithm)
