"""Session authentication, Django's CSRF rules and ``request.user`` over real HTTP, on both
engines (tests/apps/session_app.py: Django's auth and sessions on a throw-away sqlite file).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from .conftest import Server, start_server

#: The app's SECRET_KEY (not imported: importing the app configures Django in this process).
SECRET = "session-test-secret-key-0123456789abcdef"


@pytest.fixture(scope="module")
def session_server(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp(f"session-{engine}") / "db.sqlite3"
    srv = start_server(
        [
            "-m",
            "bolt_api",
            "serve",
            "tests.apps.session_app:api",
            "--engine",
            engine,
            "--port",
            "0",
        ],
        engine,
        env={"BOLT_TEST_SQLITE": str(db)},
    )
    yield srv
    srv.stop()


@pytest.fixture
def c(session_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=session_server.url, timeout=10.0) as client:
        yield client


def login(c: httpx.Client, username: str, perm: str = "") -> dict[str, Any]:
    r = c.post(f"/_session/{username}", params={"perm": perm} if perm else None)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def cookies(session: dict[str, Any], csrf: bool = True) -> dict[str, str]:
    jar = {"sessionid": session["sessionid"]}
    if csrf:
        jar["csrftoken"] = session["csrftoken"]
    return jar


def send(c: httpx.Client, method: str, path: str, jar: dict[str, str], **kwargs: Any) -> Any:
    """A request carrying ``jar`` as its Cookie header (httpx's jar would add the host)."""
    header = "; ".join(f"{k}={v}" for k, v in jar.items())
    headers = {"cookie": header, **kwargs.pop("headers", {})}
    return c.request(method, path, headers=headers, **kwargs)


def test_no_session_is_401_with_a_challenge(c: httpx.Client) -> None:
    r = c.get("/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Session"


def test_a_logged_in_session_authenticates(c: httpx.Client) -> None:
    session = login(c, "ann")
    r = send(c, "GET", "/me", cookies(session, csrf=False))
    assert r.status_code == 200, r.text
    assert r.json() == {"username": "ann", "user_id": str(session["id"]), "backend": "session"}


def test_an_unknown_session_key_is_401(c: httpx.Client) -> None:
    assert send(c, "GET", "/me", {"sessionid": "x" * 32}).status_code == 401


def test_a_password_change_ends_the_other_sessions(c: httpx.Client) -> None:
    session = login(c, "bob")
    assert send(c, "GET", "/me", cookies(session)).status_code == 200
    assert c.post("/_password/bob").status_code == 200
    assert send(c, "GET", "/me", cookies(session)).status_code == 401


def test_the_async_user(c: httpx.Client) -> None:
    session = login(c, "cat")
    r = send(c, "GET", "/me/async", cookies(session))
    assert (r.status_code, r.json()) == (200, {"username": "cat"})


@pytest.mark.parametrize("path", ["/items", "/items/async"])
def test_an_unsafe_request_needs_the_csrf_token(c: httpx.Client, path: str) -> None:
    session = login(c, "dan")
    r = send(c, "POST", path, cookies(session, csrf=False))
    assert r.status_code == 403
    assert r.json() == {"detail": "CSRF Failed: CSRF cookie not set."}
    r = send(c, "POST", path, cookies(session))
    assert r.status_code == 403
    assert r.json()["detail"] == "CSRF Failed: CSRF token missing."
    wrong = {"x-csrftoken": "a" * 64}
    r = send(c, "POST", path, cookies(session), headers=wrong)
    assert r.status_code == 403
    assert r.json()["detail"].startswith("CSRF Failed: CSRF token from the 'X-Csrftoken'")
    r = send(c, "POST", path, cookies(session), headers={"x-csrftoken": session["token"]})
    assert (r.status_code, r.json()) == (200, {"created_by": "dan"})


def test_the_form_field_token_is_accepted(c: httpx.Client) -> None:
    session = login(c, "eve")
    r = send(
        c,
        "POST",
        "/items",
        cookies(session),
        content=f"csrfmiddlewaretoken={session['token']}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert (r.status_code, r.json()) == (200, {"created_by": "eve"})


def test_origin_checking(c: httpx.Client, session_server: Server) -> None:
    session = login(c, "fay")
    token = {"x-csrftoken": session["token"]}
    evil = {"origin": "https://evil.example", **token}
    r = send(c, "POST", "/items", cookies(session), headers=evil)
    assert r.status_code == 403
    assert "Origin checking failed - https://evil.example does not match" in r.json()["detail"]
    for origin in (session_server.url, "https://app.example.com"):  # this host; trusted
        r = send(c, "POST", "/items", cookies(session), headers={"origin": origin, **token})
        assert r.status_code == 200, (origin, r.text)


def test_csrf_false_and_safe_methods_skip_the_check(c: httpx.Client) -> None:
    session = login(c, "gus")
    assert send(c, "POST", "/open", cookies(session, csrf=False)).status_code == 200
    assert send(c, "GET", "/me", cookies(session, csrf=False)).status_code == 200


def test_permissions_come_from_djangos_backends(c: httpx.Client) -> None:
    plain = login(c, "hal")
    assert send(c, "GET", "/perm", cookies(plain)).status_code == 403
    allowed = login(c, "ida", perm="auth.view_user")
    assert send(c, "GET", "/perm", cookies(allowed)).status_code == 200


def test_a_tokens_user_is_loaded_lazily(c: httpx.Client) -> None:
    user = login(c, "jon")
    now = int(time.time())
    token = jwt.encode({"sub": str(user["id"]), "exp": now + 60}, SECRET, algorithm="HS256")
    r = c.get("/jwt-user", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.json() == {"before": 0, "after": 1, "username": "jon"}
    ghost = jwt.encode({"sub": "999999", "exp": now + 60}, SECRET, algorithm="HS256")
    r = c.get("/jwt-user", headers={"authorization": f"Bearer {ghost}"})
    assert r.json()["username"] is None  # no such user: AnonymousUser


def test_without_authentication_the_user_is_anonymous(c: httpx.Client) -> None:
    assert c.get("/anonymous").json() == {"authenticated": False, "name": "AnonymousUser"}


def test_current_user_as_django_bolt_spells_it(c: httpx.Client) -> None:
    """``user: CurrentUser`` (``get_current_user``) and ``extract_user_id_from_context``,
    from a session, from a token, and for an anonymous request."""
    user = login(c, "kim")
    assert send(c, "GET", "/current", cookies(user)).json() == {
        "username": "kim",
        "user_id": str(user["id"]),
    }
    token = jwt.encode(
        {"sub": str(user["id"]), "exp": int(time.time()) + 60}, SECRET, algorithm="HS256"
    )
    bearer = {"authorization": f"Bearer {token}"}
    assert c.get("/current", headers=bearer).json()["username"] == "kim"
    assert c.get("/current/async", headers=bearer).json() == {"username": "kim"}
    assert c.get("/current").json() == {"username": None, "user_id": None}
