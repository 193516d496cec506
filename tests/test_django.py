"""The example Django project served by ``manage.py runbolt`` on each engine.

Covers autodiscovery of ``catalog/api.py``, the async ORM from a handler, and runbolt's own
errors. The database is a throw-away sqlite file (``BOLT_EXAMPLE_DB``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, Server, start_server

EXAMPLE = ROOT / "examples"


def in_example(
    *argv: str, db: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python <argv>`` in examples/, on the sqlite file ``db``."""
    return subprocess.run(
        [sys.executable, *argv],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "BOLT_EXAMPLE_DB": str(db), **(env or {})},
    )


def manage(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return in_example("manage.py", *args, db=db)


def serve_example(
    engine: str, tmp_path_factory: pytest.TempPathFactory, label: str
) -> Iterator[Server]:
    """The example project on ``engine`` with a fresh, migrated and seeded database."""
    db = tmp_path_factory.mktemp(f"{label}-{engine}") / "db.sqlite3"
    for command in (("migrate", "--verbosity", "0"), ("seed",)):
        result = manage(*command, db=db)
        assert result.returncode == 0, result.stderr
    srv = start_server(
        ["manage.py", "runbolt", "--engine", engine, "--host", "127.0.0.1", "--port", "0"],
        engine,
        cwd=EXAMPLE,
        env={"BOLT_EXAMPLE_DB": str(db)},
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def example(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_example(engine, tmp_path_factory, "example")


def test_async_orm_list(example: Server) -> None:
    r = httpx.get(example.url + "/db/items")
    assert r.status_code == 200
    items = r.json()
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    assert len(items) >= 3
    assert set(items[0]) == {"id", "name", "price", "in_stock"}


def test_sync_orm_handler_answers_on_both_engines(example: Server) -> None:
    # issue 12, finding 1: a plain def ORM handler was a 500 (SynchronousOnlyOperation) on the
    # Python engine; it runs on the handler pool now, the same on both engines
    sync = httpx.get(example.url + "/db/sync/items")
    assert sync.status_code == 200, sync.text
    assert sync.json() == httpx.get(example.url + "/db/items").json()


def test_async_orm_create_and_read(example: Server) -> None:
    created = httpx.post(example.url + "/items", json={"name": "Lamp", "price": 12.5})
    assert created.status_code == 201
    item = created.json()
    assert item["name"] == "Lamp"
    assert item["price"] == 12.5
    read = httpx.get(f"{example.url}/db/items/{item['id']}")
    assert read.json() == item


def test_async_orm_missing_row_is_404(example: Server) -> None:
    r = httpx.get(example.url + "/db/items/999999")
    assert r.status_code == 404
    assert r.json() == {"detail": "Item 999999 not found"}


def test_example_slice(example: Server) -> None:
    assert httpx.get(example.url + "/").json() == {"message": "Hello, World!"}
    assert httpx.get(example.url + "/items/3?q=x").json() == {"item_id": 3, "q": "x"}
    assert httpx.get(example.url + "/hello/Ann").text == "Hello, Ann!"
    assert httpx.get(example.url + "/teapot").status_code == 418


def test_example_cors_from_django_settings(example: Server) -> None:
    """``CORS_ALLOWED_ORIGINS`` in the example's settings is the API's policy under runbolt."""
    front = "http://localhost:3000"
    r = httpx.get(example.url + "/db/items", headers={"origin": front})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == front
    assert r.headers["vary"] == "Origin"
    r = httpx.get(example.url + "/db/items", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    r = httpx.options(
        example.url + "/db/items",
        headers={"origin": front, "access-control-request-method": "POST"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == front
    assert "POST" in r.headers["access-control-allow-methods"]


def test_example_allowed_hosts_from_django_settings(example: Server) -> None:
    """``ALLOWED_HOSTS`` in the example's settings is enforced under runbolt, as Django does."""
    for host in ("localhost:8000", "127.0.0.1", "[::1]"):
        assert httpx.get(example.url + "/", headers={"host": host}).status_code == 200, host
    r = httpx.get(example.url + "/db/items", headers={"host": "evil.example"})
    assert (r.status_code, r.json()) == (400, {"detail": "Invalid Host header"})
    assert httpx.get(example.url + "/nope", headers={"host": "evil.example"}).status_code == 400


def test_example_allowed_hosts_from_the_environment(
    engine: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``DJANGO_ALLOWED_HOSTS`` (read by the example's settings) replaces the default names."""
    db = tmp_path_factory.mktemp(f"hosts-{engine}") / "db.sqlite3"
    assert manage("migrate", "--verbosity", "0", db=db).returncode == 0
    srv = start_server(
        ["manage.py", "runbolt", "--engine", engine, "--host", "127.0.0.1", "--port", "0"],
        engine,
        cwd=EXAMPLE,
        env={"BOLT_EXAMPLE_DB": str(db), "DJANGO_ALLOWED_HOSTS": "api.example.com"},
    )
    try:
        ok = httpx.get(srv.url + "/", headers={"host": "api.example.com"})
        assert ok.status_code == 200
        assert httpx.get(srv.url + "/").status_code == 400  # 127.0.0.1 is not listed now
    finally:
        srv.stop()


def test_runbolt_unknown_engine(tmp_path: Path) -> None:
    result = manage("runbolt", "--engine", "nope", db=tmp_path / "db.sqlite3")
    assert result.returncode != 0
    assert "Unknown engine 'nope'; choose one of 'rust', 'python'." in result.stderr
    assert "Traceback" not in result.stderr


def test_example_forms_uploads_streams_and_files(example: Server) -> None:
    r = httpx.post(
        example.url + "/contact",
        data={"name": "Ann", "message": "hi\nthere"},
        headers={"x-api-key": "k1"},
    )
    assert r.json() == {"received": "Ann", "length": 8, "by": "k1"}
    assert r.cookies["last_contact"] == "Ann"
    r = httpx.post(
        example.url + "/attachments", files={"upload": ("a.txt", b"1\n2\n", "text/plain")}
    )
    assert r.json() == {"filename": "a.txt", "size": 4, "lines": 2}
    assert httpx.get(example.url + "/stream/count?to=3").text == "1\n2\n3\n"
    events = httpx.get(example.url + "/events/prices").text
    assert events.count("event: price\n") >= 3
    r = httpx.get(example.url + "/readme", headers={"range": "bytes=0-7"})
    assert (r.status_code, r.content) == (206, b"# Bolt e")


def test_django_testcase_with_testclient(engine: str, tmp_path: Path) -> None:
    """Issue 12, item 5: ``TestClient`` inside ``django.test.TestCase`` (examples/catalog/
    tests.py) sees the test's rows, and its writes roll back with the test."""
    result = in_example(
        "manage.py", "test", "catalog", "--verbosity", "2",
        db=tmp_path / "db.sqlite3", env={"BOLT_TEST_ENGINE": engine}, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Ran 5 tests" in result.stderr
    assert result.stderr.count(" ... ok") == 5, result.stderr[-4000:]


def test_pytest_django_db_with_testclient(engine: str, tmp_path: Path) -> None:
    """The same with pytest-django's ``django_db`` (examples/catalog/test_with_pytest.py)."""
    result = in_example(
        "-m", "pytest",
        "-o", "addopts=-ra",  # not the repository's "-p no:django"
        "--ds=project.settings", "-p", "no:cacheprovider", "-q",
        "catalog/test_with_pytest.py",
        db=tmp_path / "db.sqlite3", env={"BOLT_TEST_ENGINE": engine}, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout
