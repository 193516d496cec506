"""The whole Django project under ``manage.py runbolt``, on each engine (issue 13, item 1).

tests/djsite is a project with the admin, sessions and messages, plain views, and a Bolt API
(notes/api.py) that mounts a tiny ASGI app at ``/asgi`` and a Django URLconf at ``/legacy``.
Requests no Bolt route matches go to Django's handler, through ``settings.MIDDLEWARE``; the
admin login is done as a browser does it. With ``--no-django-fallback`` a miss is Bolt's 404.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, Server, start_server, wait_for

SITE = ROOT / "tests" / "djsite"
PASSWORD = "s3cret-pass"


def manage(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SITE,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJSITE_DB": str(db)},
    )


@pytest.fixture(scope="module")
def site_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with a superuser and one note (shared by both engines' servers)."""
    db = tmp_path_factory.mktemp("djsite") / "db.sqlite3"
    result = manage("migrate", "--verbosity", "0", db=db)
    assert result.returncode == 0, result.stderr
    seed = (
        "from django.contrib.auth.models import User; from notes.models import Note; "
        f"User.objects.create_superuser('admin', 'admin@example.com', {PASSWORD!r}); "
        "Note.objects.create(title='A note from the fixture')"
    )
    result = manage("shell", "-c", seed, db=db)
    assert result.returncode == 0, result.stderr
    return db


def serve_site(engine: str, db: Path, *flags: str) -> Server:
    return start_server(
        ["manage.py", "runbolt", "--engine", engine, "--port", "0", *flags],
        engine,
        cwd=SITE,
        env={"DJSITE_DB": str(db)},
    )


@pytest.fixture(scope="module")
def site(engine: str, site_db: Path) -> Iterator[Server]:
    srv = serve_site(engine, site_db)
    yield srv
    srv.stop()


@pytest.fixture
def client(site: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=10.0) as c:
        yield c


def test_admin_login_as_a_browser_does_it(client: httpx.Client) -> None:
    # not logged in: the admin sends the browser to its login page
    r = client.get("/admin/")
    assert r.status_code == 302
    assert r.headers["location"] == "/admin/login/?next=/admin/"
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, page.text
    assert "csrftoken" in client.cookies
    login = client.post(
        "/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": found[1],
            "username": "admin",
            "password": PASSWORD,
            "next": "/admin/",
        },
    )
    assert login.status_code == 302, login.text
    assert login.headers["location"] == "/admin/"
    assert "sessionid" in client.cookies
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "Site administration" in index.text
    assert "Notes" in index.text
    changelist = client.get("/admin/notes/note/")
    assert changelist.status_code == 200
    assert "A note from the fixture" in changelist.text
    assert "Select note to change" in changelist.text


def test_admin_login_post_without_the_csrf_token_is_refused(client: httpx.Client) -> None:
    client.get("/admin/login/")
    r = client.post("/admin/login/", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 403
    assert "CSRF" in r.text


def test_a_wrong_password_shows_the_form_again(client: httpx.Client) -> None:
    page = client.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    r = client.post(
        "/admin/login/",
        data={"csrfmiddlewaretoken": token[1], "username": "admin", "password": "wrong"},
    )
    assert r.status_code == 200
    assert "Please enter the correct username and password" in r.text
    assert "sessionid" not in client.cookies


def test_a_plain_django_view_with_two_cookies(client: httpx.Client) -> None:
    r = client.get("/hello/")
    assert r.status_code == 200
    assert r.text == "hello from django, 1 note(s)"
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2
    assert cookies[0].startswith("first=1;")
    assert cookies[1].startswith("second=2;") and "HttpOnly" in cookies[1]
    # Django's own middleware ran: SecurityMiddleware's and XFrameOptionsMiddleware's headers
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


def test_the_admin_css_through_djangos_static_view(client: httpx.Client) -> None:
    import django  # not django.contrib.admin: this process has no Django settings

    css = (
        Path(django.__file__).parent / "contrib" / "admin" / "static" / "admin" / "css" / "base.css"
    )
    r = client.get("/static/admin/css/base.css")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/css"
    assert r.content == css.read_bytes()  # a FileResponse: sent by the engine as a FileBody
    assert r.headers["content-length"] == str(css.stat().st_size)
    assert client.get("/static/admin/css/nope.css").status_code == 404


def test_django_sees_a_complete_request(client: httpx.Client) -> None:
    r = client.get("/meta/?a=1&b=two", headers={"X-Custom": "yes"})
    assert r.status_code == 200
    assert r.json() == {
        "method": "GET",
        "path": "/meta/",
        "path_info": "/meta/",
        "script_name": "",
        "query": {"a": "1", "b": "two"},
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "host": client.base_url.netloc.decode(),
        "header": "yes",
        "user": "AnonymousUser",
        "reverse": "/hello/",
    }


def test_a_utf8_path_reaches_django_decoded(client: httpx.Client) -> None:
    r = client.get("/named/caf%C3%A9%20x/")
    assert r.status_code == 200
    assert r.text == "café x|/named/café x/"


def test_a_form_post_reaches_request_post(client: httpx.Client) -> None:
    r = client.post("/echo/", data={"name": "Ann", "city": "Zürich"})
    assert r.status_code == 200
    assert r.json() == {"method": "POST", "form": {"name": "Ann", "city": "Zürich"}}


def test_streaming_and_file_responses(client: httpx.Client) -> None:
    r = client.get("/stream/")
    assert r.status_code == 200
    assert r.text == "one,two,three"
    assert r.headers.get("transfer-encoding") == "chunked"
    f = client.get("/file/")
    assert f.status_code == 200
    source = (SITE / "notes" / "views.py").read_bytes()
    assert f.content == source
    assert f.headers["content-length"] == str(len(source))
    head = client.head("/file/")
    assert head.status_code == 200
    assert head.content == b""


def test_a_blocking_django_view_does_not_hold_the_server(client: httpx.Client) -> None:
    before = int(client.get("/slow/started/").text)
    slow: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: slow.append(client.get("/slow/")))
    thread.start()
    with httpx.Client(base_url=client.base_url, timeout=10.0) as other:
        # answered while the slow view blocks a handler-pool thread: polled until it runs
        wait_for(lambda: int(other.get("/slow/started/").text) > before, "the slow view")
        assert other.get("/api/ping").json() == {"pong": "bolt"}
        assert other.get("/hello/").status_code == 200  # another Django request, too
        assert not slow, "the slow view finished before it was released"
        assert other.get("/slow/release/").text == "released"
    thread.join(timeout=15)
    assert slow[0].text == "slow done"


