"""Tier one: authentication and guards without an engine (the socket suite is tests/test_auth.py).

The access stage is absent from routes without backends or guards; sync guards keep a route
inline and an async one moves it to the event loop; everything a backend or guard cannot
honour is refused when it is declared; defaults resolve route > router > API > settings.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import jwt
import pytest
from bolt_api import BoltAPI, HTTPException, Router, problem_details
from bolt_api.auth import (
    AllowAny,
    APIKeyAuthentication,
    AuthContext,
    BasePermission,
    IsAuthenticated,
    JWTAuthentication,
    Requires,
    Token,
    create_jwt_for_user,
    get_auth_context,
)
from bolt_api.engine import Needs, Request
from bolt_api_fakes import FakeRequest, compiled_call

SECRET = "unit-test-secret-0123456789abcdefghij"
JWT = JWTAuthentication(secret=SECRET, leeway=0)
KEY = "k" * 24
KEYS = APIKeyAuthentication({KEY}, key_permissions={KEY: {"p"}})


def token(**claims: Any) -> str:
    base = {"sub": "u1", "exp": int(time.time()) + 60}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, SECRET, "HS256")


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


def specs(api: BoltAPI) -> dict[str, Any]:
    return {s.path: s for s in api.compile().routes if s.method == "GET"}


def run(result: Any) -> Any:
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


# -- the stage --------------------------------------------------------------------------------


def test_routes_without_auth_or_guards_have_no_access_stage() -> None:
    from bolt_api._pipeline import pipeline
    from bolt_api.auth._access import access_for, resolve
    from bolt_api.files import ANY_FILE

    api = BoltAPI()

    @api.get("/plain")
    def plain() -> int:
        return 1

    @api.get("/any", guards=[AllowAny()])
    def any_() -> int:
        return 1

    @api.get("/closed", auth=[JWT], guards=[IsAuthenticated()])
    def closed() -> int:
        return 1

    def stages(path: str) -> tuple[str, ...]:
        entry = next(r for r in api.routes if r.template.source == path)
        access = access_for(*resolve(entry.definition, None, None))
        return pipeline(entry, compress=None, count=None, files=ANY_FILE, access=access).stages

    assert stages("/plain") == ("run:inline", "handler", "encode")
    assert stages("/any") == ("run:inline", "handler", "encode")
    assert stages("/closed") == ("access", "run:inline", "handler", "encode")
    table = specs(api)
    assert table["/plain"].needs == Needs.NONE | Needs.ACCEPT_ENCODING
    assert table["/closed"].needs & Needs.HEADERS
    assert not table["/closed"].is_async


def test_sync_guards_stay_inline_and_an_async_guard_goes_to_the_loop() -> None:
    api = BoltAPI()

    def sync_guard(context: AuthContext | None, request: Request) -> bool:
        return request.headers.get("x-ok") == "1"

    async def async_guard(context: AuthContext | None, request: Request) -> bool:
        await asyncio.sleep(0)
        return request.headers.get("x-ok") == "1"

    class AsyncPermission(BasePermission):
        requires_authentication = False

        async def has_permission(self, context: AuthContext | None, request: Request) -> bool:
            return request.headers.get("x-ok") == "1"

    @api.get("/sync", auth=[JWT], guards=[sync_guard])
    def s() -> int:
        return 1

    @api.get("/async", auth=[JWT], guards=[async_guard])
    def a() -> int:
        return 1

    @api.get("/class", guards=[AsyncPermission()])
    def k() -> int:
        return 1

    table = specs(api)
    assert not table["/sync"].is_async and table["/sync"].needs == Needs.ALL
    assert table["/async"].is_async and table["/class"].is_async
    ok = {**bearer(token()), "x-ok": "1"}
    for path in ("/sync", "/async"):
        call = table[path].call
        assert run(call(FakeRequest(headers=ok)))[0] == 200
        assert run(call(FakeRequest(headers={**ok, "x-ok": "0"})))[0] == 403
        assert run(call(FakeRequest(headers={"x-ok": "1"})))[0] == 200  # it decides alone
        assert run(call(FakeRequest()))[0] == 401  # refused, and nobody authenticated
    assert run(table["/class"].call(FakeRequest(headers={"x-ok": "1"})))[0] == 200
    # refused: 403, as the guard ignores authentication (and the route has no backend)
    assert run(table["/class"].call(FakeRequest()))[0] == 403


def test_the_context_is_in_request_state() -> None:
    api = BoltAPI()

    @api.get("/me", auth=[JWT, KEYS])
    def me(request: Request) -> dict[str, Any]:
        ctx = get_auth_context(request)
        return {"id": None if ctx is None else ctx["user_id"]}

    call = compiled_call(api, "GET", "/me")
    request = FakeRequest(headers=bearer(token(is_staff=True, permissions=["a"])))
    assert call(request)[2] == b'{"id":"u1"}'
    ctx = request.state["auth"]
    assert (ctx.backend, ctx.is_staff, ctx.permissions) == ("jwt", True, frozenset({"a"}))
    assert ctx.get("auth_backend") == "jwt" and ctx.get("nope", 1) == 1
    with pytest.raises(KeyError):
        ctx["nope"]
    request = FakeRequest(headers={"x-api-key": KEY})
    assert call(request)[2] == b'{"id":"apikey:' + KEY.encode() + b'"}'
    assert request.state["auth"].permissions == frozenset({"p"})
    assert call(FakeRequest())[2] == b'{"id":null}'


def test_refusals_go_through_the_error_formatter_and_guards_may_raise() -> None:
    api = BoltAPI(error_formatter=problem_details)

    def teapot(context: AuthContext | None, request: Request) -> bool:
        raise HTTPException(418, "short and stout")

    def broken(context: AuthContext | None, request: Request) -> bool:
        raise RuntimeError("bug")

    @api.get("/closed", auth=[JWT], guards=[IsAuthenticated()])
    def closed() -> int:
        return 1

    @api.get("/teapot", guards=[teapot])
    def t() -> int:
        return 1

    @api.get("/broken", guards=[broken])
    def b() -> int:
        return 1

    @api.get("/no-backend", guards=[lambda context, request: False])
    def n() -> int:
        return 1

    table = specs(api)
    assert table["/no-backend"].call(FakeRequest())[0] == 403  # no credentials would help
    status, headers, _ = table["/closed"].call(FakeRequest())
    assert status == 401 and ("content-type", "application/problem+json") in headers
    assert ("www-authenticate", "Bearer") in headers
    assert table["/teapot"].call(FakeRequest())[0] == 418
    assert table["/broken"].call(FakeRequest())[0] == 500


# -- where auth and guards come from ----------------------------------------------------------


def test_route_then_router_then_api_then_settings() -> None:
    api = BoltAPI(guards=[IsAuthenticated()])
    outer = Router(prefix="/outer", auth=[KEYS])
    inner = Router(prefix="/inner", guards=[AllowAny()])

    @inner.get("/open")
    def inner_open() -> int:
        return 1

    @outer.get("/closed")
    def outer_closed() -> int:
        return 1

    @outer.get("/jwt", auth=[JWT])
    def outer_jwt() -> int:
        return 1

    outer.include_router(inner)
    api.include_router(outer)

    @api.get("/api")
    def api_default() -> int:
        return 1

    @api.get("/out", auth=[], guards=[])
    def opted_out() -> int:
        return 1

    api.default_auth = (JWT,)
    table = specs(api)
    key = {"x-api-key": KEY}
    assert table["/outer/inner/open"].call(FakeRequest())[0] == 200
    assert table["/outer/closed"].call(FakeRequest())[0] == 401
    assert table["/outer/closed"].call(FakeRequest(headers=key))[0] == 200
    assert table["/outer/jwt"].call(FakeRequest(headers=key))[0] == 401
    assert table["/outer/jwt"].call(FakeRequest(headers=bearer(token())))[0] == 200
    assert table["/api"].call(FakeRequest(headers=bearer(token())))[0] == 200  # default_auth
    assert table["/api"].call(FakeRequest())[0] == 401
    assert table["/out"].call(FakeRequest())[0] == 200


def test_mount_and_merge_keep_each_apis_own_auth() -> None:
    sub = BoltAPI(auth=[KEYS], guards=[IsAuthenticated()])

    @sub.get("/x")
    def x() -> int:
        return 1

    main = BoltAPI()
    main.mount("/sub", sub)
    assert specs(main)["/sub/x"].call(FakeRequest())[0] == 401
    merged = BoltAPI.merge([BoltAPI(), sub])
    assert specs(merged)["/x"].call(FakeRequest(headers={"x-api-key": KEY}))[0] == 200


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"auth": ["jwt"]}, "authentication backends"),
        ({"auth": [JWTAuthentication]}, "JWTAuthentication(...)"),
        ({"auth": "jwt"}, "a list of backends"),
        ({"guards": [IsAuthenticated]}, "IsAuthenticated()"),
        ({"guards": ["is_authenticated"]}, "a BasePermission or a callable"),
        ({"guards": [lambda: True]}, "must take (context, request)"),
    ],
)
def test_what_cannot_be_honoured_is_refused_at_registration(
    options: dict[str, Any], message: str
) -> None:
    api = BoltAPI()
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        api.get("/x", **options)
    with pytest.raises(TypeError):
        Router(**options)
    with pytest.raises(TypeError):
        BoltAPI(**options)


# -- backends ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"secret": SECRET, "algorithms": ["none"]}, "never accepted"),
        ({"secret": SECRET, "algorithms": ["HS256", "RS256"]}, "not both"),
        ({"secret": SECRET, "algorithms": ["XS1"]}, "unknown JWT algorithm"),
        ({"secret": SECRET, "algorithms": []}, "at least one"),
        ({"secret": SECRET, "algorithms": "HS256"}, "list of names"),
        ({"algorithms": ["RS256"]}, "need public_key"),
        ({"algorithms": ["RS256"], "secret": SECRET}, "not secret="),
        ({"secret": SECRET, "public_key": "x"}, "public_key is for"),
        ({"secret": "-----BEGIN PUBLIC KEY-----\n" + "A" * 64}, "looks like a public key"),
        ({"secret": "short"}, "need 32 or more"),
        ({"secret": SECRET, "algorithms": ["HS512"]}, "need 64 or more"),
        ({"secret": SECRET, "leeway": -1}, "leeway"),
    ],
)
def test_jwt_options_that_cannot_be_honoured(options: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        JWTAuthentication(**options)


def test_jwt_without_a_secret_and_without_django_fails_at_compile() -> None:
    api = BoltAPI()

    @api.get("/x", auth=[JWTAuthentication()])
    def x() -> int:
        return 1

    with pytest.raises(ValueError, match="needs secret="):
        api.compile()


def test_jwt_claims_checks() -> None:
    strict = JWTAuthentication(
        secret=SECRET, audience="a", issuer="i", required_claims=("exp", "jti"), leeway=0
    )
    good = token(aud="a", iss="i", jti="1")
    assert strict.decode(good)["sub"] == "u1"
    for bad in (
        token(aud="a", iss="i"),  # no jti
        token(aud="b", iss="i", jti="1"),
        token(aud="a", iss="j", jti="1"),
        token(aud="a", iss="i", jti="1", token_type="refresh"),
        token(aud="a", iss="i", jti="1", exp=int(time.time()) - 1),
    ):
        with pytest.raises(jwt.InvalidTokenError):
            strict.decode(bad)
    assert JWT.authenticate(FakeRequest(headers=bearer(token(aud="x")))) is None
    anything = JWTAuthentication(secret=SECRET, token_type=None)
    assert anything.decode(token(token_type="refresh"))["token_type"] == "refresh"
    refresh = JWTAuthentication(secret=SECRET, token_type="refresh")
    assert refresh.authenticate(FakeRequest(headers=bearer(token()))) is not None  # untyped
    custom_header = JWTAuthentication(secret=SECRET, header="x-token")
    ctx = custom_header.authenticate(FakeRequest(headers={"x-token": token()}))
    assert ctx is not None and ctx.user_id == "u1"
    assert custom_header.openapi_scheme() == {"type": "apiKey", "in": "header", "name": "x-token"}


def test_api_key_options_and_matching() -> None:
    with pytest.raises(ValueError, match="one or more"):
        APIKeyAuthentication()
    with pytest.raises(TypeError):
        APIKeyAuthentication(KEY)
    with pytest.raises(ValueError, match="not in api_keys"):
        APIKeyAuthentication({KEY}, key_permissions={"other": {"p"}})
    assert KEYS.authenticate(FakeRequest(headers={"x-api-key": f"Bearer {KEY}"})) is not None
    assert KEYS.authenticate(FakeRequest(headers={"x-api-key": KEY + "x"})) is None
    assert KEYS.authenticate(FakeRequest(headers={"x-api-key": "ünïcode"})) is None
    assert KEYS.authenticate(FakeRequest()) is None


# -- guards -----------------------------------------------------------------------------------


def ctx(**claims: Any) -> AuthContext:
    return AuthContext("u", "jwt", claims=claims, permissions=frozenset({"p"}))


@pytest.mark.parametrize(
    ("guard", "context", "allowed"),
    [
        (Requires("is_staff", True), ctx(is_staff=True), True),
        (Requires("is_staff", True), ctx(is_staff=1), False),
        (Requires("is_staff"), ctx(is_staff=False), False),
        (Requires("is_staff"), ctx(), False),
        (Requires("scope", "read"), ctx(scope="read write"), True),
        (Requires("scope", "admin"), ctx(scope="read write"), False),
        (Requires("roles", all_of=["a", "b"]), ctx(roles=["a", "b", "c"]), True),
        (Requires("roles", all_of=["a", "d"]), ctx(roles=["a", "b"]), False),
        (Requires("roles", none_of=["banned"]), ctx(roles=["a"]), True),
        (Requires("roles", none_of=["banned"]), ctx(roles=["banned"]), False),
        (Requires("permissions", "p"), ctx(), True),  # the context's own field
        (Requires("user_id", "u"), ctx(), True),
    ],
)
def test_requires(guard: Requires, context: AuthContext, allowed: bool) -> None:
    assert guard.has_permission(context, FakeRequest()) is allowed
    assert guard.has_permission(None, FakeRequest()) is False


def test_requires_message_and_reprs() -> None:
    assert Requires("role", "x", message="Nope").message == "Nope"
    assert repr(IsAuthenticated()) == "IsAuthenticated()"
    with pytest.raises(ValueError):
        Requires("")


# -- tokens -----------------------------------------------------------------------------------


def test_token_round_trip() -> None:
    t = Token.create("7", dt.timedelta(minutes=5), is_staff=True, permissions=["a"], tier="gold")
    encoded = t.encode(SECRET)
    decoded = Token.decode(encoded, SECRET)
    assert (decoded.sub, decoded.is_staff, decoded.permissions) == ("7", True, ["a"])
    assert decoded.extras == {"tier": "gold"} and decoded.token_type == "access"
    ctx = JWT.authenticate(FakeRequest(headers=bearer(encoded)))
    assert ctx is not None and ctx.user_id == "7" and ctx.claims["tier"] == "gold"
    with pytest.raises(ValueError):
        t.encode("short")
    with pytest.raises(ValueError):
        t.encode(SECRET, algorithm="none")
    with pytest.raises(jwt.InvalidTokenError):
        Token.decode(encoded, SECRET + "x")


def test_create_jwt_for_user() -> None:
    class User:
        pk = 12
        is_staff = True
        is_superuser = False

        def get_username(self) -> str:
            return "ann"

    encoded = create_jwt_for_user(User(), SECRET, extra_claims={"tier": "gold"})
    claims = JWT.decode(encoded)
    assert claims["sub"] == "12" and claims["username"] == "ann" and claims["is_staff"] is True
    assert claims["exp"] - claims["iat"] == 3600
    with pytest.raises(ValueError, match="pk"):
        create_jwt_for_user(object(), SECRET)


def test_request_user_reads_the_context_where_the_access_stage_stores_it() -> None:
    from bolt_api import _request_methods
    from bolt_api.auth._context import STATE_KEY

    assert _request_methods._AUTH_KEY == STATE_KEY
