"""The HTTP/1.1 conformance corpus: raw requests, one connection each, on both engines.

Bolt's own corpus (``http_corpus/bolt.py``) gives the exact statuses for each case and
whether the server closes the connection; gunicorn's (``http_corpus/gunicorn/``) says which
requests are valid and which are not (``http_corpus/gunicorn_verdicts.py`` lists where Bolt
deliberately differs). After every case the server must still be alive and serving. The
header timeout (408) is checked here too, on a server with a short one.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .conftest import Server, start_server
from .http_corpus.bolt import CASES, Case
from .http_corpus.gunicorn_verdicts import DIFFERENT

CORPUS = Path(__file__).parent / "http_corpus" / "gunicorn"
#: The errors the framing layer answers itself, with bolt-api's rendered body for each: the
#: same bytes from both engines (the Rust one's gate writes them in front of hyper).
RENDERED = {
    400: b'{"detail":"Bad Request"}',
    408: b'{"detail":"Request Timeout"}',
    413: b'{"detail":"Content Too Large"}',
    414: b'{"detail":"URI Too Long"}',
    431: b'{"detail":"Request Header Fields Too Large"}',
    501: b'{"detail":"Not Implemented"}',
}
FRAMING_ERRORS = frozenset(RENDERED)
TIMEOUT = 10.0


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def parse_responses(data: bytes) -> tuple[list[Response], bytes]:
    """The complete (``content-length``-framed) responses in ``data``, and what is left."""
    responses = []
    while b"\r\n\r\n" in data:
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if status < 200 else int(headers.get("content-length", "0"))
        if len(rest) < length:
            break
        responses.append(Response(status, headers, rest[:length]))
        data = rest[length:]
    return responses, data


class Connection:
    """A raw client connection that reads whole responses."""

    def __init__(self, server: Server) -> None:
        self.sock = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
        self.buf = b""
        self.eof = False

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes, *, eof: bool = False) -> None:
        try:
            self.sock.sendall(data)
            if eof:
                self.sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking it all: read the answer

    def _fill(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if chunk:
            self.buf += chunk
        else:
            self.eof = True

    def read(self, count: int) -> list[Response]:
        """``count`` responses (fewer if the server closes first)."""
        while True:
            responses, _ = parse_responses(self.buf)
            if len(responses) >= count or self.eof:
                break
            self._fill()
        responses, self.buf = parse_responses(self.buf)
        return responses

    def read_to_end(self) -> list[Response]:
        """Every response until the server closes the connection."""
        while not self.eof:
            self._fill()
        responses, self.buf = parse_responses(self.buf)
        return responses


def assert_rendered(response: Response) -> None:
    """An error the engine answered itself: bolt-api's rendering, and the connection closes."""
    assert response.body == RENDERED[response.status]
    assert response.headers["content-type"] == "application/json"
    assert response.headers.get("connection") == "close"


def assert_serving(server: Server) -> None:
    assert server.alive(), server.stop()
    assert httpx.get(server.url + "/", timeout=TIMEOUT).status_code == 200


# --- Bolt's own corpus --------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bolt_corpus(server: Server, case: Case) -> None:
    with Connection(server) as conn:
        conn.send(case.raw, eof=case.eof)
        responses = conn.read_to_end() if case.close else conn.read(len(case.statuses))
        assert [r.status for r in responses] == list(case.statuses), responses
        if responses:
            last = responses[-1]
            assert case.contains in last.body
            assert not case.excludes or case.excludes not in last.body
            if last.status in FRAMING_ERRORS:
                assert_rendered(last)
        if case.close:
            assert conn.buf == b""
        else:  # still open, and still serving on this connection
            conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            [again] = conn.read(1)
            assert again.status == 200
            assert conn.buf == b""
    assert_serving(server)


# --- gunicorn's corpus ----------------------------------------------------------------------


