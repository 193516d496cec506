"""Token lifecycles over real HTTP, on both engines (tests/apps/tokens_app.py: Django's auth
on a throw-away sqlite file, ``JWTAuthViews`` on three revocation stores, a JWKS backend).

The security table's token rows: a revoked token, a refresh token used as an access token,
a reused refresh token (its family revoked), a token after logout, a JWKS key whose ``alg``
is not allowed, an unknown ``kid`` (refused, then accepted once the key is published and the
background refresh has fetched it). The JWKS document is served by this process on a local
port; the app is never imported here (it configures Django).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .conftest import Server, start_server

SECRET = "tokens-test-secret-key-0123456789abcdef"  # the app's SECRET_KEY
STORES = ["memory", "cache", "orm"]
UNAUTHENTICATED = {"detail": "Authentication required"}

RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_NEW = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC = ec.generate_private_key(ec.SECP256R1())


def jwk(private: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = jwt.algorithms.RSAAlgorithm if alg[0] in "RP" else jwt.algorithms.ECAlgorithm
    data: dict[str, Any] = json.loads(algorithm.to_jwk(private.public_key()))
    return {**data, "kid": kid, "alg": alg, "use": "sig"}


class JWKSServer:
    """The identity provider's JWKS document, which a test may change."""

    def __init__(self) -> None:
        self.keys = [jwk(RSA, "rsa-1", "RS256"), jwk(EC, "ec-1", "ES256")]
        self.keys.append(jwk(RSA, "rsa-512", "RS512"))  # published, but not allowed
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = json.dumps({"keys": owner.keys}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/jwks.json"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def jwks() -> Iterator[JWKSServer]:
    server = JWKSServer()
    yield server
    server.http.shutdown()
    server.http.server_close()


@pytest.fixture(scope="module")
def tokens_server(
    engine: str, jwks: JWKSServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    db = tmp_path_factory.mktemp(f"tokens-{engine}") / "db.sqlite3"
    srv = start_server(
        ["-m", "bolt_api", "serve", "tests.apps.tokens_app:api", "--engine", engine, "--port", "0"],
        engine,
        env={"BOLT_TEST_SQLITE": str(db), "BOLT_TEST_JWKS_URL": jwks.url},
    )
    yield srv
    srv.stop()


@pytest.fixture
def c(tokens_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tokens_server.url, timeout=10.0) as client:
        yield client


def login(c: httpx.Client, store: str, username: str = "ann") -> dict[str, Any]:
    assert c.post(f"/_user/{username}").status_code == 200
    r = c.post(f"/{store}/auth/login", json={"username": username, "password": "pw"})
    assert r.status_code == 200, r.text
    tokens: dict[str, Any] = r.json()
    return tokens


def me(c: httpx.Client, store: str, token: str, suffix: str = "") -> httpx.Response:
    return c.get(f"/{store}/me{suffix}", headers={"authorization": f"Bearer {token}"})


def refresh(c: httpx.Client, store: str, token: str) -> httpx.Response:
    return c.post(f"/{store}/auth/refresh", json={"refresh_token": token})


def assert_unauthenticated(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.json() in (UNAUTHENTICATED, {"detail": "Invalid token"})


@pytest.mark.parametrize("store", STORES)
def test_login_gives_a_pair_whose_access_token_authenticates(c: httpx.Client, store: str) -> None:
    tokens = login(c, store)
    assert tokens["token_type"] == "Bearer" and 0 < tokens["expires_in"] <= 900
    for suffix in ("", "/async"):
        r = me(c, store, tokens["access_token"], suffix)
        assert r.status_code == 200, r.text
        assert r.json()["username"] == "ann"


@pytest.mark.parametrize("store", STORES)
def test_bad_credentials_and_inactive_users_get_one_401(c: httpx.Client, store: str) -> None:
    assert c.post("/_user/ann").status_code == 200
    assert c.post("/_user/gone", params={"active": "false"}).status_code == 200
    for body in (
        {"username": "ann", "password": "wrong"},
        {"username": "nobody", "password": "pw"},
        {"username": "gone", "password": "pw"},
    ):
        r = c.post(f"/{store}/auth/login", json=body)
        assert (r.status_code, r.json()) == (401, {"detail": "Invalid credentials"})


@pytest.mark.parametrize("store", STORES)
def test_a_revoked_token_is_401(c: httpx.Client, store: str) -> None:
    tokens = login(c, store)
    jti = jwt.decode(tokens["access_token"], SECRET, algorithms=["HS256"])["jti"]
    assert c.post(f"/{store}/_revoke/{jti}").status_code == 204
    for suffix in ("", "/async"):
        assert_unauthenticated(me(c, store, tokens["access_token"], suffix))
    assert me(c, store, login(c, store)["access_token"]).status_code == 200  # another token


@pytest.mark.parametrize("store", STORES)
def test_a_refresh_token_used_as_an_access_token_is_401(c: httpx.Client, store: str) -> None:
    tokens = login(c, store)
    assert_unauthenticated(me(c, store, tokens["refresh_token"]))
    assert_unauthenticated(refresh(c, store, tokens["access_token"]))  # nor the reverse


@pytest.mark.parametrize("store", STORES)
def test_refresh_rotates(c: httpx.Client, store: str) -> None:
    tokens = login(c, store)
    r = refresh(c, store, tokens["refresh_token"])
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert me(c, store, rotated["access_token"]).status_code == 200
    assert refresh(c, store, rotated["refresh_token"]).status_code == 200


@pytest.mark.parametrize("store", STORES)
def test_a_reused_refresh_token_revokes_the_family(c: httpx.Client, store: str) -> None:
    tokens = login(c, store)
    rotated = refresh(c, store, tokens["refresh_token"]).json()
    assert me(c, store, rotated["access_token"]).status_code == 200
    assert_unauthenticated(refresh(c, store, tokens["refresh_token"]))  # the second use
    assert_unauthenticated(refresh(c, store, rotated["refresh_token"]))  # the family is dead
    assert_unauthenticated(me(c, store, rotated["access_token"]))
    assert me(c, store, login(c, store)["access_token"]).status_code == 200  # a new login


@pytest.mark.parametrize("store", STORES)
def test_logout_ends_the_family(c: httpx.Client, store: str) -> None:
    tokens = login(c, store)
    r = c.post(f"/{store}/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 204, r.text
    assert_unauthenticated(me(c, store, tokens["access_token"]))
    assert_unauthenticated(refresh(c, store, tokens["refresh_token"]))


def test_stores_are_separate(c: httpx.Client) -> None:
    """The memory store's tokens are signed with the same key: a revocation in one store
    does not reach the others (each API picks its store)."""
    tokens = login(c, "memory")
    c.post("/memory/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert me(c, "cache", tokens["access_token"]).status_code == 200


# -- JWKS --------------------------------------------------------------------------------------


def jwks_token(private: Any, kid: str, alg: str, **claims: Any) -> str:
    payload = {"sub": "idp-user", "aud": "tokens-test", "exp": int(time.time()) + 60, **claims}
    return jwt.encode(payload, private, algorithm=alg, headers={"kid": kid})


def jwks_me(c: httpx.Client, token: str) -> httpx.Response:
    return c.get("/jwks/me", headers={"authorization": f"Bearer {token}"})


def test_jwks_keys_verify_by_kid(c: httpx.Client) -> None:
    for private, kid, alg in ((RSA, "rsa-1", "RS256"), (EC, "ec-1", "ES256")):
        r = jwks_me(c, jwks_token(private, kid, alg))
        assert (r.status_code, r.json()["user_id"]) == (200, "idp-user")
    assert_unauthenticated(jwks_me(c, jwks_token(RSA, "rsa-1", "RS256", aud="other")))
    assert_unauthenticated(jwks_me(c, jwks_token(RSA_NEW, "rsa-1", "RS256")))  # wrong key


def test_a_jwks_key_with_a_disallowed_alg_is_refused(c: httpx.Client) -> None:
    assert_unauthenticated(jwks_me(c, jwks_token(RSA, "rsa-512", "RS512")))
    assert_unauthenticated(jwks_me(c, jwks_token(RSA, "rsa-512", "RS256")))


def test_an_unknown_kid_is_refused_until_the_key_is_published(
    c: httpx.Client, jwks: JWKSServer
) -> None:
    kid = f"rsa-{uuid.uuid4().hex}"  # new on each engine: the document is shared
    token = jwks_token(RSA_NEW, kid, "RS256")
    assert_unauthenticated(jwks_me(c, token))
    jwks.keys = [*jwks.keys, jwk(RSA_NEW, kid, "RS256")]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = jwks_me(c, token)
        if r.status_code == 200:
            break
        assert r.status_code == 401
        time.sleep(0.05)
    assert r.status_code == 200, "the new key was never fetched"
    assert jwks_me(c, jwks_token(RSA, "rsa-1", "RS256")).status_code == 200  # old keys too
