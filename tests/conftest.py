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
import select
import shutil
import signal
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

    def start_reading(self) -> None:
        """Keep draining the process's output, so a full pipe can never block the server."""
        stdout = self.process.stdout
        assert stdout is not None

        def pump() -> None:
            for line in stdout:
                self.output.append(line)

        self._reader = threading.Thread(target=pump, daemon=True)
        self._reader.start()


def start_server(
    args: list[str],
    engine: str,
    *,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Server:
    """Start ``python <args>`` and wait for its banner; fail loudly if it never comes."""
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.05)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        match = BANNER.search(line)
        if match:
            assert match["engine"] == engine, f"asked for {engine}, got: {line}"
            host = match["host"].strip("[]")
            server = Server(engine, host, int(match["port"]), proc, lines)
            server.start_reading()
            return server
    proc.kill()
    proc.wait()
    rest = proc.stdout.read()
    proc.stdout.close()
    raise RuntimeError(f"the {engine} server did not start:\n{''.join(lines)}{rest}")


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
    srv = start_server(
        ["-m", "bolt_api", "serve", "tests.apps.catalog:api", "--engine", engine, "--port", "0"],
        engine,
    )
    yield srv
    srv.stop()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    """An httpx client for the running server."""
    with httpx.Client(base_url=server.url, timeout=10.0) as c:
        yield c
