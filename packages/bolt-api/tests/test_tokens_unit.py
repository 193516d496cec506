"""Tier one: JWKS keys, revocation stores, token pairs and rotation, the login/refresh/logout
routes — without an engine (the socket suite is tests/test_tokens.py).

The JWKS URL form is served by a local HTTP server in this process (no internet).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import msgspec
import pytest
from bolt_api import BoltAPI
from bolt_api.auth import (
    InMemoryRevocation,
    IsAuthenticated,
    JWTAuthentication,
    JWTAuthViews,
    LoginCredentials,
    RevocationStore,
    TokenRotationError,
    _jwks,
    create_token_pair,
    rotate_refresh_token,
)
from bolt_api.auth._access import access_for
from bolt_api_fakes import FakeRequest, compiled_call
from cryptography.hazmat.primitives.asymmetric import ec, rsa

SECRET = "unit-test-secret-0123456789abcdefghij"
RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC = ec.generate_private_key(ec.SECP256R1())


def jwk(private: Any, kid: str | None, alg: str | None = "RS256", **extra: Any) -> dict[str, Any]:
    if isinstance(private, rsa.RSAPrivateKey):
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    else:
        data = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    if kid is not None:
        data["kid"] = kid
    if alg is not None:
        data["alg"] = alg
    data.update(extra)
    return data


def signed(private: Any, kid: str | None, alg: str = "RS256", **claims: Any) -> str:
    payload = {"sub": "u1", "exp": int(time.time()) + 60, **claims}
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(payload, private, algorithm=alg, headers=headers)


def authed(backend: JWTAuthentication, token: str) -> Any:
    return backend.authenticate(FakeRequest(headers={"authorization": f"Bearer {token}"}))


# -- JWKS, inline ------------------------------------------------------------------------------


def test_an_inline_jwks_verifies_by_kid() -> None:
    backend = JWTAuthentication(jwks={"keys": [jwk(RSA, "a"), jwk(RSA2, "b")]})
    backend.prepare()
    assert backend.algorithms == ("RS256",)
    assert authed(backend, signed(RSA, "a")).user_id == "u1"
    assert authed(backend, signed(RSA2, "b")).user_id == "u1"
    assert authed(backend, signed(RSA2, "a")) is None  # the other key's signature
    assert authed(backend, signed(RSA, "nope")) is None  # unknown kid
    assert authed(backend, signed(RSA, None)) is None  # no kid, two keys


def test_a_single_key_serves_tokens_without_kid() -> None:
    backend = JWTAuthentication(jwks={"keys": [jwk(RSA, "a")]})
    assert authed(backend, signed(RSA, None)) is not None


def test_a_jwk_whose_alg_is_not_allowed_is_refused() -> None:
    document = {"keys": [jwk(RSA, "old", alg="RS512"), jwk(RSA2, "new")]}
    backend = JWTAuthentication(jwks=document, algorithms=["RS256"])
    assert authed(backend, signed(RSA, "old", "RS512")) is None  # RS512 is not allowed
    assert authed(backend, signed(RSA, "old", "RS256")) is None  # the key says RS512 only
    assert authed(backend, signed(RSA2, "new")) is not None


def test_a_jwk_without_alg_serves_the_allowed_algorithms_of_its_key_type() -> None:
    document = {"keys": [jwk(RSA, "r", alg=None), jwk(EC, "e", alg=None)]}
    backend = JWTAuthentication(jwks=document, algorithms=["PS256", "ES256"])
    assert authed(backend, signed(RSA, "r", "PS256")) is not None
    assert authed(backend, signed(EC, "e", "ES256")) is not None
    assert authed(backend, signed(RSA, "e", "PS256")) is None  # an RSA token, the EC key
    assert authed(backend, signed(RSA, "r", "RS256")) is None  # not in the allowlist


def test_symmetric_and_encryption_keys_are_never_used() -> None:
    oct_key = {"kty": "oct", "kid": "s", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}
    document = {"keys": [oct_key, jwk(RSA, "enc", use="enc"), jwk(RSA2, "ok")]}
    backend = JWTAuthentication(jwks=document)
    hs = jwt.encode({"sub": "u", "exp": int(time.time()) + 60}, "x" * 32, headers={"kid": "s"})
    assert authed(backend, hs) is None
    assert authed(backend, signed(RSA, "enc")) is None
    assert authed(backend, signed(RSA2, "ok")) is not None


def test_alg_none_and_hs_confusion_are_refused_with_jwks() -> None:
    backend = JWTAuthentication(jwks={"keys": [jwk(RSA, "a")]})
    unsigned = jwt.encode({"sub": "u", "exp": int(time.time()) + 60}, None, "none")
    assert authed(backend, unsigned) is None
    public = jwt.algorithms.RSAAlgorithm.to_jwk(RSA.public_key())
    forged = jwt.api_jws.PyJWS().encode(
        json.dumps({"sub": "u", "exp": int(time.time()) + 60}).encode(),
        b"x" * 32,
        algorithm="HS256",
        headers={"kid": "a"},
    )
    assert public and authed(backend, forged) is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"jwks": {"keys": []}, "algorithms": ["HS256"]}, "publishes public keys"),
        ({"jwks": {"keys": []}, "public_key": "x"}, "not both"),
        ({"jwks": {"keys": []}, "jwks_url": "http://x"}, "one key source"),
        ({"jwks": {"keys": []}}, "no key"),
        ({"jwks": {"nokeys": 1}}, '"keys" list'),
        ({"jwks_url": "http://x", "jwks_refresh_interval": 0}, "more than 0"),
    ],
)
def test_jwks_options_that_cannot_be_honoured_are_errors(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        JWTAuthentication(**options)


# -- JWKS, from a URL --------------------------------------------------------------------------


class Issuer:
    """A local identity provider: a JWKS document and an OIDC discovery document."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks.json"}
                elif self.path == "/jwks.json":
                    issuer.fetches += 1
                    body = {"keys": list(issuer.keys)}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    server = Issuer()
    yield server
    server.server.shutdown()
    server.server.server_close()


