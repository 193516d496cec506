"""Authentication and guards over real HTTP, on both engines (tests/apps/secure.py).

The security table: valid, missing, expired, not yet valid, wrong audience and issuer,
tampered, ``alg: none``, HS/RS confusion and refresh-as-access tokens; API keys; each guard's
401/403 with django-bolt's bodies; custom sync and async guards; routers, views, viewsets and
actions enforcing theirs; ``auth=[]`` opting out; the OpenAPI security schemes.

The RS256 key pair is made here, once per session: the server gets the public key through
its environment (``BOLT_TEST_RSA_PUBLIC_KEY``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from openapi_spec_validator import validate

from .conftest import Server, start_server

_PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = _PRIVATE.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
)
PUBLIC_PEM = _PRIVATE.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
os.environ["BOLT_TEST_RSA_PUBLIC_KEY"] = PUBLIC_PEM.decode()
secure = importlib.import_module("tests.apps.secure")

UNAUTHENTICATED = {"detail": "Authentication required"}
DENIED = {"detail": "Permission denied"}


@pytest.fixture(scope="module")
def secure_server(engine: str) -> Iterator[Server]:
    srv = start_server(
        ["-m", "bolt_api", "serve", "tests.apps.secure:api", "--engine", engine, "--port", "0"],
        engine,
    )
    yield srv
    srv.stop()


@pytest.fixture
def c(secure_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=secure_server.url, timeout=10.0) as client:
        yield client


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "42",
        "exp": now + 600,
        "iat": now,
        "aud": secure.AUDIENCE,
        "iss": secure.ISSUER,
        "token_type": "access",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), secure.SECRET, algorithm="HS256")


def rs(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), PRIVATE_PEM, algorithm="RS256")


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict[str, Any], payload: dict[str, Any], key: bytes | None) -> str:
    """A token signed (or not) by hand, as an attacker would make it."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = b""
    if key is not None:
        signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def tampered(token: str, part: int) -> str:
    """``token`` with one character in the middle of its ``part`` changed (not the last one,
    whose low bits base64 may drop)."""
    parts = token.split(".")
    text = parts[part]
    middle = len(text) // 2
    parts[part] = text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]
    return ".".join(parts)


def assert_unauthenticated(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.json() == UNAUTHENTICATED
    assert r.headers["www-authenticate"].startswith("Bearer")


# -- JWT: the security table ------------------------------------------------------------------


def test_a_valid_token_reaches_the_handler(c: httpx.Client) -> None:
    for path in ("/me", "/me/async"):
        r = c.get(path, headers=bearer(hs(permissions=["x"])))
        assert r.status_code == 200, r.text
        assert r.json() == {"user_id": "42", "backend": "jwt", "permissions": ["x"]}


def test_no_token_is_401_with_a_challenge(c: httpx.Client) -> None:
    for path in ("/me", "/me/async"):
        assert_unauthenticated(c.get(path))
    assert_unauthenticated(c.get("/me", headers={"authorization": "Basic dTpw"}))
    assert_unauthenticated(c.get("/me", headers={"authorization": "Bearer"}))


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: hs(exp=int(time.time()) - 60), id="expired"),
        pytest.param(lambda: hs(nbf=int(time.time()) + 600), id="not-yet-valid"),
        pytest.param(lambda: hs(aud="another-api"), id="wrong-audience"),
        pytest.param(lambda: hs(aud=None), id="no-audience"),
        pytest.param(lambda: hs(iss="https://evil.example"), id="wrong-issuer"),
        pytest.param(lambda: hs(exp=None), id="no-expiry"),
        pytest.param(lambda: hs(token_type="refresh"), id="refresh-as-access"),
        pytest.param(
            lambda: jwt.encode(claims(), "another-secret-0123456789abcdefghij", algorithm="HS256"),
            id="wrong-secret",
        ),
        pytest.param(lambda: tampered(hs(), 2), id="tampered-signature"),
        pytest.param(lambda: tampered(hs(), 1), id="tampered-payload"),
        pytest.param(lambda: forged({"alg": "none", "typ": "JWT"}, claims(), None), id="alg-none"),
        pytest.param(lambda: forged({"alg": "None", "typ": "JWT"}, claims(), None), id="alg-None"),
        pytest.param(lambda: rs(), id="rs256-to-an-hs-route"),
        pytest.param(lambda: "not-a-jwt", id="garbage"),
    ],
)
def test_bad_tokens_are_refused(c: httpx.Client, token: Any) -> None:
    assert_unauthenticated(c.get("/me", headers=bearer(token())))
    assert c.get("/optional", headers=bearer(token())).json() == {"user_id": None}


