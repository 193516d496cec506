"""Static and media files under ``manage.py runbolt`` (issue 13 §2), over real HTTP on both engines.

A throw-away Django project is written to a temporary directory: an app with a static file and
a Bolt API, the admin (whose ``admin/css/base.css`` the finders must find under ``DEBUG``), a
``STATIC_ROOT`` as ``collectstatic`` would leave it (plus symlinks, one pointing out of it) and
a ``MEDIA_ROOT`` of uploads, some of which a browser could run. Three servers per engine:
production (``DEBUG`` off: ``STATIC_ROOT``), development (``DEBUG`` on: the finders) and one with
the files switched off (``--no-static`` and ``BOLT_SERVE_MEDIA = False``).
"""

from __future__ import annotations

import os
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Server, start_server

CSS = b"body { color: #123456; }\n" * 40
SECRET = b"the settings module: never served\n"

SETTINGS = """
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "static-test"
DEBUG = os.environ.get("STATIC_TEST_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "bolt_django",
    "staticsite",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
ROOT_URLCONF = "staticsite.urls"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static_root"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"
if os.environ.get("STATIC_TEST_MEDIA_OFF") == "1":
    BOLT_SERVE_MEDIA = False
"""

API = """
from bolt_api import BoltAPI

api = BoltAPI()


@api.get("/ping")
def ping() -> dict[str, bool]:
    return {"pong": True}
"""