def eventually(check: Any) -> Any:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.01)
    raise AssertionError("never happened")


def test_jwks_url_is_fetched_at_prepare_then_refreshed_on_an_unknown_kid(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_jwks, "MIN_REFRESH_GAP", 0.0)
    issuer.keys = [jwk(RSA, "k1")]
    backend = JWTAuthentication(jwks_url=issuer.url + "/jwks.json")
    assert issuer.fetches == 0  # nothing fetched at construction
    backend.prepare()
    assert issuer.fetches == 1
    assert authed(backend, signed(RSA, "k1")) is not None
    assert issuer.fetches == 1  # cached
    issuer.keys = [jwk(RSA, "k1"), jwk(RSA2, "k2")]  # the provider rotates its keys
    assert authed(backend, signed(RSA2, "k2")) is None  # refused at once: never waits
    eventually(lambda: authed(backend, signed(RSA2, "k2")))
    assert issuer.fetches == 2


def test_unknown_kids_refresh_at_most_once_per_gap(issuer: Issuer) -> None:
    issuer.keys = [jwk(RSA, "k1")]
    backend = JWTAuthentication(jwks_url=issuer.url + "/jwks.json")
    backend.prepare()
    for n in range(20):
        assert authed(backend, signed(RSA, f"made-up-{n}")) is None
    time.sleep(0.2)
    assert issuer.fetches == 2  # one refresh for twenty made-up kids


def test_jwks_url_is_refreshed_on_the_interval(issuer: Issuer) -> None:
    issuer.keys = [jwk(RSA, "k1")]
    backend = JWTAuthentication(jwks_url=issuer.url + "/jwks.json", jwks_refresh_interval=0.05)
    backend.prepare()
    issuer.keys = [jwk(RSA2, "k1")]  # same kid, new key: only the interval notices
    time.sleep(0.1)
    authed(backend, signed(RSA, "k1"))  # stale: asks for a background refresh
    eventually(lambda: authed(backend, signed(RSA2, "k1")))
    assert authed(backend, signed(RSA, "k1")) is None


def test_a_failed_refresh_keeps_the_keys(issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_jwks, "MIN_REFRESH_GAP", 0.0)
    issuer.keys = [jwk(RSA, "k1")]
    backend = JWTAuthentication(jwks_url=issuer.url + "/jwks.json")
    backend.prepare()
    issuer.server.shutdown()
    issuer.server.server_close()
    assert authed(backend, signed(RSA, "other")) is None
    time.sleep(0.2)
    assert authed(backend, signed(RSA, "k1")) is not None