def test_rs256_and_the_hs_rs_confusion(c: httpx.Client) -> None:
    r = c.get("/rs", headers=bearer(rs(aud=None, iss=None)))
    assert r.status_code == 200, r.text
    assert r.json()["user_id"] == "42"
    # the attack: an HS256 token whose "secret" is the server's public key
    confused = forged({"alg": "HS256", "typ": "JWT"}, claims(aud=None, iss=None), PUBLIC_PEM)
    assert_unauthenticated(c.get("/rs", headers=bearer(confused)))
    assert_unauthenticated(c.get("/me", headers=bearer(confused)))
    assert_unauthenticated(c.get("/rs", headers=bearer(hs())))


def test_authentication_runs_before_the_body_is_bound(c: httpx.Client) -> None:
    assert_unauthenticated(c.post("/items", content=b"{not json"))
    r = c.post("/items", content=b"{not json", headers=bearer(hs()))
    assert r.status_code == 422
    r = c.post("/items", json={"name": "lamp", "price": 2}, headers=bearer(hs()))
    assert (r.status_code, r.json()) == (200, {"name": "lamp"})


def test_the_cookie_and_its_origin_check(c: httpx.Client, secure_server: Server) -> None:
    c.cookies.set("access_token", hs())
    origin = secure_server.url
    r = c.post("/cookie", headers={"origin": origin})
    assert (r.status_code, r.json()["user_id"]) == (200, "42")
    assert_unauthenticated(c.post("/cookie"))  # no Origin: a cross-site form could do this
    assert_unauthenticated(c.post("/cookie", headers={"origin": "https://evil.example"}))
    assert c.get("/me").status_code == 200  # a safe method needs no origin check
    c.cookies.clear()
    # a header token needs no origin check: a browser never sends one on its own
    assert c.post("/cookie", headers=bearer(hs())).status_code == 200


def test_optional_authentication(c: httpx.Client) -> None:
    assert c.get("/optional").json() == {"user_id": None}
    assert c.get("/optional", headers=bearer(hs())).json()["user_id"] == "42"


# -- API keys ---------------------------------------------------------------------------------


def test_api_keys_and_their_permissions(c: httpx.Client) -> None:
    r = c.get("/key", headers={"x-api-key": secure.READ_KEY})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "user_id": f"apikey:{secure.READ_KEY}",
        "backend": "api_key",
        "permissions": ["items.read"],
    }
    assert c.get("/key", headers={"x-api-key": f"ApiKey {secure.READ_KEY}"}).status_code == 200
    r = c.get("/key", headers={"x-api-key": secure.READ_KEY[:-1] + "x"})
    assert r.status_code == 401 and r.json() == UNAUTHENTICATED
    assert 'ApiKey header="x-api-key"' in r.headers["www-authenticate"]
    assert c.get("/key").status_code == 401
    r = c.post("/key", headers={"x-api-key": secure.READ_KEY})
    assert (r.status_code, r.json()) == (403, DENIED)
    assert c.post("/key", headers={"x-api-key": secure.ADMIN_KEY}).status_code == 200


def test_either_backend_may_authenticate(c: httpx.Client) -> None:
    assert c.get("/either", headers=bearer(hs())).json()["backend"] == "jwt"
    assert c.get("/either", headers={"x-api-key": secure.READ_KEY}).json()["backend"] == "api_key"
    r = c.get("/either")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer, ApiKey header="x-api-key"'