#: Uploads a browser could run, and the media type each is served as.
ACTIVE = {
    "page.html": "text/html",
    "pic.svg": "image/svg+xml",
    "data.xml": ("text/xml", "application/xml"),
    "code.js": ("text/javascript", "application/javascript"),
}
#: Uploads shown inline.
PASSIVE = {"photo.png": "image/png", "note.txt": "text/plain"}


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project directory (shared by every server of the session)."""
    base = tmp_path_factory.mktemp("staticproject")
    (base / "settings_static.py").write_text(textwrap.dedent(SETTINGS))
    app = base / "staticsite"
    (app / "static" / "staticsite").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "api.py").write_text(API)
    (app / "urls.py").write_text("urlpatterns: list[object] = []\n")
    (app / "static" / "staticsite" / "app.css").write_bytes(CSS)
    root = base / "static_root"
    (root / "css").mkdir(parents=True)
    (root / "app.css").write_bytes(CSS)
    (root / "css" / "site.css").write_bytes(CSS)
    (root / "only-collected.txt").write_bytes(b"collected\n")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    os.symlink(root / "app.css", root / "inside-link.css")  # stays in the root: served
    os.symlink(outside / "secret.txt", root / "escape.txt")  # leaves the root: refused
    os.symlink(outside, root / "escape-dir")  # a directory link out of the root: refused
    media = base / "media"
    media.mkdir()
    for name in (*ACTIVE, *PASSIVE):
        (media / name).write_bytes(
            b"<svg onload=alert(1)></svg>\n" if name != "photo.png" else b"\x89PNG\r\n"
        )
    os.symlink(outside / "secret.txt", media / "escape.txt")
    return base


def serve(engine: str, project: Path, *flags: str, **env: str) -> Server:
    return start_server(
        ["-m", "django", "runbolt", "--engine", engine, "--port", "0", *flags],
        engine,
        cwd=project,
        env={"DJANGO_SETTINGS_MODULE": "settings_static", "PYTHONPATH": str(project), **env},
    )


@pytest.fixture(scope="module")
def prod(engine: str, project: Path) -> Iterator[Server]:
    """``DEBUG`` off: ``STATIC_ROOT`` and ``MEDIA_ROOT``."""
    srv = serve(engine, project)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def dev(engine: str, project: Path) -> Iterator[Server]:
    """``DEBUG`` on: static files through the finders."""
    srv = serve(engine, project, STATIC_TEST_DEBUG="1")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def off(engine: str, project: Path) -> Iterator[Server]:
    """Static files off by the flag, media by the setting (nginx serves them)."""
    srv = serve(engine, project, "--no-static", STATIC_TEST_MEDIA_OFF="1")
    yield srv
    srv.stop()


def raw_get(srv: Server, target: str) -> tuple[int, bytes]:
    """``GET target`` sent byte for byte (an HTTP client would normalise ``..`` away)."""
    with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


# -- STATIC_ROOT ------------------------------------------------------------------------------


def test_banner_names_the_prefixes(prod: Server) -> None:
    assert "Serving files under /static/, /media/." in "".join(prod.output)


def test_static_file(prod: Server) -> None:
    r = httpx.get(prod.url + "/static/app.css")
    assert r.status_code == 200
    assert r.content == CSS
    assert r.headers["content-type"].startswith("text/css")
    assert r.headers["content-length"] == str(len(CSS))
    assert r.headers["etag"].startswith('"')
    assert r.headers["last-modified"].endswith("GMT")
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "public, max-age=3600"
    assert "content-disposition" not in r.headers
    nested = httpx.get(prod.url + "/static/css/site.css")
    assert (nested.status_code, nested.content) == (200, CSS)


def test_conditional_requests_304(prod: Server) -> None:
    first = httpx.get(prod.url + "/static/app.css")
    again = httpx.get(
        prod.url + "/static/app.css", headers={"if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    since = httpx.get(
        prod.url + "/static/app.css", headers={"if-modified-since": first.headers["last-modified"]}
    )
    assert since.status_code == 304
    changed = httpx.get(prod.url + "/static/app.css", headers={"if-none-match": '"other"'})
    assert changed.status_code == 200


def test_range_206(prod: Server) -> None:
    r = httpx.get(prod.url + "/static/app.css", headers={"range": "bytes=5-14"})
    assert r.status_code == 206
    assert r.content == CSS[5:15]
    assert r.headers["content-range"] == f"bytes 5-14/{len(CSS)}"
    assert r.headers["x-content-type-options"] == "nosniff"
    beyond = httpx.get(prod.url + "/static/app.css", headers={"range": f"bytes={len(CSS)}-"})
    assert beyond.status_code == 416


def test_head_has_no_body(prod: Server) -> None:
    r = httpx.head(prod.url + "/static/app.css")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(CSS))
    assert r.headers["etag"] == httpx.get(prod.url + "/static/app.css").headers["etag"]


def test_missing_file_and_directory_404(prod: Server) -> None:
    assert httpx.get(prod.url + "/static/nope.css").status_code == 404
    assert httpx.get(prod.url + "/static/css").status_code == 404


@pytest.mark.parametrize(
    "target",
    [
        "/static/../settings_static.py",
        "/static/css/../../settings_static.py",
        "/static/..%2Fsettings_static.py",
        "/static/%2e%2e/settings_static.py",
        "/static/%2E%2E%2Fsettings_static.py",
        "/static/css%2F..%2F..%2Fsettings_static.py",
        "/static/%252e%252e/settings_static.py",
        "/static/..%5Csettings_static.py",
        "/static/%2Fetc%2Fpasswd",
        "/static//etc/passwd",
        "/static/%2F" + "%2F".join(Path(__file__).resolve().parts[1:]),
        "/static/app.css%00",
        "/static/app.css%00.txt",
        "/static/./app.css",
        "/static/css/./site.css",
        "/static/css/",
        "/media/../static_root/app.css",
        "/media/..%2Fsettings_static.py",
    ],
)
def test_traversal_refused(prod: Server, target: str) -> None:
    status, body = raw_get(prod, target)
    assert status == 404, (target, status)  # the route's answer: no engine normalises them
    assert b"DEBUG" not in body and b"SECRET_KEY" not in body and CSS not in body


def test_symlink_inside_root_served(prod: Server) -> None:
    r = httpx.get(prod.url + "/static/inside-link.css")
    assert (r.status_code, r.content) == (200, CSS)


@pytest.mark.parametrize(
    "path", ["/static/escape.txt", "/static/escape-dir/secret.txt", "/media/escape.txt"]
)
def test_symlink_out_of_root_refused(prod: Server, path: str) -> None:
    r = httpx.get(prod.url + path)
    assert r.status_code == 404
    assert SECRET not in r.content


def test_api_routes_unchanged_and_files_not_in_openapi(prod: Server) -> None:
    assert httpx.get(prod.url + "/ping").json() == {"pong": True}
    doc = httpx.get(prod.url + "/docs/openapi.json").json()
    assert list(doc["paths"]) == ["/ping"]


# -- MEDIA_ROOT -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ACTIVE))
def test_active_media_sent_as_attachment(prod: Server, name: str) -> None:
    r = httpx.get(prod.url + "/media/" + name)
    assert r.status_code == 200
    expected = ACTIVE[name]
    assert r.headers["content-type"].split(";")[0] in (
        expected if isinstance(expected, tuple) else (expected,)
    )
    assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-cache"
    assert "etag" in r.headers
    head = httpx.head(prod.url + "/media/" + name)
    assert head.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert head.content == b""


@pytest.mark.parametrize("name", sorted(PASSIVE))
def test_passive_media_inline(prod: Server, name: str) -> None:
    r = httpx.get(prod.url + "/media/" + name)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == PASSIVE[name]
    assert "content-disposition" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"
    again = httpx.get(prod.url + "/media/" + name, headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304


# -- DEBUG: the staticfiles finders -----------------------------------------------------------


def test_admin_css_through_the_finders(dev: Server) -> None:
    r = httpx.get(dev.url + "/static/admin/css/base.css")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/css")
    assert b"body" in r.content
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-cache"
    again = httpx.get(
        dev.url + "/static/admin/css/base.css", headers={"if-none-match": r.headers["etag"]}
    )
    assert again.status_code == 304
    ranged = httpx.get(dev.url + "/static/admin/css/base.css", headers={"range": "bytes=0-9"})
    assert (ranged.status_code, ranged.content) == (206, r.content[:10])


def test_app_static_through_the_finders(dev: Server) -> None:
    r = httpx.get(dev.url + "/static/staticsite/app.css")
    assert (r.status_code, r.content) == (200, CSS)
    # the finders, not STATIC_ROOT, answer under DEBUG (as runserver does)
    assert httpx.get(dev.url + "/static/only-collected.txt").status_code == 404


@pytest.mark.parametrize(
    "target",
    [
        "/static/admin/../../../../settings_static.py",
        "/static/admin/..%2F..%2F__init__.py",
        "/static/%2Fetc%2Fpasswd",
        "/static/admin/css/base.css%00",
        "/static/staticsite/../../api.py",
    ],
)
def test_traversal_refused_through_the_finders(dev: Server, target: str) -> None:
    status, body = raw_get(dev, target)
    assert status == 404, (target, status)
    assert b"BoltAPI" not in body and b"import" not in body


# -- switched off -----------------------------------------------------------------------------


def test_switched_off(off: Server) -> None:
    assert "Serving files under" not in "".join(off.output)
    assert httpx.get(off.url + "/static/app.css").status_code == 404
    assert httpx.get(off.url + "/static/admin/css/base.css").status_code == 404
    assert httpx.get(off.url + "/media/note.txt").status_code == 404
    assert httpx.get(off.url + "/ping").json() == {"pong": True}