def load_http(path: Path) -> bytes:
    """A gunicorn ``.http`` file as bytes on the wire (gunicorn's ``tests/treq.py`` rules)."""
    data = path.read_bytes().replace(b"\n", b"").replace(b"\\r\\n", b"\r\n")
    data = data.replace(b"\\0", b"\0").replace(b"\\n", b"\n").replace(b"\\t", b"\t")
    return re.sub(rb"\\x([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), data)


def with_host(data: bytes) -> bytes | None:
    """``data`` with a Host header after its request line, if it is an HTTP/1.1 request
    without one; else ``None``."""
    line_end = data.find(b"\r\n")
    head = data.split(b"\r\n\r\n", 1)[0]
    if line_end < 0 or not data[:line_end].endswith(b"HTTP/1.1"):
        return None
    if re.search(rb"\r\nhost\s*:", head, re.IGNORECASE):
        return None
    return data[: line_end + 2] + b"Host: gunicorn.test\r\n" + data[line_end + 2 :]


def gunicorn_cases() -> Iterator[tuple[str, bytes, object]]:
    for kind in ("valid", "invalid"):
        for path in sorted((CORPUS / kind).glob("*.http")):
            name = f"{kind}/{path.stem}"
            data = load_http(path)
            default = "ok" if kind == "valid" else "error"
            hosted = with_host(data)
            if hosted is None:
                yield name, data, DIFFERENT.get(name, (default, ""))[0]
            else:
                yield name, data, DIFFERENT.get(name, (400, ""))[0]
                yield f"{name}+host", hosted, DIFFERENT.get(f"{name}+host", (default, ""))[0]


GUNICORN = list(gunicorn_cases())


def test_gunicorn_verdicts_name_real_cases() -> None:
    names = {name for name, _, _ in GUNICORN}
    assert set(DIFFERENT) <= names
    assert len(GUNICORN) > 150


@pytest.mark.parametrize(
    ("name", "data", "verdict"), GUNICORN, ids=[name for name, _, _ in GUNICORN]
)
def test_gunicorn_corpus(server: Server, name: str, data: bytes, verdict: object) -> None:
    with Connection(server) as conn:
        conn.send(data, eof=True)
        responses = conn.read_to_end()
    statuses = [r.status for r in responses]
    if verdict == "drop":
        assert statuses == []
    elif verdict == "ok":
        assert statuses, "no response"
        assert statuses[0] not in FRAMING_ERRORS and statuses[0] < 500, statuses
    elif verdict == "error":
        assert statuses, "no response"
        assert statuses[-1] in FRAMING_ERRORS, statuses
        assert all(s not in FRAMING_ERRORS for s in statuses[:-1])
        assert_rendered(responses[-1])
    else:
        assert statuses[:1] == [verdict], statuses
        if verdict in FRAMING_ERRORS:
            assert_rendered(responses[0])
    assert_serving(server)


# --- the header timeout ----------------------------------------------------------------------

SHORT = "0.5"
SERVE_SHORT = (
    "import sys; sys.path.insert(0, '.'); from bolt_api import serve; "
    "from tests.apps.catalog import api; "
    f"serve(api, engine=sys.argv[1], port=0, header_timeout={SHORT}, keep_alive=30)"
)


@pytest.fixture(scope="module")
def short_server(engine: str) -> Iterator[Server]:
    """The catalog app with a 0.5 s header timeout."""
    srv = start_server(["-c", SERVE_SHORT, engine], engine)
    yield srv
    srv.stop()


def timed(conn: Connection, data: bytes, then: bytes = b"") -> tuple[list[Response], float]:
    started = time.monotonic()
    conn.send(data)
    if then:
        time.sleep(0.2)
        conn.send(then)
    responses = conn.read_to_end()
    return responses, time.monotonic() - started


def test_slowloris_gets_408_and_the_server_serves_others(short_server: Server) -> None:
    with Connection(short_server) as conn:
        responses, took = timed(conn, b"GET / HTTP/1.1\r\nHost: x\r\n")
    assert [r.status for r in responses] == [408]
    assert_rendered(responses[0])
    assert 0.4 < took < 3
    assert_serving(short_server)


def test_a_silent_connection_is_closed_without_a_response(short_server: Server) -> None:
    with Connection(short_server) as conn:
        responses, took = timed(conn, b"")
    assert responses == [] and conn.buf == b""
    assert 0.4 < took < 3


def test_header_timeout_applies_to_every_request_of_a_connection(short_server: Server) -> None:
    with Connection(short_server) as conn:
        # the second head starts 0.2 s in: it is timed from its own first byte
        responses, took = timed(
            conn,
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            then=b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        )
    assert [r.status for r in responses] == [200, 408]
    assert 0.6 < took < 3


def test_a_busy_keep_alive_connection_outlives_the_header_timeout(short_server: Server) -> None:
    """Heads that each arrive in time are served however long the connection lasts (the
    timer armed for an earlier head re-checks instead of firing 408)."""
    with Connection(short_server) as conn:
        for _ in range(8):  # 8 x 0.15 s: well past the 0.5 s header timeout
            conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert [r.status for r in conn.read(1)] == [200]
            time.sleep(0.15)


def test_a_slow_head_behind_a_slow_request_is_answered_in_order(short_server: Server) -> None:
    with Connection(short_server) as conn:
        responses, _ = timed(
            conn, b"GET /sleep?ms=900 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n"
        )
    assert [r.status for r in responses] == [200, 408]
    assert responses[0].body.startswith(b'{"slept_ms":900')


def test_a_head_sent_slowly_but_in_time_is_served(short_server: Server) -> None:
    with Connection(short_server) as conn:
        for piece in (b"GET / HT", b"TP/1.1\r\nHo", b"st: x\r\n\r\n"):
            conn.send(piece)
            time.sleep(0.1)
        assert [r.status for r in conn.read(1)] == [200]
