"""Verification keys from a JWKS document (RFC 7517), for ``JWTAuthentication(jwks=...,
jwks_url=..., oidc_issuer=...)``.

Where the fetch runs: the access check of a sync route runs in place on the engine's thread
(the event loop itself, on the Python engine), so a request never waits on the network.
The document is fetched once when the API compiles (``prepare()``: a start-up that cannot
reach the identity provider fails loudly, like a missing ``SECRET_KEY``); after that a
background thread refreshes it every ``refresh_interval`` seconds (when a request finds the
copy stale) and when a token names a ``kid`` the copy does not have — at most once every
:data:`MIN_REFRESH_GAP` seconds, so tokens with made-up ``kid`` values cannot make the server
hammer the identity provider. The request that brought the unknown ``kid`` is refused (it
cannot wait); once the refresh lands, the next one with that key passes. A failed refresh
keeps the previous keys.

A key is used only for the algorithms the backend allows: a JWK whose ``alg`` is not in the
allowlist is refused, a JWK without ``alg`` serves only the allowed algorithms of its key
type (RSA: RS*/PS*, EC: the ES* of its curve, OKP: EdDSA), and symmetric (``oct``) keys and
encryption keys (``use: enc``) are never used.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Mapping
from typing import Any

__all__ = ["JWKSKeys", "discover_jwks_url"]

logger = logging.getLogger("bolt_api.auth")

#: The shortest time between two refreshes triggered by unknown ``kid`` values.
MIN_REFRESH_GAP = 5.0
#: Seconds a fetch of the JWKS document (or the OIDC discovery document) may take.
FETCH_TIMEOUT = 10.0

_EC_CURVES = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}


def _fits(jwk: Mapping[str, Any], alg: str) -> bool:
    """Whether a JWK without an ``alg`` member can verify ``alg`` (by its key type)."""
    kty = jwk.get("kty")
    if kty == "RSA":
        return alg[:2] in ("RS", "PS")
    if kty == "EC":
        return _EC_CURVES.get(str(jwk.get("crv"))) == alg
    if kty == "OKP":
        return alg == "EdDSA" and jwk.get("crv") in ("Ed25519", "Ed448")
    return False


class _Key:
    """One usable JWK: its verification key and the algorithms it may verify."""

    __slots__ = ("algorithms", "key")

    def __init__(self, key: Any, algorithms: frozenset[str]) -> None:
        self.key = key
        self.algorithms = algorithms


def parse_jwks(document: Any, allowed: tuple[str, ...]) -> dict[str | None, _Key]:
    """The usable keys of a JWKS document by ``kid`` (``None``: a key without one)."""
    import jwt

    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError('a JWKS document is a JSON object with a "keys" list')
    keys: dict[str | None, _Key] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, Mapping) or jwk.get("kty") == "oct":
            continue  # a shared secret never comes from a published document
        if jwk.get("use", "sig") != "sig":
            continue
        declared = jwk.get("alg")
        if declared is not None:
            algorithms = frozenset({str(declared)} & set(allowed))
        else:
            algorithms = frozenset(a for a in allowed if _fits(jwk, a))
        try:
            key = jwt.PyJWK(dict(jwk), declared or (min(algorithms) if algorithms else None))
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            algorithms, key = frozenset(), None  # unusable (unknown kty or curve, bad values)
        kid = jwk.get("kid")
        # a key kept with no algorithm refuses its tokens without asking for a refresh
        keys[None if kid is None else str(kid)] = _Key(None if key is None else key.key, algorithms)
    return keys


def _fetch_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
        return json.load(response)


def discover_jwks_url(issuer: str) -> str:
    """``jwks_uri`` from the issuer's OpenID Connect discovery document, whose ``issuer``
    must be ``issuer`` itself (OpenID Connect Discovery 1.0 §4.3)."""
    config = _fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    if not isinstance(config, Mapping) or config.get("issuer") != issuer:
        raise ValueError(f"the discovery document of {issuer!r} names another issuer")
    url = config.get("jwks_uri")
    if not isinstance(url, str) or not url:
        raise ValueError(f"the discovery document of {issuer!r} has no jwks_uri")
    return url


class JWKSKeys:
    """A JWKS document's keys: inline (``document``) or fetched from ``url`` with PyJWT's
    ``PyJWKClient``, cached, refreshed in the background (see the module's docstring)."""

    def __init__(
        self,
        allowed: tuple[str, ...],
        *,
        url: str | None = None,
        document: Mapping[str, Any] | None = None,
        refresh_interval: float = 300,
    ) -> None:
        self.allowed = allowed
        self.url = url
        self.refresh_interval = refresh_interval
        self._keys: dict[str | None, _Key] = {}
        self._fetched = 0.0
        self._last_try = 0.0
        self._refreshing = False
        self._lock = threading.Lock()
        if document is not None:
            self._keys = parse_jwks(document, allowed)

    def load(self) -> None:
        """Fetch the document now, if it comes from a URL and was not fetched yet (called
        when the API compiles: blocking is fine then)."""
        if self.url is not None and not self._fetched:
            self.refresh()

    def refresh(self) -> None:
        """Fetch and parse the document (blocking); the keys are swapped in whole."""
        import jwt

        assert self.url is not None
        client = jwt.PyJWKClient(self.url, cache_jwk_set=False, timeout=int(FETCH_TIMEOUT))
        self._keys = parse_jwks(client.fetch_data(), self.allowed)
        self._fetched = time.monotonic()

    def _refresh_in_background(self) -> None:
        try:
            self.refresh()
        except Exception as exc:
            logger.warning("refreshing the JWKS document %s failed: %s", self.url, exc)
        finally:
            self._refreshing = False

    def _trigger(self, now: float, unknown_kid: bool) -> None:
        if self.url is None or self._refreshing:
            return
        if unknown_kid and now - self._last_try < MIN_REFRESH_GAP:
            return
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
            self._last_try = now
        threading.Thread(
            target=self._refresh_in_background, name="bolt-jwks-refresh", daemon=True
        ).start()

    def key_for(self, kid: Any, alg: str) -> Any:
        """The key that verifies a token with this header's ``kid`` and ``alg``, or ``None``
        (unknown ``kid``: a background refresh is asked for; a key not for ``alg``)."""
        now = time.monotonic()
        if self.url is not None and now - self._fetched > self.refresh_interval:
            self._trigger(now, unknown_kid=False)
        keys = self._keys
        found: _Key | None
        if kid is None and len(keys) == 1:  # one key: a token need not name it
            found = next(iter(keys.values()))
        else:
            found = keys.get(kid if isinstance(kid, str) else None)
        if found is None:
            self._trigger(now, unknown_kid=True)
            return None
        if alg not in found.algorithms:
            return None
        return found.key
