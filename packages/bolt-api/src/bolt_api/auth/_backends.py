"""Authentication backends: who sent a request, from its headers or cookies.

A backend's :meth:`~BaseAuthentication.authenticate` returns an :class:`AuthContext`, or
``None`` when the request carries no valid credentials for it — never an exception for a
bad token: as in django-bolt, authentication alone does not refuse a request, a guard does
(``IsAuthenticated()`` answers 401 when no backend authenticated it).

Backends are configured once and checked at construction: an option that cannot be honoured
(an unknown or ``none`` algorithm, HMAC and public-key algorithms mixed in one backend, a
public key where a secret is expected, an empty key set) is an error then, not a token that
later passes. Token signatures are verified by PyJWT; API keys are compared with
:func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ..engine import Needs, Request
from ._context import AuthContext
from ._jwks import JWKSKeys, discover_jwks_url
from ._revocation import RevocationStore
from ._verified import FrozenClaims, VerifiedToken, VerifiedTokens

# PyJWT is imported where it is used: with ``cryptography`` it is a third of ``bolt_api``'s
# import time, which an API without JWT routes need not pay.

__all__ = ["APIKeyAuthentication", "BaseAuthentication", "JWTAuthentication"]

#: Algorithms by family. A backend takes algorithms of one family only: a key that verifies
#: HMAC tokens must never be offered as a public key, nor the reverse (algorithm confusion).
_HMAC = frozenset({"HS256", "HS384", "HS512"})
_ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_PEM_MARKERS = (b"-----BEGIN", b"ssh-rsa", b"ssh-ed25519", b"ecdsa-sha2-")


class BaseAuthentication:
    """Base of the authentication backends: subclass and implement :meth:`authenticate`.

    ``scheme_name`` names the backend in ``AuthContext.backend`` and in the OpenAPI
    document's ``securitySchemes``; ``needs`` says which request parts it reads.
    """

    scheme_name: ClassVar[str] = "auth"
    needs: Needs = Needs.HEADERS

    def prepare(self) -> None:
        """Resolve what is read lazily (Django's ``SECRET_KEY``), when the API compiles, so a
        missing key fails at start rather than on the first request."""

    def authenticate(self, request: Request) -> AuthContext | None:
        """The request's context, or ``None`` when it has no valid credentials for this
        backend. Runs on the engine's thread, before the body is bound: keep it quick."""
        raise NotImplementedError

    def challenge(self) -> str:
        """The ``WWW-Authenticate`` challenge of a 401 (RFC 9110 §11.6.1)."""
        return self.scheme_name

    def openapi_scheme(self) -> dict[str, Any]:
        """This backend as an OpenAPI security scheme object."""
        raise NotImplementedError


def _check_algorithms(algorithms: Sequence[str] | None) -> tuple[str, ...]:
    chosen = tuple(algorithms) if algorithms is not None else ("HS256",)
    if isinstance(algorithms, str):
        raise TypeError(f"algorithms must be a list of names, got the string {algorithms!r}")
    if not chosen:
        raise ValueError("JWTAuthentication needs at least one algorithm")
    for name in chosen:
        if name.lower() == "none":
            raise ValueError("the 'none' algorithm is never accepted: tokens must be signed")
        if name not in _HMAC and name not in _ASYMMETRIC:
            known = ", ".join(sorted(_HMAC | _ASYMMETRIC))
            raise ValueError(f"unknown JWT algorithm {name!r}; known: {known}")
    families = {name in _HMAC for name in chosen}
    if len(families) > 1:
        raise ValueError(
            "JWTAuthentication takes HMAC (HS*) or public-key (RS/PS/ES/EdDSA) algorithms, not "
            "both: one key accepted for both families lets a public key forge HMAC tokens; "
            "use two backends"
        )
    return chosen


#: RFC 7518 §3.2: an HMAC key at least as long as the hash output.
_MIN_SECRET = {"HS256": 32, "HS384": 48, "HS512": 64}


def _check_secret_length(secret: str | bytes, algorithms: Sequence[str]) -> None:
    size = len(secret.encode() if isinstance(secret, str) else secret)
    needed = max(_MIN_SECRET[a] for a in algorithms)
    if size < needed:
        raise ValueError(
            f"the HMAC secret is {size} bytes; {', '.join(algorithms)} need {needed} or more "
            "(RFC 7518 3.2): a short secret can be guessed offline from one token"
        )


def _looks_like_public_key(key: str | bytes) -> bool:
    raw = key.encode() if isinstance(key, str) else key
    return any(marker in raw for marker in _PEM_MARKERS)


def _same_origin(request: Request, trusted: Collection[str]) -> bool:
    """Django's CSRF origin rule for a cookie-authenticated unsafe request: ``Origin`` (or,
    without it, ``Referer``) is this host or one of ``trusted`` (``scheme://host[:port]``)."""
    headers = request.headers
    origin = headers.get("origin")
    if origin is None:
        referer = headers.get("referer")
        if referer is None:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin in trusted:
        return True
    host = headers.get("host")
    return host is not None and origin == f"{request.scheme}://{host}"


class JWTAuthentication(BaseAuthentication):
    """JSON Web Tokens, verified by PyJWT, from ``Authorization: Bearer <token>`` or a cookie.

    ``secret`` verifies HMAC algorithms (default: Django's ``SECRET_KEY``, read when the API
    compiles); ``public_key`` (PEM) verifies RS/PS/ES/EdDSA. ``algorithms`` is the allowlist
    (default ``["HS256"]``): a token whose header names another algorithm — ``none``
    included — is refused, and one backend never mixes the two families. ``audience`` and
    ``issuer``, when set, must match; ``exp``/``nbf``/``iat`` are checked with ``leeway``
    seconds of clock skew; every claim in ``required_claims`` must be present.

    ``token_type`` (default ``"access"``): a token carrying a ``token_type`` claim must carry
    this one, so a refresh token never passes as an access token (``None`` turns the check
    off). ``cookie``: also read the token from this cookie when the header has none; an
    unsafe request (POST, ...) authenticated by the cookie must then come from this origin
    or ``trusted_origins`` (Django's CSRF origin check), unless ``csrf=False``.

    Claims become the context: ``sub`` the ``user_id``, ``is_staff``/``is_superuser`` flags
    and a ``permissions`` list.

    Keys from a JWKS document instead of ``public_key``: ``jwks`` (the document, a dict),
    ``jwks_url`` (fetched when the API compiles, then refreshed in the background every
    ``jwks_refresh_interval`` seconds and on an unknown ``kid``: :mod:`._jwks`), or
    ``oidc_issuer`` (its discovery document names the JWKS URL; it is also the ``issuer``).
    These default ``algorithms`` to ``["RS256"]``.

    ``revocation_store``: a :class:`~bolt_api.auth.RevocationStore` asked, on every
    request, whether the token's ``jti`` (or its refresh family, ``fam``) was revoked; a
    store that does I/O moves the check off the engine's thread. ``require_jti``: a token
    without ``jti`` is refused (it could never be revoked).
    """

    scheme_name: ClassVar[str] = "jwt"

    def __init__(
        self,
        secret: str | bytes | None = None,
        algorithms: Sequence[str] | None = None,
        header: str = "authorization",
        audience: str | Sequence[str] | None = None,
        issuer: str | None = None,
        *,
        cookie: str | None = None,
        public_key: str | bytes | None = None,
        leeway: float = 60,
        token_type: str | None = "access",
        required_claims: Iterable[str] = ("exp",),
        csrf: bool = True,
        trusted_origins: Iterable[str] = (),
        jwks_url: str | None = None,
        jwks: Mapping[str, Any] | None = None,
        jwks_refresh_interval: float = 300,
        oidc_issuer: str | None = None,
        revocation_store: RevocationStore | None = None,
        require_jti: bool = False,
    ) -> None:
        sources = [
            n
            for n, v in (("jwks_url", jwks_url), ("jwks", jwks), ("oidc_issuer", oidc_issuer))
            if v is not None
        ]
        if len(sources) > 1:
            raise ValueError(f"give one key source, not {' and '.join(sources)}")
        if sources and algorithms is None:
            algorithms = ["RS256"]
        self.algorithms = _check_algorithms(algorithms)
        self.hmac = self.algorithms[0] in _HMAC
        self.jwks: JWKSKeys | None = None
        if sources:
            if self.hmac:
                raise ValueError(
                    f"{sources[0]}= publishes public keys: it verifies RS/PS/ES/EdDSA tokens, "
                    f"not {', '.join(self.algorithms)}"
                )
            if secret is not None or public_key is not None:
                raise ValueError(f"give {sources[0]}= or a key (secret=/public_key=), not both")
            if jwks_refresh_interval <= 0:
                raise ValueError(
                    "jwks_refresh_interval must be more than 0 seconds, "
                    f"got {jwks_refresh_interval}"
                )
            self.jwks = JWKSKeys(
                self.algorithms,
                url=jwks_url,
                document=jwks,
                refresh_interval=jwks_refresh_interval,
            )
            if jwks is not None and not self.jwks._keys:
                raise ValueError("the jwks document has no key")
        elif self.hmac:
            if public_key is not None:
                raise ValueError(f"public_key is for public-key algorithms, not {self.algorithms}")
            if secret is not None and _looks_like_public_key(secret):
                raise ValueError("secret looks like a public key: HMAC needs a shared secret")
            if secret is not None:
                _check_secret_length(secret, self.algorithms)
        else:
            if secret is not None:
                raise ValueError(
                    f"{', '.join(self.algorithms)} verify with public_key=, not secret="
                )
            if public_key is None:
                raise ValueError(f"{', '.join(self.algorithms)} need public_key= (PEM)")
        if leeway < 0:
            raise ValueError(f"leeway must be 0 or more seconds, got {leeway}")
        if revocation_store is not None and not isinstance(revocation_store, RevocationStore):
            raise TypeError(
                f"revocation_store= takes a RevocationStore (InMemoryRevocation(), "
                f"DjangoCacheRevocation(), ...), got {revocation_store!r}"
            )
        self.jwks_url = jwks_url
        self.jwks_refresh_interval = jwks_refresh_interval
        self.oidc_issuer = oidc_issuer
        self.revocation_store = revocation_store
        self.require_jti = require_jti
        #: a store that does I/O: the route's check runs on the handler pool
        self.blocks = revocation_store is not None and revocation_store.blocks
        if oidc_issuer is not None and issuer is None:
            issuer = oidc_issuer
        self.secret = secret
        self.public_key = public_key
        self.header = header.lower()
        self.audience = audience
        self.issuer = issuer
        self.cookie = cookie
        self.leeway = leeway
        self.token_type = token_type
        self.required_claims = tuple(required_claims)
        self.csrf = csrf
        self.trusted_origins = frozenset(trusted_origins)
        # the origin check compares with the request's scheme: behind a trusted proxy that is
        # X-Forwarded-Proto, which an engine resolves only for routes that need the client
        self.needs = Needs.HEADERS
        if cookie is not None:
            self.needs |= Needs.COOKIES | (Needs.CLIENT if csrf else Needs.NONE)
        self._key: Any = None
        #: Tokens verified before, with their context (static keys only: a JWKS document's
        #: keys can be withdrawn, and a cached token would outlive its key).
        self._verified: VerifiedTokens | None = None if self.jwks is not None else VerifiedTokens()

    def prepare(self) -> None:
        import jwt  # noqa: F401  (imported now, not by the first request)

        if self.jwks is not None:
            if self.oidc_issuer is not None and self.jwks.url is None:
                self.jwks.url = discover_jwks_url(self.oidc_issuer)
            self.jwks.load()
            return
        self._resolve_key()

    def _resolve_key(self) -> Any:
        key = self._key
        if key is not None:
            return key
        if not self.hmac:
            key = self.public_key
        else:
            key = self.secret if self.secret is not None else _django_secret_key()
            _check_secret_length(key, self.algorithms)
        self._key = key
        return key

    def _token(self, request: Request) -> tuple[str | None, bool]:
        """The raw token and whether it came from the cookie."""
        value = request.headers.get(self.header)
        if value is not None:
            scheme, _, rest = value.strip().partition(" ")
            if scheme.lower() == "bearer" and rest.strip():
                return rest.strip(), False
            if self.header != "authorization" and value.strip():
                return value.strip(), False
            return None, False
        if self.cookie is not None:
            token = request.cookies.get(self.cookie)
            if token:
                return token, True
        return None, False

    def decode(self, token: str) -> dict[str, Any]:
        """The verified claims of ``token``; a ``jwt.InvalidTokenError`` when it is not valid."""
        claims = self._verify(token)
        self._check_revocation(claims)
        return claims

    def _verify(self, token: str) -> dict[str, Any]:
        """Signature, algorithm, the time claims, audience, issuer, required claims and
        ``token_type``: everything about ``token`` that cannot change but the clock."""
        import jwt

        algorithms = list(self.algorithms)
        if self.jwks is not None:
            header = jwt.get_unverified_header(token)
            alg = header.get("alg")
            if not isinstance(alg, str) or alg not in self.algorithms:
                raise jwt.InvalidAlgorithmError(f"the algorithm {alg!r} is not allowed")
            key = self.jwks.key_for(header.get("kid"), alg)
            if key is None:
                raise jwt.InvalidTokenError("no key of the JWKS document verifies this token")
            algorithms = [alg]
        else:
            key = self._resolve_key()
        # without ``audience``, PyJWT refuses a token that names one
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=self.audience,
            issuer=self.issuer,
            leeway=self.leeway,
            options={"require": list(self.required_claims)},
        )
        if self.token_type is not None:
            kind = claims.get("token_type", claims.get("typ"))
            if kind is not None and kind != self.token_type:
                raise jwt.InvalidTokenError(f"a {kind!r} token is not a {self.token_type!r} one")
        return claims

    def _check_revocation(self, claims: Mapping[str, Any]) -> None:
        """``jti`` rules and the revocation store: asked on every request, cached or not."""
        import jwt

        store = self.revocation_store
        if store is not None or self.require_jti:
            jti = claims.get("jti")
            if jti is None and self.require_jti:
                raise jwt.MissingRequiredClaimError("jti")
            if jti is not None and not isinstance(jti, str):
                raise jwt.InvalidTokenError("jti must be a string")
            fam = claims.get("fam")
            if store is not None and (
                (jti is not None and store.is_revoked(jti))
                or (isinstance(fam, str) and store.is_family_revoked(fam))
            ):
                raise jwt.InvalidTokenError("the token was revoked")

    def authenticate(self, request: Request) -> AuthContext | None:
        token, from_cookie = self._token(request)
        if token is None:
            return None
        if (
            from_cookie
            and self.csrf
            and request.method not in _SAFE_METHODS
            and not _same_origin(request, self.trusted_origins)
        ):
            return None
        import jwt

        try:
            cache = self._verified
            verified = None if cache is None else cache.get(token, time.time())
            if verified is None:
                claims = FrozenClaims(self._verify(token))
                verified = VerifiedToken(
                    claims, context_from_claims(claims, self.scheme_name), self.leeway
                )
                if cache is not None:
                    cache.put(token, verified)
            self._check_revocation(verified.claims)
        except jwt.InvalidTokenError:
            return None
        return verified.context

    def challenge(self) -> str:
        return "Bearer"

    def openapi_scheme(self) -> dict[str, Any]:
        if self.header == "authorization":
            return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        return {"type": "apiKey", "in": "header", "name": self.header}


