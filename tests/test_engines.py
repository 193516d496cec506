"""The two engines side by side: same bytes for the same request; clear start-up errors."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from .conftest import ENGINES, ROOT, Server, start_server

SAMPLES = [
    ("GET", "/", None),
    ("GET", "/items/7?q=x", None),
    ("GET", "/items/oops", None),
    ("GET", "/search?page=x&size=0", None),
    ("POST", "/items", b'{"name":"a","price":1}'),
    ("POST", "/items", b'{"name":'),
    ("POST", "/orders", b'{"id":1,"items":[{"name":1}]}'),
    ("GET", "/types", None),
    ("GET", "/text", None),
    ("GET", "/bytes", None),
    ("GET", "/html-class", None),
    ("GET", "/redirect", None),
    ("GET", "/teapot", None),
    ("GET", "/crash", None),
    ("GET", "/bad-model", None),
    ("GET", "/nowhere", None),
    ("PUT", "/", None),
    ("OPTIONS", "/items/1", None),
    ("HEAD", "/struct", None),
    ("GET", "/files/a%2Fb/c%20d", None),
]
COMPARED_HEADERS = ("content-type", "content-length", "allow", "location", "x-tea")


@pytest.fixture(scope="module")
def both() -> Iterator[dict[str, Server]]:
    servers = {
        name: start_server(
            ["-m", "bolt_api", "serve", "tests.apps.catalog:api", "--engine", name, "--port", "0"],
            name,
        )
        for name in ENGINES
    }
    yield servers
    for srv in servers.values():
        srv.stop()


@pytest.mark.parametrize(("method", "path", "body"), SAMPLES)
def test_engines_answer_identically(
    both: dict[str, Server], method: str, path: str, body: bytes | None
) -> None:
    answers = []
    for name in ENGINES:
        r = httpx.request(method, both[name].url + path, content=body)
        headers = {h: r.headers.get(h) for h in COMPARED_HEADERS}
        answers.append((r.status_code, headers, r.content))
    assert answers[0] == answers[1]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bolt_api", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unknown_engine_is_a_clear_error() -> None:
    result = run_cli("serve", "tests.apps.catalog:api", "--engine", "nope")
    assert result.returncode == 2
    assert "Unknown engine 'nope'; choose one of 'rust', 'python'." in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_app_target_is_a_clear_error() -> None:
    result = run_cli("serve", "tests.apps.catalog:nothing", "--engine", "python")
    assert result.returncode == 2
    assert "has no attribute 'nothing'" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_a_clear_error(server: Server) -> None:
    result = run_cli(
        "serve", "tests.apps.catalog:api", "--engine", server.engine, "--port", str(server.port)
    )
    assert result.returncode != 0
    assert "Address already in use" in result.stderr or "in use" in result.stderr