def test_an_unreachable_jwks_url_fails_at_prepare() -> None:
    backend = JWTAuthentication(jwks_url="http://127.0.0.1:9/jwks.json")
    with pytest.raises(jwt.PyJWKClientError):
        backend.prepare()


def test_oidc_issuer_discovers_the_jwks_and_is_the_issuer(issuer: Issuer) -> None:
    issuer.keys = [jwk(RSA, "k1")]
    backend = JWTAuthentication(oidc_issuer=issuer.url)
    backend.prepare()
    assert backend.issuer == issuer.url
    assert authed(backend, signed(RSA, "k1", iss=issuer.url)) is not None
    assert authed(backend, signed(RSA, "k1", iss="https://evil.example")) is None
    assert authed(backend, signed(RSA, "k1")) is None  # no iss


def test_a_discovery_document_for_another_issuer_is_refused(issuer: Issuer) -> None:
    with pytest.raises(ValueError, match="another issuer"):
        JWTAuthentication(oidc_issuer=issuer.url + "/").prepare()


# -- revocation --------------------------------------------------------------------------------


def hs(**claims: Any) -> str:
    payload = {"sub": "u1", "exp": int(time.time()) + 60, **claims}
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, SECRET, "HS256")


def test_a_revoked_jti_does_not_authenticate() -> None:
    store = InMemoryRevocation()
    backend = JWTAuthentication(secret=SECRET, revocation_store=store)
    assert authed(backend, hs(jti="t1")) is not None
    store.revoke("t1", exp=time.time() + 60)
    assert authed(backend, hs(jti="t1")) is None
    assert authed(backend, hs(jti="t2")) is not None
    assert authed(backend, hs()) is not None  # no jti: nothing to check (require_jti=False)


def test_a_revoked_family_does_not_authenticate() -> None:
    store = InMemoryRevocation()
    backend = JWTAuthentication(secret=SECRET, revocation_store=store)
    store.revoke_family("f1")
    assert authed(backend, hs(jti="t1", fam="f1")) is None
    assert authed(backend, hs(jti="t1", fam="f2")) is not None


def test_require_jti() -> None:
    backend = JWTAuthentication(secret=SECRET, require_jti=True)
    assert authed(backend, hs()) is None
    assert authed(backend, hs(jti=7)) is None  # not a string
    assert authed(backend, hs(jti="t")) is not None


def test_revoked_entries_expire_with_their_token() -> None:
    store = InMemoryRevocation()
    store.revoke("t", exp=time.time() - 10)  # kept a second past exp
    assert store.is_revoked("t")
    store._until["t"] = time.time() - 1
    assert not store.is_revoked("t")


def test_consume_is_atomic() -> None:
    store = InMemoryRevocation()
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def spend() -> None:
        barrier.wait()
        results.append(store.consume("r1", exp=time.time() + 60))

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


def test_a_blocking_store_moves_the_check_off_the_engine_thread() -> None:
    class Remote(InMemoryRevocation):
        blocks = True

    quick = JWTAuthentication(secret=SECRET, revocation_store=InMemoryRevocation())
    slow = JWTAuthentication(secret=SECRET, revocation_store=Remote())
    assert not quick.blocks and slow.blocks
    guards = (IsAuthenticated(),)
    quick_stage, slow_stage = access_for((quick,), guards), access_for((slow,), guards)
    assert quick_stage is not None and not quick_stage.blocks
    assert slow_stage is not None and slow_stage.blocks
    api = BoltAPI()

    @api.get("/x", auth=[slow], guards=[IsAuthenticated()])
    def x() -> str:
        return "x"

    (spec,) = [s for s in api.compile().routes if s.path == "/x" and s.method == "GET"]
    assert spec.is_async  # the check and the handler run on the pool


def test_revocation_store_must_be_a_store() -> None:
    with pytest.raises(TypeError, match="RevocationStore"):
        JWTAuthentication(secret=SECRET, revocation_store=set())  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        RevocationStore().is_revoked("x")


