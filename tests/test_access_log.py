"""The access log: one combined-format line per request, the same on both engines."""

from __future__ import annotations

import re

import httpx

from .conftest import start_server

LINE = re.compile(
    r'^(?P<client>\S+) - - \[(?P<time>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000)\] '
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\d+|-) "(?P<referer>[^"]*)" '
    r'"(?P<agent>[^"]*)" (?P<ms>\d+\.\d{3})ms$')


def test_access_log_lines(engine: str) -> None:
    srv = start_server(["-m", "bolt_api", "serve", "tests.apps.catalog:api", "--engine", engine,
                        "--port", "0", "--access-log"], engine)
    try:
        httpx.get(srv.url + "/items/3?q=a", headers={"user-agent": 'ua "quoted"',
                                                    "referer": "http://ref/"})
        httpx.get(srv.url + "/nowhere", headers={"user-agent": "t"})
        httpx.post(srv.url + "/items", json={"name": "n", "price": 1},
                   headers={"user-agent": "back\\slash"})
    finally:
        output = srv.stop()
    lines = [m for m in (LINE.match(line) for line in output.splitlines()) if m]
    assert [m["request"] for m in lines] == [
        "GET /items/3?q=a HTTP/1.1", "GET /nowhere HTTP/1.1", "POST /items HTTP/1.1"]
    first, missing, posted = lines
    assert (first["client"], first["status"], first["size"]) == ("127.0.0.1", "200", "21")
    assert first["agent"] == "ua \\x22quoted\\x22"
    assert first["referer"] == "http://ref/"
    assert (missing["status"], missing["referer"], missing["agent"]) == ("404", "-", "t")
    assert (posted["status"], posted["agent"]) == ("201", "back\\x5cslash")