def test_an_async_django_view(client: httpx.Client) -> None:
    r = client.get("/async/")
    assert r.status_code == 200
    assert r.text == "async view, 1 note(s)"


def test_django_404_and_append_slash(client: httpx.Client) -> None:
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]  # Django's page, not Bolt's JSON
    # CommonMiddleware's APPEND_SLASH
    r = client.get("/hello")
    assert r.status_code == 301
    assert r.headers["location"] == "/hello/"


def test_bolt_routes_and_bolt_answers_stay_bolts(client: httpx.Client) -> None:
    assert client.get("/api/ping").json() == {"pong": "bolt"}
    # a path Bolt serves under another method: Bolt's 405, not Django's
    r = client.post("/items")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, OPTIONS"
    assert r.headers["content-type"] == "application/json"
    # the other trailing-slash form of a Bolt route: Bolt's 308
    r = client.get("/items/?x=1")
    assert r.status_code == 308
    assert r.headers["location"] == "/items?x=1"


def test_djangos_reverse_and_url_tag_resolve_bolt_route_names(client: httpx.Client) -> None:
    """``path("", include("bolt_django.urls"))``: a Django view reverses Bolt's names, and
    the paths it gets are served by Bolt."""
    links = client.get("/links/").json()
    assert links == {"reverse": "/api/notes/7", "tag": "/api/notes/7", "path": "/api/files/a/b.txt"}
    assert client.get(links["reverse"]).json() == {"note_id": 7}
    assert client.get(links["path"]).json() == {"rest": "a/b.txt"}


def test_a_mounted_asgi_app(client: httpx.Client) -> None:
    r = client.post("/asgi/some/where?q=1", content=b"payload")
    assert r.status_code == 201
    assert r.headers["x-asgi"] == "tiny"
    assert r.json() == {
        "method": "POST",
        "path": "/asgi/some/where",
        "root_path": "/asgi",
        "query_string": "q=1",
        "body": "payload",
        "client": "127.0.0.1",
    }
    assert client.get("/asgi").json()["path"] == "/asgi"
    stream = client.get("/asgi/stream")
    assert stream.status_code == 200
    assert stream.text == "chunk0;chunk1;chunk2;"
    assert stream.headers.get("transfer-encoding") == "chunked"
    # a Bolt route under the mount's prefix is more specific: Bolt answers it
    assert client.get("/asgi/bolt-wins").json() == {"served_by": "bolt"}


def test_djangos_asgi_handler_mounted(client: httpx.Client) -> None:
    # scope["path"] is the full path and root_path the prefix, as Django's ASGIHandler expects
    r = client.get("/via-asgi/meta/?a=1", headers={"X-Custom": "asgi"})
    assert r.status_code == 200, r.text
    seen = r.json()
    assert (seen["path"], seen["path_info"], seen["script_name"]) == (
        "/via-asgi/meta/",
        "/meta/",
        "/via-asgi",
    )
    assert (seen["query"], seen["header"], seen["reverse"]) == (
        {"a": "1"},
        "asgi",
        "/via-asgi/hello/",
    )
    assert client.get("/via-asgi/hello/").text == "hello from django, 1 note(s)"


def test_mount_django_under_a_prefix(client: httpx.Client) -> None:
    r = client.get("/legacy/where/")
    assert r.status_code == 200
    assert r.json() == {
        "path": "/legacy/where/",
        "path_info": "/where/",
        "script_name": "/legacy",
        "reverse": "/legacy/where/",
    }
    # its own URLconf: the project's URLs are not under the prefix
    assert client.get("/legacy/hello/").status_code == 404


@pytest.fixture(scope="module")
def site_without_django(engine: str, site_db: Path) -> Iterator[Server]:
    srv = serve_site(engine, site_db, "--no-django-fallback")
    yield srv
    srv.stop()


def test_the_fallback_switched_off_is_bolts_404(site_without_django: Server) -> None:
    with httpx.Client(base_url=site_without_django.url, timeout=10.0) as c:
        r = c.get("/admin/")
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {"detail": "Not Found"}
        assert c.get("/api/ping").json() == {"pong": "bolt"}
        # explicit mounts are still served
        assert c.get("/legacy/where/").json()["script_name"] == "/legacy"
        assert c.get("/asgi/x").status_code == 201