def context_from_claims(claims: Mapping[str, Any], backend: str) -> AuthContext:
    """The :class:`AuthContext` a token's claims give (``sub``, the flags, ``permissions``)."""
    sub = claims.get("sub")
    permissions = claims.get("permissions")
    perms = (
        frozenset(str(p) for p in permissions)
        if isinstance(permissions, (list, tuple, set, frozenset))
        else frozenset()
    )
    return AuthContext(
        user_id=None if sub is None else str(sub),
        backend=backend,
        is_staff=claims.get("is_staff") is True,
        is_superuser=claims.get("is_superuser") is True,
        permissions=perms,
        claims=claims if isinstance(claims, FrozenClaims) else dict(claims),
    )


def _django_secret_key() -> str:
    try:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
    except ImportError:
        raise ValueError(
            "JWTAuthentication needs secret= (Django is not installed to give SECRET_KEY)"
        ) from None
    try:
        key: str = settings.SECRET_KEY
    except ImproperlyConfigured:
        raise ValueError(
            "JWTAuthentication needs secret= (Django settings are not configured)"
        ) from None
    if not key:
        raise ValueError("JWTAuthentication needs secret=: Django's SECRET_KEY is empty")
    return key


class APIKeyAuthentication(BaseAuthentication):
    """A static key in a header (``x-api-key`` by default), compared in constant time.

    ``api_keys`` are the accepted keys; ``key_permissions`` maps a key to the permissions its
    context carries (for ``HasPermission`` and friends). A ``Bearer ``/``ApiKey `` prefix in
    the header is stripped. The context's ``user_id`` is ``"apikey:<key>"``.
    """

    scheme_name: ClassVar[str] = "api_key"

    def __init__(
        self,
        api_keys: Iterable[str] | None = None,
        header: str = "x-api-key",
        key_permissions: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        if isinstance(api_keys, str):
            raise TypeError("api_keys must be a collection of keys, not one string")
        keys = tuple(dict.fromkeys(api_keys or ()))
        if not keys or not all(isinstance(k, str) and k for k in keys):
            raise ValueError("APIKeyAuthentication needs api_keys: one or more non-empty keys")
        permissions = {k: frozenset(v) for k, v in (key_permissions or {}).items()}
        unknown = set(permissions) - set(keys)
        if unknown:
            raise ValueError("key_permissions names keys that are not in api_keys")
        self.header = header.lower()
        self._keys = tuple((k.encode(), k) for k in keys)
        self._permissions = permissions

    def authenticate(self, request: Request) -> AuthContext | None:
        value = request.headers.get(self.header)
        if not value:
            return None
        value = value.strip()
        scheme, _, rest = value.partition(" ")
        if rest and scheme.lower() in ("bearer", "apikey"):
            value = rest.strip()
        given = value.encode("latin-1", "replace")  # headers arrive latin-1 decoded
        found = None
        for raw, key in self._keys:  # every key compared: the time says nothing of which
            if hmac.compare_digest(raw, given):
                found = key
        if found is None:
            return None
        return AuthContext(
            user_id=f"apikey:{found}",
            backend=self.scheme_name,
            permissions=self._permissions.get(found, frozenset()),
        )

    def challenge(self) -> str:
        return f'ApiKey header="{self.header}"'

    def openapi_scheme(self) -> dict[str, Any]:
        return {"type": "apiKey", "in": "header", "name": self.header}
