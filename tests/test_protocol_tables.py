"""The protocol tables (``tests/protocol/*.json``) on both engines, without a socket and over one.

Every row runs twice per engine:

- without a socket, through ``tests/protocol/hooks.py``: the bytes go through the code the
  engine's server runs on a connection (for the Rust engine, its gate, head policy and
  hyper on an in-memory connection, ``_bolt._request_from_head``; for the Python engine, a
  ``bolt_py`` ``HttpProtocol`` on a recording transport), and the request object it would
  hand to bolt-api is read attribute by attribute;
- over a real socket, against ``tests/protocol/echo_app.py`` served by that engine, which
  echoes the same attributes.

A row that names an engine in ``differs`` is an expected failure (strict) for that engine:
the row holds the correct value, the engine does not give it yet.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from bolt_api.engine import CompiledApp, ServerConfig
from bolt_rust import _bolt

from .conftest import ENGINES, Server, read_until_closed, start_server
from .protocol import TABLES, Limits, Row, Table, load, text_bytes
from .protocol.hooks import parse

QUERY, COOKIES, HEADERS, HEADS = (load(name) for name in TABLES)
VIEW_TABLES = {table.name: table for table in (QUERY, COOKIES, HEADERS)}
#: What each view table checks: the request attributes it compares, and the optional ones
#: (compared only when the row gives them).
VIEWS = {
    "query": (("query", "query_multi"), ("query_string",)),
    "cookies": (("cookies",), ()),
    "headers": (("headers", "accept_encoding", "host"), ()),
}
DEFAULTS = ServerConfig()
#: The statuses an engine answers itself (the rest come from the app), as bolt-api lists them.
ENGINE_STATUSES = frozenset(
    CompiledApp(routes=(), fallback=print, render_error=print).engine_error_statuses
)
DEFAULT_LIMITS: Limits = {
    "max_uri_size": DEFAULTS.max_uri_size,
    "max_header_size": DEFAULTS.max_header_size,
    "max_header_count": DEFAULTS.max_header_count,
    "max_body_size": DEFAULTS.max_body_size,
}
TIMEOUT = 10.0
SERVE = ["-m", "bolt_api", "serve", "tests.protocol.echo_app:api"]


def cases(*tables: Table) -> list[Any]:
    """``(table, engine, row)`` for every row and engine; known differences marked xfail."""
    params = []
    for table in tables:
        for row in table.rows:
            for engine in ENGINES:
                marks = []
                if engine in row.differs:
                    reason = f"known {engine} engine difference: {row.differs[engine]}"
                    marks.append(pytest.mark.xfail(strict=True, reason=reason))
                params.append(
                    pytest.param(
                        table, engine, row, id=f"{table.name}-{engine}-{row.id}", marks=marks
                    )
                )
    return params


# --- the requests each table's rows stand for ------------------------------------------------


def view_request(table: Table, row: Row) -> bytes:
    """The request a row of a view table is sent as."""
    if table.name == "query":
        lines = [f"GET {row['target']} HTTP/1.1", "Host: x"]
    elif table.name == "cookies":
        lines = ["GET /echo HTTP/1.1", "Host: x", *(f"Cookie: {c}" for c in row["cookie"])]
    else:
        lines = ["GET /echo HTTP/1.1", *row["lines"]]
    return text_bytes("".join(line + "\r\n" for line in lines) + "\r\n")


def expected_views(table: Table, row: Row) -> dict[str, Any]:
    required, optional = VIEWS[table.name]
    return {name: row[name] for name in (*required, *optional) if name in row.fields}


def observed_views(table: Table, row: Row, get: Any) -> dict[str, Any]:
    """What the request says, for the same names as :func:`expected_views`."""
    return {name: get(name) for name in expected_views(table, row)}


def expected_target(row: Row) -> dict[str, Any]:
    """``method``/``path``/``query_string`` a heads row gives for its accepted request."""
    return {name: row[name] for name in ("method", "path", "query_string") if name in row.fields}


# --- without a socket ----------------------------------------------------------------------------


@pytest.mark.parametrize(("table", "engine", "row"), cases(QUERY, COOKIES, HEADERS))
def test_views_without_socket(table: Table, engine: str, row: Row) -> None:
    request = parse(engine, view_request(table, row), DEFAULT_LIMITS)
    assert not isinstance(request, int) and request is not None, f"refused: {request}"
    assert observed_views(table, row, partial(getattr, request)) == expected_views(table, row)


@pytest.mark.parametrize("row", QUERY.rows, ids=[row.id for row in QUERY.rows])
def test_query_as_the_rust_fast_path_reads_it(row: Row) -> None:
    """The Rust engine's ``ParamSpec`` fast path (``src/params.rs``) decodes the query itself:
    it must give what ``request.query`` gives (the Python engine has no fast path)."""
    request = parse("rust", view_request(QUERY, row), DEFAULT_LIMITS)
    keys = list(row["query"])
    assert _bolt._bound_query(request.query_string, keys) == row["query"]


@pytest.mark.parametrize(("table", "engine", "row"), cases(HEADS))
def test_heads_without_socket(table: Table, engine: str, row: Row) -> None:
    result = parse(engine, text_bytes(row["raw"]), table.limits or DEFAULT_LIMITS)
    if row["expect"] == "closed":
        assert result is None
    elif row["expect"] == "accepted":
        assert result is not None and not isinstance(result, int), f"refused: {result}"
        target = expected_target(row)
        assert {name: getattr(result, name) for name in target} == target
    else:
        assert result == row["expect"]


# --- over a socket -------------------------------------------------------------------------------


class EchoServers:
    """``tests.protocol.echo_app`` served by each engine, started on first use."""

    def __init__(self) -> None:
        self.running: dict[str, Server] = {}

    def __getitem__(self, engine: str) -> Server:
        if engine not in self.running:
            self.running[engine] = start_server(
                [*SERVE, "--engine", engine, "--port", "0"],
                engine,
            )
        return self.running[engine]

    def stop(self) -> None:
        for server in self.running.values():
            server.stop()


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoServers]:
    servers = EchoServers()
    yield servers
    servers.stop()


def exchange(server: Server, raw: bytes) -> list[tuple[int, bytes]]:
    """Send ``raw`` on a connection of its own, half-close it, and read every response until
    the server closes: ``(status, body)`` each (no body for a ``HEAD``, a 1xx, 204 or 304)."""
    head_request = raw.lstrip(b"\r\n").startswith(b"HEAD ")
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before taking it all: read the answer
        data = read_until_closed(sock)
    responses = []
    while b"\r\n\r\n" in data:
        head, data = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        fields = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        bodiless = head_request or status < 200 or status in (204, 304)
        length = 0 if bodiless else int(fields.get("content-length", "0"))
        responses.append((status, data[:length]))
        data = data[length:]
    assert data == b"", f"a partial response: {data[:200]!r}"
    return responses


@pytest.mark.parametrize(("table", "engine", "row"), cases(QUERY, COOKIES, HEADERS))
def test_views_over_socket(echo: EchoServers, table: Table, engine: str, row: Row) -> None:
    [(status, body)] = exchange(echo[engine], view_request(table, row))
    assert status == 200, body
    echoed = json.loads(body)
    assert observed_views(table, row, echoed.__getitem__) == expected_views(table, row)


@pytest.mark.parametrize(("table", "engine", "row"), cases(HEADS))
def test_heads_over_socket(echo: EchoServers, table: Table, engine: str, row: Row) -> None:
    responses = exchange(echo[engine], text_bytes(row["raw"]))
    statuses = [status for status, _ in responses]
    if row["expect"] == "closed":
        assert statuses == []
        return
    assert statuses, "no answer"
    assert all(s < 200 for s in statuses[:-1]), statuses  # at most a 100 Continue first
    status, body = responses[-1]
    if row["expect"] != "accepted":
        assert status == row["expect"]
        return
    assert status not in ENGINE_STATUSES, (status, body)
    target = expected_target(row)
    # the echo route answers the methods bolt-api routes, on any path; a method it does not
    # route (405), a HEAD (no body) and OPTIONS * (no path to route: 404) are checked by
    # their status only
    if target and status == 200 and body:
        echoed = json.loads(body)
        assert {name: echoed[name] for name in target} == target


# --- the tables themselves -----------------------------------------------------------------------


def test_heads_limits_are_the_defaults_the_echo_server_runs_with() -> None:
    assert HEADS.limits == DEFAULT_LIMITS


@pytest.mark.parametrize("table", [QUERY, COOKIES, HEADERS, HEADS], ids=lambda t: t.name)
def test_rows_are_well_formed(table: Table) -> None:
    required = {
        "query": {"target", "query", "query_multi"},
        "cookies": {"cookie", "cookies"},
        "headers": {"lines", "headers", "accept_encoding", "host"},
        "heads": {"raw", "expect"},
    }[table.name]
    for row in table.rows:
        assert required <= set(row.fields), (row.id, required - set(row.fields))
        assert set(row.differs) <= set(ENGINES), row.id
        if table.name == "heads":
            expect = row["expect"]
            assert expect in ("accepted", "closed") or expect in ENGINE_STATUSES, row.id
            assert expect == "accepted" or not expected_target(row), row.id
