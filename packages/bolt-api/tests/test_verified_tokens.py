"""``JWTAuthentication`` verifies a token's signature once, then remembers it
(``bolt_api.auth._verified``): what may and may not be remembered."""

from __future__ import annotations

import math
import time
from typing import Any

import jwt
import msgspec
import pytest
from bolt_api.auth import AuthContext, InMemoryRevocation, JWTAuthentication
from bolt_api.auth._verified import MAX_TOKEN_LENGTH, VerifiedToken, VerifiedTokens
from bolt_api_fakes import FakeRequest

SECRET = "verified-tokens-test-secret-0123456789abcdef"


def token(**claims: Any) -> str:
    payload = {"sub": "u1", "exp": int(time.time()) + 600, **claims}
    return jwt.encode(payload, SECRET, algorithm="HS256")


def request(raw: str) -> FakeRequest:
    return FakeRequest(headers={"authorization": f"Bearer {raw}"})


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens PyJWT is asked to verify."""
    seen: list[str] = []
    real = jwt.decode

    def counting(raw: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(raw)
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return seen


def test_a_token_is_verified_once(decodes: list[str]) -> None:
    backend = JWTAuthentication(secret=SECRET)
    raw = token(perms=1)
    first = backend.authenticate(request(raw))
    second = backend.authenticate(request(raw))
    assert isinstance(first, AuthContext) and first.user_id == "u1"
    assert second is first
    assert decodes == [raw]


def test_a_bad_token_is_never_remembered(decodes: list[str]) -> None:
    backend = JWTAuthentication(secret=SECRET)
    forged = jwt.encode({"sub": "admin", "exp": int(time.time()) + 600}, "x" * 40, "HS256")
    assert backend.authenticate(request(forged)) is None
    assert backend.authenticate(request(forged)) is None
    assert decodes == [forged, forged]
    assert backend._verified is not None and len(backend._verified) == 0


def test_revocation_is_asked_on_every_request() -> None:
    store = InMemoryRevocation()
    backend = JWTAuthentication(secret=SECRET, revocation_store=store)
    raw = token(jti="j1")
    assert backend.authenticate(request(raw)) is not None
    store.revoke("j1", exp=time.time() + 600)
    assert backend.authenticate(request(raw)) is None


def test_the_time_window_follows_pyjwt_with_the_leeway() -> None:
    ctx = AuthContext(user_id="u", backend="jwt")
    entry = VerifiedToken({"exp": 1000, "nbf": 500, "iat": 400}, ctx, leeway=10)
    assert (entry.not_before, entry.not_after) == (490, 1010)
    assert entry.valid_at(490) and entry.valid_at(1009.9)
    assert not entry.valid_at(489.9) and not entry.valid_at(1010)
    forever = VerifiedToken({}, ctx, leeway=0)
    assert (forever.not_before, forever.not_after) == (-math.inf, math.inf)
    assert VerifiedToken({"exp": True}, ctx, 0).not_after == math.inf  # bools are not times


def test_an_expired_entry_is_dropped_and_verified_again() -> None:
    store = VerifiedTokens()
    ctx = AuthContext(user_id="u", backend="jwt")
    store.put("t", VerifiedToken({"exp": 100}, ctx, leeway=0))
    assert store.get("t", 99) is not None
    assert store.get("t", 100) is None
    assert len(store) == 0


def test_an_expired_token_is_refused_even_when_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = JWTAuthentication(secret=SECRET, leeway=0)
    raw = token(exp=int(time.time()) + 30)
    assert backend.authenticate(request(raw)) is not None
    later = time.time() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    # the entry is out of its window: PyJWT decides again (on its own clock, here still valid),
    # so ask the store directly for what it would answer
    assert backend._verified is not None and backend._verified.get(raw, later) is None


def test_the_store_is_bounded() -> None:
    store = VerifiedTokens(max_tokens=3)
    ctx = AuthContext(user_id="u", backend="jwt")
    for i in range(5):
        store.put(f"t{i}", VerifiedToken({}, ctx, 0))
    assert len(store) == 3
    assert store.get("t0", 0) is None and store.get("t4", 0) is not None
    store.put("x" * (MAX_TOKEN_LENGTH + 1), VerifiedToken({}, ctx, 0))
    assert len(store) == 3


def test_shared_claims_are_read_only_but_encode_as_json() -> None:
    backend = JWTAuthentication(secret=SECRET)
    ctx = backend.authenticate(request(token(tier="gold")))
    assert ctx is not None
    with pytest.raises(TypeError, match="read-only"):
        ctx.claims["tier"] = "platinum"  # type: ignore[index]
    assert msgspec.json.decode(msgspec.json.encode(ctx.claims))["tier"] == "gold"
    assert dict(ctx.claims)["tier"] == "gold"


def test_jwks_backends_remember_nothing() -> None:
    backend = JWTAuthentication(jwks={"keys": [{"kty": "RSA", "n": "sXch", "e": "AQAB"}]})
    assert backend._verified is None
