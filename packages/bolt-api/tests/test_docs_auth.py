"""The examples of docs/auth.md run: each Python block (except the settings one) is executed
and the answers the page shows are checked by calling the routes directly."""

from __future__ import annotations

import asyncio
import re
import sys
import time
import types
from pathlib import Path
from typing import Any

import jwt
import msgspec
import pytest
from bolt_api import BoltAPI
from bolt_api_fakes import FakeRequest, compiled_call

DOC = Path(__file__).resolve().parents[3] / "docs" / "auth.md"
BLOCKS = [
    b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if "settings.py" not in b
]
SECRET = "change-me-to-32-bytes-or-more-please!"


def run_block(index: int) -> types.ModuleType:
    module = types.ModuleType(f"docs_auth_{index}")
    sys.modules[module.__name__] = module
    exec(compile(BLOCKS[index], f"{DOC}:block{index}", "exec"), module.__dict__)
    return module


def answer(
    api: BoltAPI,
    method: str,
    template: str,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    call = compiled_call(api, method, template)
    result = call(FakeRequest(method, template, params=params, headers=headers or {}))
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    status, headers_out, body = result
    if not body:
        return status, None
    if ("content-type", "application/json") in headers_out:
        return status, msgspec.json.decode(body)
    return status, body.decode()


def token(key: Any = SECRET, algorithm: str = "HS256", **claims: Any) -> dict[str, str]:
    payload = {"sub": "42", "exp": int(time.time()) + 60, **claims}
    return {"authorization": f"Bearer {jwt.encode(payload, key, algorithm=algorithm)}"}


def test_every_block_registers() -> None:
    assert len(BLOCKS) == 12
    for index in range(len(BLOCKS)):
        assert run_block(index).api.routes


def test_hs256() -> None:
    api = run_block(0).api
    good = token(aud="my-api", iss="https://id.example")
    assert answer(api, "GET", "/me", good) == (200, {"user_id": "42", "staff": False})
    assert answer(api, "GET", "/me") == (401, {"detail": "Authentication required"})
    assert answer(api, "GET", "/me", token(aud="my-api"))[0] == 401  # no issuer


def test_rs256() -> None:
    module = run_block(1)
    assert answer(module.api, "GET", "/orders", token(module.private, "RS256")) == (200, [])
    assert answer(module.api, "GET", "/orders", token())[0] == 401


def test_cookie() -> None:
    api = run_block(2).api
    call = compiled_call(api, "POST", "/cart")
    request = FakeRequest("POST", "/cart", headers={"origin": "https://app.example"})
    request.cookies = {"access_token": token()["authorization"][7:]}
    assert call(request)[0] == 200
    request = FakeRequest("POST", "/cart", headers={"origin": "https://evil.example"})
    request.cookies = {"access_token": token()["authorization"][7:]}
    assert call(request)[0] == 401


def test_api_keys() -> None:
    api = run_block(3).api
    reader, writer = (
        {"x-api-key": "reader-0123456789abcdef"},
        {"x-api-key": "writer-0123456789abcdef"},
    )
    assert answer(api, "GET", "/items", reader) == (200, ["lamp"])
    assert answer(api, "POST", "/items", reader) == (403, {"detail": "Permission denied"})
    assert answer(api, "POST", "/items", writer) == (200, {"ok": True})
    assert answer(api, "GET", "/items", {"x-api-key": "nope"})[0] == 401


@pytest.mark.parametrize(
    ("method", "path", "allowed", "refused"),
    [
        ("GET", "/staff", {"is_staff": True}, {}),
        ("GET", "/admin", {"is_superuser": True}, {"is_staff": True}),
        ("GET", "/reports", {"permissions": ["reports.edit"]}, {"permissions": ["x"]}),
        ("DELETE", "/reports", {"permissions": ["reports.edit", "reports.delete"]}, {}),
        ("GET", "/editors", {"role": "owner"}, {"role": "viewer"}),
        ("GET", "/scoped", {"scope": "read write"}, {"scope": "read write banned"}),
    ],
)
def test_guards(method: str, path: str, allowed: dict[str, Any], refused: dict[str, Any]) -> None:
    api = run_block(4).api
    assert answer(api, method, path, token(**allowed))[0] in (200, 204)
    status, body = answer(api, method, path, token(**refused))
    assert status == 403
    assert body == {"detail": "Editors only" if path == "/editors" else "Permission denied"}
    assert answer(api, method, path)[0] == 401
    assert answer(api, "GET", "/welcome") == (200, "anyone")


def test_custom_guards() -> None:
    api = run_block(5).api
    assert answer(api, "GET", "/office", {**token(), "x-office": "paris"})[0] == 200
    assert answer(api, "GET", "/office", {**token(), "x-office": "rome"})[0] == 403
    assert answer(api, "GET", "/gold", token(tier="gold"))[0] == 200
    assert answer(api, "GET", "/gold", token(tier="tin"))[0] == 403
    assert answer(api, "GET", "/open-now", {"x-hour": "09"}) == (200, "open")
    assert answer(api, "GET", "/open-now", {"x-hour": "20"}) == (
        403,
        {"detail": "Come back tomorrow"},
    )


def test_routers_views_viewsets() -> None:
    api = run_block(6).api
    assert answer(api, "GET", "/admin/stats", token())[0] == 403
    assert answer(api, "GET", "/admin/stats", token(is_staff=True)) == (200, {"users": 3})
    assert answer(api, "GET", "/profile")[0] == 401
    assert answer(api, "GET", "/profile", token()) == (200, {"ok": True})
    assert answer(api, "GET", "/notes", token())[0] == 403
    assert answer(api, "GET", "/notes", token(permissions=["notes.read"])) == (200, [])
    archive = ("POST", "/notes/{pk}/archive")
    reader = token(permissions=["notes.read"])
    assert answer(api, *archive, reader, {"pk": "1"})[0] == 403
    writer = token(permissions=["notes.write"])
    assert answer(api, *archive, writer, {"pk": "1"}) == (200, {"archived": 1})
    assert answer(api, "GET", "/notes/count") == (200, 0)


def test_issuing_tokens() -> None:
    api = run_block(7).api
    status, body = answer(api, "POST", "/token")
    assert status == 200
    access = jwt.decode(body["access"], SECRET, algorithms=["HS256"])
    assert access["token_type"] == "access" and access["permissions"] == ["items.read"]
    assert jwt.decode(body["refresh"], SECRET, algorithms=["HS256"])["token_type"] == "refresh"
    from bolt_api.auth import JWTAuthentication

    backend = JWTAuthentication(secret=SECRET)
    assert backend.authenticate(FakeRequest(headers={"authorization": f"Bearer {body['access']}"}))
    refresh = FakeRequest(headers={"authorization": f"Bearer {body['refresh']}"})
    assert backend.authenticate(refresh) is None


def test_settings_blocks_are_valid_python() -> None:
    """The defaults block runs; the revocation stores' (settings, a model: it needs a
    Django project) compiles — tests/test_tokens.py serves both stores."""
    defaults, stores = [
        b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if "settings.py" in b
    ]
    namespace: dict[str, Any] = {}
    exec(compile(defaults, f"{DOC}:settings", "exec"), namespace)
    assert namespace["BOLT_DEFAULT_PERMISSION_CLASSES"]
    compile(stores, f"{DOC}:stores", "exec")
    assert 'DjangoORMRevocation("myapp.RevokedToken")' in stores


def test_jwks() -> None:
    module = run_block(8)
    signed = jwt.encode(
        {"sub": "42", "aud": "my-api", "exp": int(time.time()) + 60},
        module.private,
        algorithm="RS256",
        headers={"kid": "2026-12"},
    )
    assert answer(module.api, "GET", "/whoami", {"authorization": f"Bearer {signed}"}) == (
        200,
        {"sub": "42"},
    )
    unknown = jwt.encode(
        {"sub": "42", "aud": "my-api", "exp": int(time.time()) + 60},
        module.private,
        algorithm="RS256",
        headers={"kid": "2025-01"},
    )
    assert answer(module.api, "GET", "/whoami", {"authorization": f"Bearer {unknown}"})[0] == 401


def test_revocation() -> None:
    api = run_block(9).api
    assert answer(api, "POST", "/logout", token(jti="t1"))[0] == 200
    assert answer(api, "POST", "/logout", token(jti="t1")) == (
        401,
        {"detail": "Authentication required"},
    )
    assert answer(api, "POST", "/logout", token())[0] == 401  # require_jti


class _User:
    pk = 42
    is_active = True

    def get_username(self) -> str:
        return "ann"


def test_login_refresh_logout_routes() -> None:
    module = run_block(10)
    views, api = module.auth_views, module.api
    views.credential_validator = lambda c: _User() if c.password == "pw" else None
    views.user_loader = lambda sub: _User() if sub == "42" else None

    def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        call = compiled_call(api, "POST", path)
        request = FakeRequest(
            "POST",
            path,
            body=msgspec.json.encode(body),
            headers={"content-type": "application/json"},
        )
        status, _, out = call(request)
        return status, msgspec.json.decode(out) if out else None

    assert post("/auth/login", {"username": "ann", "password": "no"})[0] == 401
    status, pair = post("/auth/login", {"username": "ann", "password": "pw"})
    assert status == 200 and pair["token_type"] == "Bearer"
    bearer = {"authorization": f"Bearer {pair['access_token']}"}
    assert answer(api, "GET", "/me", bearer) == (200, {"username": "ann"})
    status, rotated = post("/auth/refresh", {"refresh_token": pair["refresh_token"]})
    assert status == 200
    assert post("/auth/refresh", {"refresh_token": pair["refresh_token"]})[0] == 401  # reused
    assert (
        answer(api, "GET", "/me", {"authorization": f"Bearer {rotated['access_token']}"})[0] == 401
    )  # its family was revoked
    status, again = post("/auth/login", {"username": "ann", "password": "pw"})
    assert post("/auth/logout", {"refresh_token": again["refresh_token"]})[0] == 204
    assert answer(api, "GET", "/me", {"authorization": f"Bearer {again['access_token']}"})[0] == 401


def test_the_session_block_declares_session_routes() -> None:
    """Its behaviour under Django is tests/test_session_auth.py; here: what it declares."""
    from bolt_api.auth import SessionAuthentication

    api = run_block(11).api
    assert [type(b) for b in api.auth] == [SessionAuthentication]
    assert api.auth[0].csrf is True
    assert {(r.method, r.template.source) for r in api.routes} == {
        ("GET", "/me"),
        ("POST", "/orders"),
        ("GET", "/users"),
    }
