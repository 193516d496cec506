"""The conformance suite's fixtures: every test runs once per engine, over real sockets.

The ``engine`` fixture is the one place the engine matrix is written down. ``server`` starts
``python -m bolt_api serve tests.apps.catalog:api --engine <name> --port 0`` in a subprocess,
reads the start-up banner to learn the port (and to check the engine that actually started is
the one asked for), and stops it at the end of the session. No engine is ever skipped: an
engine that is not installed or does not start fails its tests.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("rust", "python")
BANNER = re.compile(
    r"Bolt serving on http://(?P<host>[^\s]+):(?P<port>\d+) \(engine=(?P<engine>\w+)"
)


def gone(pid: int) -> bool:
    """True when no process ``pid`` exists any more."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends on ``sock`` until it closes the connection (a reset
    ends it too: what came before it is kept)."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def wait_for(predicate: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    """Poll ``predicate`` until it is true (a readiness poll, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@dataclass
class Server:
    """A running server process and how to reach it."""

    engine: str
    host: str
    port: int
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> str:
        """Stop the process (SIGTERM, then SIGKILL) and return everything it printed."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return "".join(self.output)


def start_server(
    args: list[str],
    engine: str,
    *,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    python: str = sys.executable,
) -> Server:
    """Start ``python <args>`` and wait for its banner; fail loudly if it never comes."""
    proc = subprocess.Popen(
        [python, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    stdout = proc.stdout
    assert stdout is not None
    # One thread reads the output from the start and keeps draining it: a select() on the
    # pipe followed by readline() would miss a banner that arrived in the same read as the
    # line before it (it waits in the file's buffer, and the pipe never turns readable).
    lines: list[str] = []
    found: list[re.Match[str]] = []
    decided = threading.Event()

    def pump() -> None:
        for line in stdout:
            lines.append(line)
            if not found and (match := BANNER.search(line)) is not None:
                found.append(match)
                decided.set()
        decided.set()  # the output ended: the process exited

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    decided.wait(timeout)
    if found:
        match = found[0]
        assert match["engine"] == engine, f"asked for {engine}, got: {match.string}"
        host = match["host"].strip("[]")
        return Server(engine, host, int(match["port"]), proc, lines, reader)
    proc.kill()
    proc.wait()
    reader.join(timeout=10)
    stdout.close()
    raise RuntimeError(f"the {engine} server did not start:\n{''.join(lines)}")


def serve_api(target: str, engine: str, *extra: str, env: dict[str, str] | None = None) -> Server:
    """``python -m bolt_api serve <target> --engine <engine> --port 0 <extra>``, started (the
    suite's one way to serve an app module on a free port)."""
    return start_server(
        ["-m", "bolt_api", "serve", target, "--engine", engine, "--port", "0", *extra],
        engine,
        env=env,
    )


def pytest_configure(config: pytest.Config) -> None:
    """One directory for the catalog app's served files, shared by every server of the session."""
    if "BOLT_CATALOG_FILES" not in os.environ:
        made = tempfile.mkdtemp(prefix="bolt-catalog-")
        os.environ["BOLT_CATALOG_FILES"] = made
        config.add_cleanup(lambda: shutil.rmtree(made, ignore_errors=True))


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The engine under test: ``rust`` and ``python``, once each."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def server(engine: str) -> Iterator[Server]:
    """The catalog app served by ``engine`` for the whole session."""
    srv = serve_api("tests.apps.catalog:api", engine)
    yield srv
    srv.stop()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    """An httpx client for the running server."""
    with httpx.Client(base_url=server.url, timeout=10.0) as c:
        yield c
