"""Bolt routes behind Django's middleware, under ``runbolt`` on each engine (issue 13, item 3).

tests/djsite/notes/mw_api.py: ``/dj/...`` behind ``settings.MIDDLEWARE``
(``django_middleware=True``), ``/djl/...`` behind exactly the listed LocaleMiddleware and a
``threading.local`` middleware, with a Bolt middleware inside them. Checked: the security
headers, sessions kept across requests, the user of an admin login on a Bolt route (sync and
async), CSRF rejection and ``@csrf_exempt``, ``REMOTE_ADDR``, the active language, the
thread-local state under concurrent requests, and an unknown dotted path failing the start.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from .conftest import Server
from .test_django_site import PASSWORD, SITE, client, serve_site, site, site_db

__all__ = ["client", "site", "site_db"]  # the fixtures of tests/test_django_site.py


def test_security_middleware_headers_on_a_bolt_route(client: httpx.Client) -> None:
    r = client.get("/dj/whoami")
    assert r.status_code == 200, r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["cross-origin-opener-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.json() == {
        "user": "",
        "authenticated": False,
        "remote_addr": "127.0.0.1",
        "django_meta": True,
        "has_session": True,
    }


def test_routes_without_django_middleware_do_not_get_it(client: httpx.Client) -> None:
    r = client.get("/api/ping")
    assert r.json() == {"pong": "bolt"}
    assert "x-frame-options" not in r.headers


def test_the_session_is_kept_across_requests(client: httpx.Client) -> None:
    first = client.get("/dj/count")
    assert first.json() == {"n": 1}
    assert "sessionid" in client.cookies
    assert client.get("/dj/count").json() == {"n": 2}
    assert client.get("/dj/count").json() == {"n": 3}
    with httpx.Client(base_url=str(client.base_url)) as other:  # no cookie: its own session
        assert other.get("/dj/count").json() == {"n": 1}


def login(client: httpx.Client) -> None:
    page = client.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text
    r = client.post(
        "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token[1], "username": "admin", "password": PASSWORD},
    )
    assert r.status_code == 302, r.text


@pytest.mark.parametrize("path", ["/dj/whoami", "/dj/async-whoami"])
def test_the_logged_in_user_on_a_bolt_route(client: httpx.Client, path: str) -> None:
    login(client)
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.json()["user"] == "admin"
    assert r.json()["authenticated"] is True


def test_csrf_rejection_and_acceptance(client: httpx.Client) -> None:
    refused = client.post("/dj/form", json={})
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    token = client.get("/dj/token").json()["token"]
    assert "csrftoken" in client.cookies
    accepted = client.post("/dj/form", headers={"x-csrftoken": token}, json={})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"accepted": True}


def test_csrf_exempt_is_honoured(client: httpx.Client) -> None:
    r = client.post("/dj/exempt", json={})
    assert r.status_code == 200, r.text
    assert r.json() == {"exempt": True}


@pytest.mark.parametrize(("accept", "expected"), [("de", "de"), ("fr-FR,fr;q=0.9", "fr")])
def test_locale_middleware(client: httpx.Client, accept: str, expected: str) -> None:
    r = client.get("/djl/lang", headers={"accept-language": accept})
    assert r.status_code == 200, r.text
    assert r.json() == {"active": expected, "code": expected, "bolt_saw": expected}
    assert r.headers["content-language"] == expected
    assert "accept-language" in r.headers["vary"].lower()
    assert r.headers["x-bolt-inside"] == "1"
    assert "x-frame-options" not in r.headers  # exactly the listed middleware


def test_thread_local_state_is_per_request_under_concurrency(site: Server) -> None:
    def one(i: int) -> tuple[str, dict[str, object], str]:
        with httpx.Client(base_url=site.url, timeout=30.0) as c:
            r = c.get("/djl/tag", headers={"x-tag": f"tag-{i}"})
            assert r.status_code == 200, r.text
            return f"tag-{i}", r.json(), r.headers["x-tag-seen"]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(32)))
    for tag, body, seen in results:
        assert body["tag"] == tag
        assert body["later"] == tag
        assert seen == tag
    assert len({body["thread"] for _, body, _ in results}) > 1


def test_an_unknown_middleware_path_fails_the_start(engine: str, site_db: Path) -> None:
    import os

    os.environ["DJSITE_BROKEN_MIDDLEWARE"] = "1"
    try:
        with pytest.raises(RuntimeError) as failed:
            serve_site(engine, site_db)
    finally:
        del os.environ["DJSITE_BROKEN_MIDDLEWARE"]
    output = str(failed.value)
    # runbolt's system checks catch it first (bolt.E005), before any engine starts
    assert "SystemCheckError" in output and "(bolt.E005)" in output, output
    assert "notes.middleware.NoSuchMiddleware" in output
    assert "Traceback" not in output  # one clean message, as for the other start errors


def test_skipping_one_django_middleware(client: httpx.Client) -> None:
    r = client.get("/dj/no-frame-options")
    assert r.json() == {"framed": True}
    assert "x-frame-options" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"  # the others still run


def test_exclude_form_runs_the_rest_of_middleware(client: httpx.Client) -> None:
    r = client.post("/djx/form", json={})
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": True}
    assert r.headers["x-frame-options"] == "DENY"


def test_one_django_middleware_on_one_route(client: httpx.Client) -> None:
    r = client.get("/plain/framed")
    assert r.json() == {"framed": False}
    assert r.headers["x-frame-options"] == "DENY"
    assert "x-content-type-options" not in r.headers


def test_a_file_response_passes_through_django_middleware(client: httpx.Client) -> None:
    r = client.get("/dj/file")
    assert r.status_code == 200
    source = (SITE / "notes" / "mw_api.py").read_bytes()
    assert r.content == source
    assert r.headers["content-length"] == str(len(source))
    assert r.headers["x-content-type-options"] == "nosniff"
    part = client.get("/dj/file", headers={"range": "bytes=0-9"})
    assert part.status_code == 206
    assert part.content == source[:10]


def test_an_exception_in_django_middleware_is_djangos_500(client: httpx.Client) -> None:
    r = client.get("/djl/lang", headers={"x-explode": "1"})
    assert r.status_code == 500
    assert "exploding middleware" not in r.text  # DEBUG is off
    assert client.get("/djl/lang").status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [("/plain/async-middleware-async", {"async": True}), ("/plain/async-middleware", None)],
)
def test_an_async_only_django_middleware(client: httpx.Client, path: str, body: object) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["x-async-middleware"] == "1"
    if body is not None:
        assert r.json() == body
    else:
        assert r.json()["thread"].startswith("bolt-handler")  # a def handler: the pool thread


def test_django_then_bolt_then_django_middleware(client: httpx.Client) -> None:
    r = client.get("/djl/nested", headers={"x-tag": "nested", "accept-language": "de"})
    assert r.status_code == 200, r.text
    assert r.json()["tag"] == "nested"  # the outer layer's thread-local, seen by the handler
    assert r.json()["thread"].startswith("bolt-handler")
    assert r.headers["x-frame-options"] == "DENY"  # the inner Django layer
    assert r.headers["x-bolt-inside"] == "1"
    assert r.headers["content-language"] == "de"  # the outer one