# -- guards -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed", "refused"),
    [
        ("/staff", {"is_staff": True}, {"is_staff": False}),
        ("/admin", {"is_superuser": True}, {"is_staff": True}),
        ("/perm/any", {"permissions": ["b"]}, {"permissions": ["c"]}),
        ("/perm/all", {"permissions": ["a", "b"]}, {"permissions": ["a"]}),
        ("/editors", {"role": "editor"}, {"role": "viewer"}),
        ("/custom/async", {"tier": "gold"}, {"tier": "silver"}),
    ],
)
def test_guards_allow_and_refuse(
    c: httpx.Client, path: str, allowed: dict[str, Any], refused: dict[str, Any]
) -> None:
    assert c.get(path, headers=bearer(hs(**allowed))).status_code == 200
    r = c.get(path, headers=bearer(hs(**refused)))
    assert r.status_code == 403
    assert r.json() == ({"detail": "Editors only"} if path == "/editors" else DENIED)
    assert "www-authenticate" not in r.headers
    assert_unauthenticated(c.get(path))


def test_a_custom_sync_guard_reads_the_request(c: httpx.Client) -> None:
    token = bearer(hs())
    assert c.get("/custom/sync", headers={**token, "x-allow": "yes"}).status_code == 200
    r = c.get("/custom/sync", headers={**token, "x-allow": "no"})
    assert (r.status_code, r.json()) == (403, DENIED)
    assert_unauthenticated(c.get("/custom/sync", headers={"x-allow": "yes"}))


# -- routers, views, viewsets, opting out -----------------------------------------------------


def test_a_routers_auth_and_guards_and_a_routes_own(c: httpx.Client) -> None:
    read, admin = {"x-api-key": secure.READ_KEY}, {"x-api-key": secure.ADMIN_KEY}
    assert c.get("/router/write", headers=read).status_code == 403
    assert c.get("/router/write", headers=admin).status_code == 200
    assert c.get("/router/read", headers=read).status_code == 200
    assert c.get("/router/read", headers=bearer(hs())).status_code == 401  # the router's backend


def test_view_guards_are_enforced(c: httpx.Client) -> None:
    assert_unauthenticated(c.get("/view"))
    assert c.get("/view", headers=bearer(hs())).status_code == 403
    r = c.get("/view", headers=bearer(hs(is_staff=True)))
    assert (r.status_code, r.json()["user_id"]) == (200, "42")
    assert c.get("/view/open").text == "open view"


def test_viewset_and_action_guards_are_enforced(c: httpx.Client) -> None:
    read, admin = {"x-api-key": secure.READ_KEY}, {"x-api-key": secure.ADMIN_KEY}
    assert c.get("/notes").status_code == 401
    assert c.get("/notes", headers=bearer(hs())).status_code == 401  # the viewset's backend
    assert c.get("/notes", headers=read).json() == ["a", "b"]
    assert c.get("/notes/3", headers=read).json() == {"id": 3}
    assert c.post("/notes/3/archive", headers=read).status_code == 403
    assert c.post("/notes/3/archive", headers=admin).json() == {"archived": 3}
    assert c.get("/notes/count").json() == 2


def test_auth_empty_opts_out_of_the_api_defaults(c: httpx.Client) -> None:
    assert c.get("/public").json() == {"open": "yes"}
    assert c.get("/public", headers=bearer("garbage")).status_code == 200


def test_openapi_lists_the_security_schemes(c: httpx.Client) -> None:
    doc = c.get("/docs/openapi.json").json()
    validate(doc)
    schemes = doc["components"]["securitySchemes"]
    assert schemes["jwt"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["api_key"] == {"type": "apiKey", "in": "header", "name": "x-api-key"}
    paths = doc["paths"]
    assert paths["/me"]["get"]["security"] == [{"jwt": []}]
    assert paths["/optional"]["get"]["security"] == [{"jwt": []}, {}]
    assert paths["/either"]["get"]["security"] == [{"jwt": []}, {"api_key": []}]
    assert "security" not in paths["/public"]["get"]
    # two JWT backends with the same scheme object share its entry
    assert paths["/rs"]["get"]["security"] == [{"jwt": []}]
    assert paths["/key"]["get"]["security"] == [{"api_key": []}]
    assert {"401"} <= set(paths["/me"]["get"]["responses"]) and "403" not in paths["/me"]["get"][
        "responses"
    ]
    assert {"401", "403"} <= set(paths["/staff"]["get"]["responses"])
    assert not {"401", "403"} & set(paths["/public"]["get"]["responses"])
    assert not {"401", "403"} & set(paths["/optional"]["get"]["responses"])