def test_orm_store_model_path_is_checked() -> None:
    from bolt_api.auth import DjangoORMRevocation

    with pytest.raises(ValueError, match=r"app_label\.ModelName"):
        DjangoORMRevocation("RevokedToken")


# -- pairs and rotation ------------------------------------------------------------------------


class User:
    pk = 7
    is_active = True
    is_staff = True
    is_superuser = False

    def get_username(self) -> str:
        return "ann"


def decode(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, SECRET, algorithms=["HS256"])
    return claims


def test_a_pair_is_an_access_and_a_refresh_token_of_one_family() -> None:
    pair = create_token_pair(User(), secret=SECRET, access_ttl=60, refresh_ttl=600)
    access, refresh = decode(pair.access_token), decode(pair.refresh_token)
    assert access["token_type"] == "access" and refresh["token_type"] == "refresh"
    assert access["sub"] == refresh["sub"] == "7"
    assert access["fam"] == refresh["fam"] and access["jti"] != refresh["jti"]
    assert access["is_staff"] is True and access["username"] == "ann"
    assert "is_staff" not in refresh
    assert refresh["exp"] - refresh["iat"] == 600 and access["exp"] - access["iat"] == 60
    assert pair.as_dict()["token_type"] == "Bearer"
    assert 0 < pair.as_dict()["expires_in"] <= 60


def test_the_refresh_token_never_passes_as_an_access_token() -> None:
    pair = create_token_pair("7", secret=SECRET)
    backend = JWTAuthentication(secret=SECRET, revocation_store=InMemoryRevocation())
    assert authed(backend, pair.access_token) is not None
    assert authed(backend, pair.refresh_token) is None


def test_reserved_claims_and_bad_lifetimes_are_errors() -> None:
    with pytest.raises(ValueError, match="token_type"):
        create_token_pair("7", secret=SECRET, claims={"token_type": "access"})
    with pytest.raises(ValueError, match="more than 0"):
        create_token_pair("7", secret=SECRET, access_ttl=0)
    with pytest.raises(ValueError, match="32 or more"):
        create_token_pair("7", secret="short")


def test_rotation_gives_a_new_pair_of_the_family() -> None:
    store = InMemoryRevocation()
    first = create_token_pair("7", secret=SECRET)
    second = rotate_refresh_token(first.refresh_claims, store=store, secret=SECRET)
    assert second.refresh_claims["fam"] == first.refresh_claims["fam"]
    assert second.refresh_claims["jti"] != first.refresh_claims["jti"]
    third = rotate_refresh_token(second.refresh_claims, store=store, secret=SECRET)
    assert third.access_claims["fam"] == first.access_claims["fam"]


def test_a_reused_refresh_token_revokes_the_family() -> None:
    store = InMemoryRevocation()
    backend = JWTAuthentication(secret=SECRET, revocation_store=store)
    first = create_token_pair("7", secret=SECRET)
    second = rotate_refresh_token(first.refresh_claims, store=store, secret=SECRET)
    assert authed(backend, second.access_token) is not None
    with pytest.raises(TokenRotationError, match="used before"):
        rotate_refresh_token(first.refresh_claims, store=store, secret=SECRET)  # the thief
    # the legitimate holder's newer refresh token is dead too, and so are the access tokens
    with pytest.raises(TokenRotationError, match="family was revoked"):
        rotate_refresh_token(second.refresh_claims, store=store, secret=SECRET)
    assert authed(backend, second.access_token) is None
    other = create_token_pair("7", secret=SECRET)  # another login is another family
    assert authed(backend, other.access_token) is not None


@pytest.mark.parametrize(
    "claims",
    [
        {"fam": "f", "sub": "7", "exp": 1, "token_type": "refresh"},
        {"jti": "j", "sub": "7", "exp": 1, "token_type": "refresh"},
        {"jti": "j", "fam": "f", "exp": 1, "token_type": "refresh"},
        {"jti": "j", "fam": "f", "sub": "7", "exp": 1, "token_type": "access"},
        {"jti": "j", "fam": "f", "sub": "7", "token_type": "refresh"},
    ],
)
def test_malformed_refresh_claims_do_not_rotate(claims: dict[str, Any]) -> None:
    with pytest.raises(TokenRotationError):
        rotate_refresh_token(claims, store=InMemoryRevocation(), secret=SECRET)


