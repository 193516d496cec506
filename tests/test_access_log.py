"""The access log: one combined-format line per request, the same on both engines."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from .conftest import start_server, wait_for

LINE = re.compile(
    r"^(?P<client>\S+) - - \[(?P<time>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000)\] "
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\d+|-) "(?P<referer>[^"]*)" '
    r'"(?P<agent>[^"]*)" (?P<ms>\d+\.\d{3})ms$'
)


def test_access_log_lines(engine: str) -> None:
    srv = start_server(
        [
            "-m",
            "bolt_api",
            "serve",
            "tests.apps.catalog:api",
            "--engine",
            engine,
            "--port",
            "0",
            "--access-log",
        ],
        engine,
    )
    try:
        httpx.get(
            srv.url + "/items/3?q=a",
            headers={"user-agent": 'ua "quoted"', "referer": "http://ref/"},
        )
        httpx.get(srv.url + "/nowhere", headers={"user-agent": "t"})
        httpx.post(
            srv.url + "/items",
            json={"name": "n", "price": 1},
            headers={"user-agent": "back\\slash"},
        )
    finally:
        output = srv.stop()
    lines = [m for m in (LINE.match(line) for line in output.splitlines()) if m]
    assert [m["request"] for m in lines] == [
        "GET /items/3?q=a HTTP/1.1",
        "GET /nowhere HTTP/1.1",
        "POST /items HTTP/1.1",
    ]
    first, missing, posted = lines
    assert (first["client"], first["status"], first["size"]) == ("127.0.0.1", "200", "21")
    assert first["agent"] == "ua \\x22quoted\\x22"
    assert first["referer"] == "http://ref/"
    assert (missing["status"], missing["referer"], missing["agent"]) == ("404", "-", "t")
    assert (posted["status"], posted["agent"]) == ("201", "back\\x5cslash")


def test_access_log_file(engine: str, tmp_path: Path) -> None:
    """``--access-log-file``: the engine appends the same lines itself, none lost at stop,
    and the file already flushed while the server runs (within the writer's interval)."""
    path = tmp_path / "access.log"
    path.write_text("earlier line\n")
    srv = start_server(
        [
            "-m",
            "bolt_api",
            "serve",
            "tests.apps.catalog:api",
            "--engine",
            engine,
            "--port",
            "0",
            "--access-log-file",
            str(path),
        ],
        engine,
    )
    try:
        for i in range(50):
            httpx.get(f"{srv.url}/items/{i}", headers={"user-agent": "file"})
        wait_for(
            lambda: len(path.read_text().splitlines()) >= 51, "the lines in the file", timeout=5.0
        )
        httpx.get(srv.url + "/nowhere", headers={"user-agent": "last"})
    finally:
        output = srv.stop()
    lines = path.read_text().splitlines()
    assert lines[0] == "earlier line"  # appended, not truncated
    matched = [LINE.match(line) for line in lines[1:]]
    assert all(matched), lines
    assert [m["request"] for m in matched if m] == [
        *(f"GET /items/{i} HTTP/1.1" for i in range(50)),
        "GET /nowhere HTTP/1.1",
    ]
    assert matched[-1] is not None and matched[-1]["agent"] == "last"
    # nothing went through logging
    assert not [line for line in output.splitlines() if LINE.match(line)]