# -- the routes --------------------------------------------------------------------------------


def post(api: BoltAPI, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    call = compiled_call(api, "POST", path)
    request = FakeRequest(
        "POST", path, body=msgspec.json.encode(body), headers={"content-type": "application/json"}
    )
    status, _, out = call(request)
    return status, (msgspec.json.decode(out) if out else None)


def views_api() -> tuple[BoltAPI, JWTAuthViews, InMemoryRevocation]:
    store = InMemoryRevocation()
    users = {"ann": User()}
    views = JWTAuthViews(
        store=store,
        secret=SECRET,
        credential_validator=lambda c: users.get(c.username) if c.password == "pw" else None,
        user_loader=lambda sub: next((u for u in users.values() if str(u.pk) == sub), None),
    )
    api = BoltAPI(auth=[views.authentication()], guards=[IsAuthenticated()])
    views.register(api)

    @api.get("/me")
    def me(request: Any) -> str:
        return str(request.state["auth"].user_id)

    return api, views, store


def get_me(api: BoltAPI, access: str) -> int:
    call = compiled_call(api, "GET", "/me")
    status: int = call(FakeRequest("GET", "/me", headers={"authorization": f"Bearer {access}"}))[0]
    return status


def test_login_refresh_logout() -> None:
    api, _, _ = views_api()
    assert post(api, "/auth/login", {"username": "ann", "password": "no"}) == (
        401,
        {"detail": "Invalid credentials"},
    )
    status, tokens = post(api, "/auth/login", {"username": "ann", "password": "pw"})
    assert status == 200 and tokens["token_type"] == "Bearer"
    assert get_me(api, tokens["access_token"]) == 200
    assert get_me(api, tokens["refresh_token"]) == 401  # refresh used as access
    status, rotated = post(api, "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert status == 200 and rotated["refresh_token"] != tokens["refresh_token"]
    assert post(api, "/auth/refresh", {"refresh_token": tokens["access_token"]})[0] == 401
    assert post(api, "/auth/logout", {"refresh_token": rotated["refresh_token"]}) == (204, None)
    assert get_me(api, rotated["access_token"]) == 401  # the family is revoked
    assert post(api, "/auth/refresh", {"refresh_token": rotated["refresh_token"]})[0] == 401


def test_reuse_through_the_routes_revokes_the_family() -> None:
    api, _, _ = views_api()
    _, tokens = post(api, "/auth/login", {"username": "ann", "password": "pw"})
    _, rotated = post(api, "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert post(api, "/auth/refresh", {"refresh_token": tokens["refresh_token"]}) == (
        401,
        {"detail": "Invalid token"},
    )
    assert post(api, "/auth/refresh", {"refresh_token": rotated["refresh_token"]})[0] == 401
    assert get_me(api, rotated["access_token"]) == 401


def test_the_routes_need_no_credentials_of_the_api() -> None:
    api, views, _ = views_api()
    sources = {r.template.source for r in api.routes}
    assert {"/auth/login", "/auth/refresh", "/auth/logout"} <= sources
    from bolt_api import Router

    router = Router(prefix="/v1")
    views.register(router)
    api2 = BoltAPI()
    api2.include_router(router)
    assert {r.template.source for r in api2.routes} == {
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/logout",
    }
    assert isinstance(LoginCredentials(username="a", password="b"), msgspec.Struct)


def test_views_store_must_be_a_store() -> None:
    with pytest.raises(TypeError, match="RevocationStore"):
        JWTAuthViews(store=None)  # type: ignore[arg-type]


def test_the_routes_in_the_openapi_document() -> None:
    from bolt_api.openapi import build_openapi_schema
    from openapi_spec_validator import validate

    api, _, _ = views_api()
    spec = build_openapi_schema(api)
    validate(spec)
    for path in ("/auth/login", "/auth/refresh", "/auth/logout"):
        operation = spec["paths"][path]["post"]
        assert operation["tags"] == ["auth"]
        assert "security" not in operation or operation["security"] == []  # open to anyone
    assert "security" in spec["paths"]["/me"]["get"]
